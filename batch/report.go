package batch

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"aivabatch/apiclient"
	"aivabatch/formats"
)

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
		return nil, inputErr("report %s: %w", path, err)
	}
	f, err := formats.CreateFile(path)
	if err != nil {
		return nil, &InputError{Err: &FileError{Option: OptReport, Problem: FileUncreatable, Path: path, Err: err}}
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
	l[0] = ""
	if o.Num > 0 { // 0: a customer no row stands for (mirror, check)
		l[0] = strconv.Itoa(o.Num)
	}
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
