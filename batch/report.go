package batch

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"aivabatch/apiclient"
	"aivabatch/formats"
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
	case ResultInvalid, ResultFailed, ResultNotAttempted:
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

// InputError is a problem found before any row was processed: unreadable
// file, unusable header, bad option. The CLI exits 2 on it.
type InputError struct{ Err error }

// Error returns the cause's sentence.
func (e *InputError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *InputError) Unwrap() error { return e.Err }

func inputErr(format string, args ...any) error {
	return &InputError{Err: fmt.Errorf(format, args...)}
}

// IsInputError reports whether err is an *InputError.
func IsInputError(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}

// DefaultReportPath is <input dir>/<input stem>.report.<input ext>; for
// stdin ("-") it is import.report.csv in the working directory. With a
// sheet (--sheet of a workbook) it is <input stem>.<sheet>.report.<ext>
// (stdin: import.<sheet>.report.csv), the sheet name made safe for a file
// name, so that the reports of different sheets never replace each other.
func DefaultReportPath(input, sheet string) string {
	return besideInput(input, sheet, ".report", "import.report.csv")
}

// DefaultValidateReportPath is <input dir>/<input stem>.validate.<input
// ext> (stdin: validate.report.csv): validate never replaces the report
// of an import, which --resume and the re-run guard read. A sheet is put
// in as for DefaultReportPath.
func DefaultValidateReportPath(input, sheet string) string {
	return besideInput(input, sheet, ".validate", "validate.report.csv")
}

// DefaultDryRunReportPath is <input dir>/<input stem>.dry-run.<input ext>
// (stdin: import.dry-run.csv): a dry run never overwrites the report of a
// real run, which --resume and the re-run guard read. A sheet is put in
// as for DefaultReportPath.
func DefaultDryRunReportPath(input, sheet string) string {
	return besideInput(input, sheet, ".dry-run", "import.dry-run.csv")
}

// besideInput is <input stem>[.<sheet>]<infix><input ext> (x.csv.gz:
// x<infix>.csv.gz; no extension: .csv), or forStdin (with the sheet
// before its first dot) for "-".
func besideInput(input, sheet, infix, forStdin string) string {
	if sheet != "" {
		sheet = "." + formats.SafeFileName(sheet)
	}
	if input == "-" || input == "" {
		stem, rest, _ := strings.Cut(forStdin, ".")
		return stem + sheet + "." + rest
	}
	stem, ext := formats.SplitExt(input)
	if ext == "" {
		ext = ".csv"
	}
	return stem + sheet + infix + ext
}

// reportWriter writes outcomes under the report header. Only one goroutine
// may use it.
type reportWriter struct {
	f    *os.File
	gz   func() error // ends the gzip stream of a .gz report
	w    formats.RowWriter
	keep []int // input columns copied to the report
	line []string
}

// isReportColumn tells the report's own columns, which a report fed back
// as input carries: they are replaced, not repeated.
func isReportColumn(h string) bool {
	for _, c := range ReportColumns {
		if strings.EqualFold(strings.TrimSpace(h), c) {
			return true
		}
	}
	return false
}

// openReport creates the report for the input read by in. A CSV or TSV
// report keeps a CSV or TSV input's dialect, so that it opens like the
// input did: its delimiter (CSV
// report) and a BOM when the input had one or was not UTF-8.
func openReport(path string, in formats.RowReader) (*reportWriter, error) {
	header := in.Header()
	format, err := formats.DetectFormat(path)
	if err != nil {
		return nil, inputErr("report %s: %v", path, err)
	}
	f, err := formats.CreateFile(path)
	if err != nil {
		return nil, inputErr("cannot create the report: %v; write it elsewhere with --report PATH", err)
	}
	cols := append([]string{}, ReportColumns...)
	var keep []int
	for i, h := range header {
		if !isReportColumn(h) {
			keep = append(keep, i)
			cols = append(cols, h)
		}
	}
	opts := formats.WriterOptions{Format: format, Header: cols, Sheet: "Report"}
	if d, ok := formats.InputDialect(in); ok {
		opts.Delimiter, opts.BOM = d.Delimiter, d.BOM
	}
	out, gz := formats.Compress(path, f)
	w, err := formats.NewWriter(out, opts)
	if err != nil {
		f.Close()
		return nil, inputErr("cannot write the report %s: %v", path, err)
	}
	return &reportWriter{f: f, gz: gz, w: w, keep: keep, line: make([]string, len(cols))}, nil
}

