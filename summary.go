package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"aivabatch/batch"
	"aivabatch/formats"
)

// readerWarnings collects what the reader warns about while a command
// runs (an encoding guessed, a header found below a preamble): the one
// route by which warnings reach the summary, beside the library's own.
type readerWarnings []string

// add is a formats.ReaderOptions.Warn.
func (w *readerWarnings) add(msg string) { *w = append(*w, msg) }

// attach puts the warnings in the summary, after the library's; without
// a summary (the run stopped before its first row) they are logged,
// before the error that stopped it, unless quiet.
func (w readerWarnings) attach(stdio *IO, sum *batch.Summary, quiet bool) {
	if sum != nil {
		sum.Warnings = append(sum.Warnings, w...)
		return
	}
	if !quiet {
		for _, msg := range w {
			stdio.log().Warn(msg)
		}
	}
}

// printSummary writes the summary to stderr: as text, the human block;
// as json, each warning and then one record with the summary's fields
// (those of --summary-json). runErr is the run's error, if any: when it
// stopped the report part way (a full disk), the summary says so, and
// what to do.
func printSummary(stdio *IO, s *batch.Summary, runErr error) {
	inc := incompleteReport(s, runErr)
	if stdio.jsonLogs() {
		summaryRecords(stdio.log(), s, runErr, inc)
		return
	}
	var b strings.Builder
	w := &b
	fmt.Fprintln(w, summaryLine(s, runErr))
	for _, warning := range s.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warning)
	}
	switch {
	case inc != nil:
		fmt.Fprintf(w, "report: %s is INCOMPLETE: writing stopped (%s), so it holds at most the first %d rows\n", s.Report, inc.cause, inc.rows)
		if inc.journal != "" {
			fmt.Fprintf(w, "journal: %s keeps the confirmed results it could write: %s (a create not in it is looked up by email before it is sent again)\n", inc.journal, inc.next)
		} else {
			fmt.Fprintf(w, "%s (%s changed nothing to keep)\n", inc.next, s.Command)
		}
	case s.Report != "":
		fmt.Fprintf(w, "report: %s\n", s.Report)
	}
	if s.Output != "" {
		fmt.Fprintf(w, "output: %s\n", s.Output)
	}
	if len(s.FirstErrors) > 0 {
		fmt.Fprintln(w, "first problems:")
		for _, e := range s.FirstErrors {
			fmt.Fprintf(w, "  %s\n", e)
		}
		if n := s.Problems() - s.Counts[batch.ResultNotAttempted]; n > len(s.FirstErrors) {
			fmt.Fprintf(w, "  … and %d more rows; see the report\n", n-len(s.FirstErrors))
		}
	}
	// Why a run stopped comes last, as the "aivabatch: …" error line.
	stdio.log().Info(b.String())
}

// incomplete is a report that writing stopped part way, and what to do.
type incomplete struct {
	cause   string // why writing stopped, in a few words
	rows    int    // the report holds at most this many rows
	journal string // the journal that keeps the confirmed results, or ""
	next    string // what to do
}

// incompleteReport is the advice for a report that writing stopped part
// way, or nil when the report is complete (or there is none).
func incompleteReport(s *batch.Summary, runErr error) *incomplete {
	cause := writeFailure(runErr)
	if cause == "" || s.Report == "" {
		return nil
	}
	inc := &incomplete{cause: cause, rows: s.Rows, next: "once that is fixed, run the same command again"}
	if s.ReportRows > 0 {
		inc.rows = s.ReportRows
	}
	if jp := batch.PendingJournal(s.Report); s.Command == batch.CommandImport && jp != "" {
		inc.journal, inc.next = jp, "once that is fixed, run the same command again with --resume"
	}
	return inc
}

