// Check: compare the tenant with a file, writing nothing to the API.

package batch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"aivabatch/apiclient"
	"aivabatch/batch/customer"
)

// The results of check.
const (
	ResultSame    Result = "same"    // the customer holds what the row says
	ResultDiffers Result = "differs" // it holds something else (_changes: tenant → file)
	ResultMissing Result = "missing" // no customer for the row
	ResultExtra   Result = "extra"   // a customer no row matched
)

// CommandCheck is the summary's command of Check.
const CommandCheck Command = "check"

// FieldDifference is one field that differs between the tenant and the
// file: in how many rows, and the first of them.
type FieldDifference struct {
	Field string `json:"field"`
	Rows  int    `json:"rows"`
	// First is the first row's number and change: "row 7: +1 555 → +1 556".
	First string `json:"first"`
}

// DefaultCheckReportPath is <input dir>/<input stem>.check.<input ext>
// (stdin: check.report.csv): a check never replaces an import's report.
func DefaultCheckReportPath(input, sheet string) string {
	return besideInput(input, sheet, ".check", "check.report.csv")
}

// Check lists the tenant once and compares it with the file read as
// Import reads it (the same mapping, rules and matching), writing
// nothing to the API. Each row is same, differs (its _changes say
// tenant → file), missing or, as for import, invalid or skipped; then
// each customer no row matched (within cfg's Status and Types) is
// reported as extra. The summary's Differences count the rows by field.
// The fields Import alone uses (workers, undo, resume, the mirror's) are
// not read.
func Check(ctx context.Context, cfg ImportConfig) (*Summary, error) {
	start := time.Now()
	if cfg.Client == nil {
		return nil, inputErr("no API client configured")
	}
	if cfg.Report == "" {
		cfg.Report = DefaultCheckReportPath(cfg.Path, cfg.ReportSheet())
	}
	in, release, err := openInputCtx(ctx, &cfg.InputConfig)
	if err != nil {
		return nil, err
	}
	defer release()
	if err := checkInputPaths(&cfg.InputConfig, in.report); err != nil {
		return nil, err
	}
	x, err := listIndex(ctx, &cfg)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &AbortedError{Reason: fmt.Sprintf("could not list the customers: %v", err)}
	}
	defer x.close()
	rw, err := openReport(in.report, in.r)
	if err != nil {
		return nil, err
	}
	v := cfg.validator(in)
	defer v.Close()
	sum := newSummary(CommandCheck)
	sum.Input, sum.Report = cfg.Path, in.report
	matched := newMatchSet(x)
	diffs := map[string]*FieldDifference{}
	write := func(o *Outcome) error {
		if err := rw.Write(o); err != nil {
			return fmt.Errorf("writing the report %s: %w", in.report, err)
		}
		sum.ReportRows++
		return nil
	}
	var runErr error
	for runErr == nil && ctx.Err() == nil {
		row, err := in.r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			runErr = &ReadError{Err: fmt.Errorf("reading %s: %w", cfg.Path, err)}
			break
		}
		rec, err := v.Check(row)
		if err != nil {
			runErr = err
			break
		}
		if err := matched.see(x, rec); err != nil {
			runErr = fmt.Errorf("reading the customer index: %w", err)
			break
		}
		o := Outcome{Num: rec.Num, Cells: rec.Cells, From: rec.Source()}
		checkRow(&cfg, in.m, x, rec, &o, diffs)
		if runErr = write(&o); runErr != nil {
			break
		}
		sum.add(&o)
		cfg.reportProblem(sum, o.Result)
		if cfg.OnRow != nil {
			cfg.OnRow(sum.Rows)
		}
	}
	if runErr == nil && ctx.Err() == nil {
		// The customers no row matched, after the file's rows.
		f := newFilter(&ExportConfig{Status: cfg.Status, Types: cfg.Types})
		for i := range x.byID {
			if matched.has(i) {
				continue
			}
			c, err := x.read(x.byID[i].at)
			if err != nil {
				runErr = fmt.Errorf("reading the customer index: %w", err)
				break
			}
			if !f.keep(c) {
				continue
			}
			o := Outcome{Result: ResultExtra, CustomerID: c.ID, Cells: mirrorCells(in.m, c), Changes: "in no row of the file"}
			if runErr = write(&o); runErr != nil {
				break
			}
			sum.Counts[ResultExtra]++
		}
	}
	if err := rw.Close(); err != nil && runErr == nil {
		runErr = fmt.Errorf("writing the report %s: %w", in.report, err)
	}
	for _, d := range diffs {
		sum.Differences = append(sum.Differences, *d)
	}
	sort.Slice(sum.Differences, func(i, j int) bool {
		a, b := sum.Differences[i], sum.Differences[j]
		return a.Rows > b.Rows || a.Rows == b.Rows && a.Field < b.Field
	})
	sum.finish(start)
	st := cfg.Client.Stats()
	sum.Requests, sum.Retries, sum.Throttle = st.Attempts, st.Retries, st.Throttled
	if runErr != nil {
		return sum, runErr
	}
	if ctx.Err() != nil {
		sum.Aborted = "interrupted"
		return sum, ctx.Err()
	}
	return sum, nil
}

