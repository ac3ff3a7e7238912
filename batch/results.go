// The results of the pipelines: a row's Result and Outcome, the run's
// Summary.

package batch

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Result is a row's outcome in the report, its _result column.
type Result string

// Results.
const (
	ResultCreated      Result = "created"
	ResultUpdated      Result = "updated"
	ResultUnchanged    Result = "unchanged"
	ResultDeleted      Result = "deleted"
	ResultSkipped      Result = "skipped"
	ResultInvalid      Result = "invalid"
	ResultFailed       Result = "failed"
	ResultNotAttempted Result = "not_attempted"
	ResultWouldCreate  Result = "would_create"
	ResultWouldUpdate  Result = "would_update"
	ResultWouldDelete  Result = "would_delete"
	ResultValid        Result = "valid"
)

// Good reports whether the result counts as a row that ended well (exit 0).
func (r Result) Good() bool {
	switch r {
	case ResultInvalid, ResultFailed, ResultNotAttempted, ResultDiffers, ResultMissing, ResultExtra:
		return false
	}
	return true
}

// ReportColumns are the columns the report adds before the input's own.
var ReportColumns = []string{"_row", "_result", "_customer_id", "_http_status", "_error", "_changes"}

// Outcome is one line of the report.
type Outcome struct {
	Num        int
	Cells      []string
	Result     Result
	CustomerID string
	HTTPStatus int
	Error      string
	Changes    string
	// From says which fields came from a later column of a --map list
	// ("phone from "MobileNumber""); the report adds it to _changes.
	From string
}

// Command is which run a Summary is of. Its text is the summary's
// "command" (of --summary-json and the JSON log), which schedulers read:
// the values below do not change.
type Command string

// The runs of the library.
const (
	CommandImport       Command = "import"
	CommandImportDryRun Command = "import --dry-run"
	CommandValidate     Command = "validate"
	CommandExport       Command = "export"
)

// Summary is what a run did, for stderr and --summary-json.
type Summary struct {
	Command    Command        `json:"command"`
	Input      string         `json:"input,omitempty"`
	Report     string         `json:"report,omitempty"`
	Output     string         `json:"output,omitempty"`
	Rows       int            `json:"rows"`
	Counts     map[Result]int `json:"counts"`
	Elapsed    time.Duration  `json:"-"`
	Seconds    float64        `json:"elapsed_seconds"`
	RowsPerSec float64        `json:"rows_per_second"`
	// FirstErrors holds the first few problems as "row N: …" lines.
	FirstErrors []string `json:"first_errors,omitempty"`
	// Aborted says why the run stopped part way, when it did.
	Aborted string `json:"aborted,omitempty"`
	// LeftOut counts the rows --skip and --limit left out. Import
	// reports them as not_attempted (they are in Rows and Counts, but not
	// problems: the user asked for it); validate does not check them and
	// leaves them out of the report, Rows and Counts.
	LeftOut  int      `json:"left_out,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
	Requests int64    `json:"requests,omitempty"`
	Retries  int64    `json:"retries,omitempty"`
	Throttle int64    `json:"throttled,omitempty"`
	// ReportRows is how many rows reached the report when writing it
	// failed part way (0 otherwise: then every row is in it).
	ReportRows int `json:"report_rows,omitempty"`
	// UndoError says why the undo file (--undo) is incomplete, when it is.
	UndoError string `json:"undo_error,omitempty"`
	// InvalidValues lists, per column, the values its field does not
	// take (validate): what a value map could turn into valid ones.
	InvalidValues []InvalidValues `json:"invalid_values,omitempty"`
	// Differences is, for Check, each field that differs: how many rows
	// and the first of them.
	Differences []FieldDifference `json:"differences,omitempty"`
}

const maxFirstErrors = 10

func newSummary(command Command) *Summary {
	return &Summary{Command: command, Counts: make(map[Result]int)}
}

func (s *Summary) add(o *Outcome) {
	s.Rows++
	s.Counts[o.Result]++
	if o.Error != "" && !o.Result.Good() && o.Result != ResultNotAttempted && len(s.FirstErrors) < maxFirstErrors {
		s.FirstErrors = append(s.FirstErrors, fmt.Sprintf("row %d: %s", o.Num, o.Error))
	}
}

func (s *Summary) finish(start time.Time) {
	s.Elapsed = time.Since(start)
	s.Seconds = s.Elapsed.Seconds()
	if s.Seconds > 0 { // rows processed: not_attempted rows were never sent
		s.RowsPerSec = float64(s.Rows-s.Counts[ResultNotAttempted]) / s.Seconds
	}
}

// Problems counts the rows that did not end well.
func (s *Summary) Problems() int {
	n := 0
	for r, c := range s.Counts {
		if !r.Good() {
			n += c
		}
	}
	return n - min(s.LeftOut, s.Counts[ResultNotAttempted])
}

// WriteJSON writes the summary as indented JSON.
func (s *Summary) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}