// Write writes one outcome. Token-shaped words (a token pasted into a
// cell, or echoed in a server's message) are hidden, as on stderr.
func (rw *reportWriter) Write(o *Outcome) error {
	l := rw.line
	l[0] = strconv.Itoa(o.Num)
	l[1] = string(o.Result)
	l[2] = o.CustomerID
	l[3] = ""
	if o.HTTPStatus != 0 {
		l[3] = strconv.Itoa(o.HTTPStatus)
	}
	l[4] = apiclient.RedactTokens(o.Error)
	l[5] = o.Changes
	if o.From != "" {
		if l[5] != "" {
			l[5] += "; "
		}
		l[5] += o.From
	}
	l[5] = apiclient.RedactTokens(l[5])
	for k, i := range rw.keep {
		if i < len(o.Cells) {
			l[6+k] = apiclient.RedactTokens(o.Cells[i])
		} else {
			l[6+k] = ""
		}
	}
	return rw.w.Write(l)
}

// Close flushes the report, syncs it and its directory to the disk (the
// journal is removed after it: see durable.go) and closes the file.
func (rw *reportWriter) Close() error {
	err := rw.w.Close()
	if gerr := rw.gz(); err == nil {
		err = gerr
	}
	if cerr := syncClose(rw.f); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncDirOf(rw.f.Name())
	}
	return err
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

// AbortedError says the run stopped part way (403, --max-errors, a fatal
// server condition). The report is still complete.
type AbortedError struct{ Reason string }

// ReadError is an input that turned unreadable after rows were read (a
// damaged workbook, binary data after a good header): the rows before
// were reported, the rest of the input was not read. It is not a failure
// to write the report.
type ReadError struct{ Err error }

// Error names the input and the place.
func (e *ReadError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *ReadError) Unwrap() error { return e.Err }

// IsReadError reports whether err is a *ReadError.
func IsReadError(err error) bool {
	var re *ReadError
	return errors.As(err, &re)
}

// Error returns why the run stopped.
func (e *AbortedError) Error() string { return e.Reason }

// NoIDError is a server answer that names a customer without an id: a
// customer of the list, or a 201 to a create. Nothing can be matched to
// such a customer or undone, and a guess could create it again, so the
// run stops.
type NoIDError struct {
	What  string // "the customer list", "the answer to a create"
	Email string // the customer's email, if any
}

// Error says what the server sent and what follows.
func (e *NoIDError) Error() string {
	who := "a customer"
	if e.Email != "" {
		who = fmt.Sprintf("the customer %q", e.Email)
	}
	return fmt.Sprintf("the server sent %s without an id (neither \"id\" nor \"_id\") in %s; the run stops so that no row is matched to it by guess or created a second time: check the API URL and the server", who, e.What)
}

// IsAborted reports whether err is an *AbortedError.
func IsAborted(err error) bool {
	var ae *AbortedError
	return errors.As(err, &ae)
}

// record writes one finished row, in input order.
func (im *importer) record(j *job) error {
	o := &j.out
	if im.reportErr == nil {
		if err := im.rw.Write(o); err != nil {
			// The disk is full, say: no new row is sent, but what the
			// rows already sent did is still counted and journaled.
			im.reportErr = err
			im.abort("the report could not be written", fmt.Sprintf("writing the report %s failed: %v", im.in.report, err))
		} else {
			im.sum.ReportRows++
		}
	}
	im.sum.add(o)
	im.cfg.reportProblem(im.sum, o.Result)
	if j.leftOut {
		im.sum.LeftOut++
	}
	if im.cfg.OnRow != nil {
		im.cfg.OnRow(im.sum.Rows)
	}
	res := o.Result
	if res == ResultSkipped && j.plan.result != "" {
		res = j.plan.result
	}
	// A row settled without a call (a create of the interrupted run
	// found by email) has its undo line written here, before its
	// outcome is journaled, as a sent row has in journalDone.
	im.addUndo(j)
	if confirmed(res) && !im.cfg.DryRun && !j.journaled {
		if err := im.journal.add(journalEntry{Row: o.Num, Key: j.key, Result: res, ID: o.CustomerID, Hash: j.hash}); err != nil {
			return fmt.Errorf("writing the journal: %w", err)
		}
	}
	return nil
}