// checkRow compares one row with the customer it matches, as import
// would match it, and fills o.
func checkRow(cfg *ImportConfig, m *customer.Mapping, x *custIndex, rec *customer.Record, o *Outcome, diffs map[string]*FieldDifference) {
	if !rec.Valid() {
		o.Result, o.Error = ResultInvalid, rec.ErrorText()
		return
	}
	if rec.Action == customer.ActionSkip {
		o.Result = ResultSkipped
		return
	}
	note := func(field, change string) {
		d := diffs[field]
		if d == nil {
			d = &FieldDifference{Field: field, First: fmt.Sprintf("row %d: %s", rec.Num, change)}
			diffs[field] = d
		}
		d.Rows++
	}
	var cur *apiclient.Customer
	if rec.ID != "" {
		if cur = x.id(rec.ID); cur == nil {
			o.Result = ResultMissing
			o.Changes = columnMsg(m, customer.FieldID, fmt.Sprintf("no customer with id %q in this tenant", rec.ID))
			return
		}
	} else if rec.EmailKey != "" {
		cs := x.emails(rec.EmailKey)
		if len(cs) > 1 {
			o.Result, o.Changes = ResultDiffers, columnMsg(m, customer.FieldEmail, sharedEmail(cs))
			note(string(customer.FieldEmail), fmt.Sprintf("%d customers have this email", len(cs)))
			return
		}
		if len(cs) == 1 {
			cur = cs[0]
		}
	}
	if rec.Action == customer.ActionDelete {
		if cur == nil {
			o.Result = ResultSame
			return
		}
		o.Result, o.CustomerID, o.Changes = ResultDiffers, cur.ID, "the row deletes this customer, which the tenant holds"
		note(string(customer.FieldAction), fmt.Sprintf("customer %s is there", cur.ID))
		return
	}
	if cur == nil {
		o.Result = ResultMissing
		return
	}
	o.CustomerID = cur.ID
	p := updatePlan(rec, cur.ID, cur, cfg.BlankClear, cfg.Overwrite)
	if p.op == opNone {
		o.Result = ResultSame
		return
	}
	o.Result, o.Changes = ResultDiffers, p.changes
	fields := make([]string, 0, len(p.fields)+1)
	for f := range p.fields {
		fields = append(fields, f)
	}
	if p.status != "" {
		fields = append(fields, string(customer.FieldStatus))
	}
	for _, f := range fields {
		now, _ := rec.Value(customer.Field(f))
		note(f, fmt.Sprintf("%s → %s", show(currentValue(cur, customer.Field(f))), show(now)))
	}
}
