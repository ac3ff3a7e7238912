package batch

import "fmt"

// finalAbortReason is why the run stopped, told with the counts of the
// finished run. --max-errors is checked as rows fail, but requests
// already in flight then still finish, and some of them fail too: the
// reason must agree with the summary beside it, not with the moment the
// limit was crossed.
func (im *importer) finalAbortReason() string {
	p := im.aborted.Load()
	if p == nil {
		return ""
	}
	if p.short != "--max-errors was reached" {
		return p.reason
	}
	failed := im.sum.Counts[ResultFailed]
	more := ""
	if limit := im.cfg.MaxErrors; limit > 0 && failed > limit {
		more = fmt.Sprintf(" (%d more than the limit: requests already in flight finished)", failed-limit)
	}
	var reached string
	if im.cfg.MaxErrors > 0 {
		reached = fmt.Sprintf("--max-errors %d reached: %d rows failed%s", im.cfg.MaxErrors, failed, more)
	} else {
		reached = fmt.Sprintf("--max-errors %g%% reached: %d of %d rows sent failed", im.cfg.MaxErrorsPercent, failed, im.sent.Load())
	}
	return reached + "; the rows not sent are not_attempted: see _error in the report for the failures, fix their cause, then run again with --resume"
}