// summaryRecords writes the summary as json records: each warning, then
// one record whose fields are the summary's (command, rows, counts,
// elapsed_seconds, report, …), the same as --summary-json's.
func summaryRecords(lg *slog.Logger, s *batch.Summary, runErr error, inc *incomplete) {
	for _, w := range s.Warnings {
		lg.Warn(w)
	}
	var fields map[string]any
	b, err := json.Marshal(s)
	if err == nil {
		err = json.Unmarshal(b, &fields)
	}
	if err != nil {
		fields = map[string]any{"command": s.Command, "rows": s.Rows}
	}
	delete(fields, "warnings")
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	attrs := make([]slog.Attr, 0, len(keys)+4)
	for _, k := range keys {
		attrs = append(attrs, slog.Any(k, fields[k]))
	}
	if inc != nil {
		attrs = append(attrs, slog.Bool("report_incomplete", true), slog.String("write_error", inc.cause))
		if inc.journal != "" {
			attrs = append(attrs, slog.String("journal", inc.journal))
		}
		attrs = append(attrs, slog.String("next", inc.next))
	}
	lg.LogAttrs(context.Background(), slog.LevelInfo, summaryLine(s, runErr), attrs...)
}

// summaryLine is the summary's first line: "import: 3 rows: 2 created,
// 1 failed in 1.2s (2 rows/s)".
func summaryLine(s *batch.Summary, runErr error) string {
	keys := make([]string, 0, len(s.Counts))
	for r := range s.Counts {
		keys = append(keys, string(r))
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d %s", s.Counts[batch.Result(k)], k))
	}
	counts := strings.Join(parts, ", ")
	if counts == "" {
		counts = "no rows"
	}
	rows := fmt.Sprintf("%d rows", s.Rows)
	if writeFailure(runErr) != "" {
		rows = fmt.Sprintf("stopped part way: %d rows before writing failed", s.Rows)
		if s.ReportRows > 0 {
			rows = fmt.Sprintf("stopped part way when writing failed: %d rows", s.Rows)
		}
	}
	rate := ""
	if done := s.Rows - s.Counts[batch.ResultNotAttempted]; done > 0 && s.Elapsed > 0 {
		rate = fmt.Sprintf(" (%.0f rows/s)", float64(done)/s.Elapsed.Seconds())
	}
	return fmt.Sprintf("%s: %s: %s in %s%s", s.Command, rows, counts, s.Elapsed.Round(time.Millisecond), rate)
}

// writeFailure is the cause, in a few words, of a run that stopped
// because a file could not be written (a full disk, an I/O error); ""
// for every other outcome (finished, aborted, interrupted, bad input).
func writeFailure(err error) string {
	if err == nil || batch.IsAborted(err) || batch.IsInputError(err) || batch.IsReadError(err) || errors.Is(err, context.Canceled) || errors.Is(err, errInterrupted) {
		return ""
	}
	cause := err
	for u := errors.Unwrap(cause); u != nil; u = errors.Unwrap(cause) {
		cause = u
	}
	return cause.Error()
}

// printLeftOut says how many rows --skip and --limit left out, and how
// to take them.
func printLeftOut(stdio *IO, sum *batch.Summary) {
	if sum == nil || sum.LeftOut == 0 {
		return
	}
	var msg string
	switch sum.Command {
	case batch.CommandValidate:
		msg = fmt.Sprintf("left out: %d rows by --skip/--limit were not checked and are not in the report; run validate without them to check every row", sum.LeftOut)
	case batch.CommandImportDryRun:
		msg = fmt.Sprintf("left out: %d rows by --skip/--limit are not_attempted in the report (not planned)", sum.LeftOut)
	default:
		msg = fmt.Sprintf("left out: %d rows by --skip/--limit are not_attempted in the report; to send them, run the same command again with --resume and without --skip/--limit", sum.LeftOut)
	}
	stdio.log().Info(msg, slog.Int("left_out", sum.LeftOut))
}

// writeSummaryJSON writes --summary-json, atomically.
func writeSummaryJSON(path string, s *batch.Summary) error {
	if path == "" || s == nil {
		return nil
	}
	var b bytes.Buffer
	if err := s.WriteJSON(&b); err != nil {
		return fmt.Errorf("--summary-json: %w", err)
	}
	f, err := formats.CreateAtomic(path)
	if err != nil {
		return fmt.Errorf("--summary-json: %w", err)
	}
	defer f.Abort()
	// Token-shaped words (a token pasted into a cell, echoed by an
	// error) are hidden here as on stderr.
	if _, err := f.Write([]byte(redactTokens(b.String()))); err != nil {
		return fmt.Errorf("--summary-json: %w", err)
	}
	return f.Commit()
}
