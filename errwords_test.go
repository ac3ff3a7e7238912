package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"aivabatch/apiclient"
	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
	"aivabatch/batch"
	"aivabatch/batch/customer"
	"aivabatch/formats"
)

// TestErrorWords: the library's typed errors are worded with the flags
// that fix them, word for word as the library said them before it held
// typed values; wrappers around them are kept.
func TestErrorWords(t *testing.T) {
	cause := errors.New("disk full")
	lock := &batch.LockedError{Path: "s.json.lock", PID: 42}
	finished := time.Date(2026, 3, 4, 5, 6, 0, 0, time.Local)
	tests := []struct {
		err  error
		want string
	}{
		{&batch.InputError{Err: &batch.UnfinishedError{Journal: "r.csv.journal"}},
			"the previous run with this report did not finish (r.csv.journal is there): add --resume to continue it without duplicates, or delete that file to start over"},
		{&batch.InputError{Err: &batch.FileError{Option: batch.OptReport, Problem: batch.FileLockFailed, Err: cause}},
			"disk full; write the report elsewhere with --report PATH"},
		{&batch.InputError{Err: &batch.FileError{Option: batch.OptReport, Problem: batch.FileUncreatable, Path: "r.csv", Err: cause}},
			"cannot create the report: disk full; write it elsewhere with --report PATH"},
		{&batch.FileError{Option: batch.OptUndo, Problem: batch.FileWrongFormat, Path: "u.doc", Err: cause},
			"--undo u.doc: disk full"},
		{&batch.FileError{Option: batch.OptUndo, Problem: batch.FileNotAppendable, Path: "u.xlsx"},
			"--undo u.xlsx: the undo file is written row by row as the run goes and appended to by --resume, so it must be .csv, .tsv or .ndjson"},
		{&batch.FileError{Option: batch.OptUndo, Problem: batch.FileNotOurs, Path: "u.csv", Detail: "action,id"},
			`--undo u.csv is not an undo file of aivabatch (its first line is not "action,id"), so --resume cannot append to it: give the undo file of the run being resumed, or another path`},
		{&batch.FileError{Option: batch.OptState, Problem: batch.FileUnreadable, Path: "s.json", Err: cause},
			"--state: cannot read s.json: disk full"},
		{&batch.FileError{Option: batch.OptState, Problem: batch.FileNotOurs, Path: "s.json", Err: cause},
			"--state: s.json is not an aivabatch export state (disk full); give another path, or delete it to export everything again"},
		{&batch.FileError{Option: batch.OptState, Problem: batch.FileBadWatermark, Path: "s.json", Detail: "x"},
			`--state: s.json: watermark "x" is not an RFC 3339 time; delete the file to export everything again`},
		{&batch.FileError{Option: batch.OptState, Problem: batch.FileLockFailed, Err: cause},
			"--state: disk full"},
		{&batch.FileError{Option: batch.OptResume, Problem: batch.FileUnreadable, Path: "r.csv", Err: cause},
			"--resume: cannot read the previous report r.csv: disk full"},
		{&batch.FileError{Option: batch.OptResume, Problem: batch.FileNotOurs, Path: "r.csv"},
			"--resume: r.csv is not an aivabatch report (its first columns are not _row,_result,_customer_id); pass the right --report"},
		{&batch.FileError{Option: batch.OptResume, Problem: batch.FileBroken, Path: "r.csv", Err: cause},
			"--resume: reading r.csv: disk full"},
		{&batch.InputError{Err: &batch.BusyError{Option: batch.OptState, Path: "s.json", Lock: lock}},
			"another aivabatch process (pid 42) is running on --state s.json (lock s.json.lock): wait for it to finish, then run again" + lockHint(lock)},
		{&batch.InputError{Err: &batch.BusyError{Option: batch.OptReport, Path: "r.csv", Lock: lock}},
			"another aivabatch process (pid 42) is running on the report r.csv (lock s.json.lock): wait for it to finish, then run again" + lockHint(lock)},
		{&batch.RerunError{Problem: batch.RerunRecorded, Report: "r.csv", Runs: "r.csv.runs", Finished: finished, Created: 3},
			"an earlier run (2026-03-04 05:06, recorded in r.csv.runs) created 3 customers from this file; running again would create them again. Continue it with --resume (rows already done are skipped), or drop --match none (rows then find their customers by email: existing ones are updated, not created), or write elsewhere with --report"},
		{&batch.RerunError{Problem: batch.RerunRecordUnreadable, Report: "r.csv", Runs: "r.csv.runs", Err: cause},
			"cannot read r.csv.runs to check whether this file was imported already: disk full. Continue it with --resume (rows already done are skipped), or drop --match none (rows then find their customers by email: existing ones are updated, not created), or write elsewhere with --report"},
		{&batch.RerunError{Problem: batch.RerunReportUnreadable, Report: "r.csv", Err: cause},
			"cannot read the earlier report r.csv to check whether this file was imported already (disk full). Continue it with --resume (rows already done are skipped), or drop --match none (rows then find their customers by email: existing ones are updated, not created), or write elsewhere with --report, or move that report away"},
		{&batch.RerunError{Problem: batch.RerunInReport, Report: "r.csv", Created: 2},
			"r.csv says an earlier run created 2 customers from this file; running again would create them again. Continue it with --resume (rows already done are skipped), or drop --match none (rows then find their customers by email: existing ones are updated, not created), or write elsewhere with --report"},
		{&batch.AbortedError{Reason: "the API refused a write with HTTP 403 (no); use a token with the customers:write scope", Fix: batch.FixResume},
			"the API refused a write with HTTP 403 (no); use a token with the customers:write scope, then run again with --resume"},
		{&batch.AbortedError{Reason: "the rows not sent are not_attempted: see _error in the report for the failures, fix their cause", Fix: batch.FixResume, Limit: &batch.FailureLimit{Max: 5, Failed: 7}},
			"--max-errors 5 reached: 7 rows failed (2 more than the limit: requests already in flight finished); the rows not sent are not_attempted: see _error in the report for the failures, fix their cause, then run again with --resume"},
		{&batch.AbortedError{Reason: "the rows not sent are not_attempted: see _error in the report for the failures, fix their cause", Fix: batch.FixResume, Limit: &batch.FailureLimit{Percent: 12.5, Failed: 5, Sent: 40}},
			"--max-errors 12.5% reached: 5 of 40 rows sent failed; the rows not sent are not_attempted: see _error in the report for the failures, fix their cause, then run again with --resume"},
		{&batch.AbortedError{Reason: "sandbox: x"}, "sandbox: x"},
		{&batch.InputError{Err: &batch.NeedsOptionError{Option: batch.OptFormat, What: "reading from stdin"}},
			"reading from stdin needs --format csv|tsv|xlsx|ndjson"},
		{&batch.PathError{Problem: batch.PathOverwritesInput, Path: batch.NamedPath{Name: "the report", Path: "a.csv", Option: batch.OptReport}, Other: batch.NamedPath{Name: "the input", Path: "a.csv"}},
			"the report a.csv is the same file as the input a.csv: writing it would overwrite the input; give --report another path"},
		{&batch.PathError{Problem: batch.PathSameOutput, Path: batch.NamedPath{Name: "the undo file", Path: "u.csv", Option: batch.OptUndo}, Other: batch.NamedPath{Name: "the journal", Path: "u.csv", Option: batch.OptReport}},
			"the journal u.csv and --undo u.csv are the same file: one would overwrite the other; give --undo another path"},
		{&batch.PathError{Problem: batch.PathSameOutput, Path: batch.NamedPath{Name: "--summary-json", Path: "s", Flag: "--summary-json"}, Other: batch.NamedPath{Name: "the report", Path: "s", Option: batch.OptReport}},
			"the report s and --summary-json s are the same file: one would overwrite the other; give --summary-json another path"},
		{&batch.PathError{Problem: batch.PathIsDir, Path: batch.NamedPath{Name: "the output file", Path: "out", Option: batch.OptOutput}},
			"-o out is a directory; give a file path such as out/out.csv"},
		{&batch.PathError{Problem: batch.PathNotRegular, Path: batch.NamedPath{Name: "the report", Path: "p", Option: batch.OptReport}, Kind: "a named pipe"},
			"the report p is not a regular file (a named pipe): it must be a file the run can write and read back; give a file path"},
		{&batch.PathError{Problem: batch.PathUnusable, Path: batch.NamedPath{Name: "the report", Path: "p", Option: batch.OptReport}, Err: cause},
			"the report p: disk full"},
		{&batch.PathError{Problem: batch.PathNoDir, Path: batch.NamedPath{Name: "the journal", Path: "d/p", Option: batch.OptReport}, Dir: "d"},
			"the journal d/p: the directory d does not exist; create it or give another path with --report"},
		{&batch.PathError{Problem: batch.PathDirNotDir, Path: batch.NamedPath{Name: "the undo file", Path: "d/p", Option: batch.OptUndo}, Dir: "d"},
			"--undo d/p: d is not a directory; give another path with --undo"},
		{&batch.PathError{Problem: batch.PathDirUnwritable, Path: batch.NamedPath{Name: "the report", Path: "d/p", Option: batch.OptReport}, Dir: "d", Err: cause},
			"the report d/p: cannot write in the directory d (disk full); give another path with --report"},
		{&batch.InputError{Err: &batch.ForeignIDError{Column: "ID", Checked: 2, MatchEmail: true}},
			`the column "ID" holds no id of this tenant (0 of the first 2 found): it is probably another system's key (Outlook, HubSpot, a CRM); nothing was sent. Ignore it with --map "ID=-": rows are then matched by email`},
		{&batch.ForeignIDError{Column: "Contact Id", Found: 1, Checked: 20},
			`the column "Contact Id" holds few ids of this tenant (1 of the first 20 found): it is probably another system's key (Outlook, HubSpot, a CRM); nothing was sent. Ignore it with --map "Contact Id=-" --match email: rows are then matched by email`},
		// A wrapper's words are kept.
		{fmt.Errorf("in.csv: %w", &batch.InputError{Err: &batch.UnfinishedError{Journal: "j"}}),
			"in.csv: the previous run with this report did not finish (j is there): add --resume to continue it without duplicates, or delete that file to start over"},
		// A format the name does not tell, alone, wrapped, and in batch's
		// words of a file the run cannot use.
		{&batch.InputError{Err: &formats.FormatError{Problem: formats.FormatNoExtension, Path: "out"}},
			"cannot tell the format of out from its name (it has no extension); give --format csv, tsv, xlsx or ndjson"},
		{&batch.InputError{Err: fmt.Errorf("x.xlsx: %w", &formats.FormatError{Problem: formats.FormatNotWorkbook})},
			"x.xlsx: the file is not an XLSX workbook (it is not a zip archive); save it as .xlsx, or give --format csv if it is text"},
		{&batch.InputError{Err: &batch.FileError{Option: batch.OptUndo, Problem: batch.FileWrongFormat, Path: "u.doc", Err: &formats.FormatError{Problem: formats.FormatUnknownExtension, Path: "u.doc", Ext: ".doc"}}},
			`--undo u.doc: cannot tell the format of u.doc from its extension ".doc"; give --format csv, tsv, xlsx or ndjson`},
		{&batch.FileError{Option: batch.OptResume, Problem: batch.FileUnreadable, Path: "r.xls", Err: &formats.FormatError{Problem: formats.FormatOldXLS, Path: "r.xls"}},
			"--resume: cannot read the previous report r.xls: r.xls is an old .xls workbook, which is not supported; save it as .xlsx (or give --format if it really is another format)"},
		{&batch.RerunError{Problem: batch.RerunReportUnreadable, Report: "r.xlsx", Err: &formats.FormatError{Problem: formats.FormatNotWorkbook}},
			"cannot read the earlier report r.xlsx to check whether this file was imported already (the file is not an XLSX workbook (it is not a zip archive); save it as .xlsx, or give --format csv if it is text). Continue it with --resume (rows already done are skipped), or drop --match none (rows then find their customers by email: existing ones are updated, not created), or write elsewhere with --report, or move that report away"},
		{&batch.InputError{Err: &formats.FormatError{Problem: formats.FormatUnknownInGzip, Path: "a.gz"}},
			"cannot tell the format of a.gz from its name; name it .csv.gz, .tsv.gz, .ndjson.gz or .jsonl.gz, or give --format csv, tsv or ndjson (the format inside the gzip)"},
	}
	for _, tt := range tests {
		if got := errorText(tt.err); got != tt.want {
			t.Errorf("errorText(%#v)\n got: %s\nwant: %s", tt.err, got, tt.want)
		}
	}
}

// TestOptionFlags: the packages below batch name their options as the
// command line's hooks give them, its flags, word for word as they
// spelled the flags themselves before.
func TestOptionFlags(t *testing.T) {
	for o := formats.OptFormat; o <= formats.OptListSheets; o++ {
		if f := formatsFlag(o); !strings.Contains(f, "--") {
			t.Errorf("formats option %v has no flag: %q", o, f)
		}
	}
	for o := customer.OptMap; o <= customer.OptMatch; o++ {
		if f := customerFlag(o); !strings.HasPrefix(f, "--") {
			t.Errorf("customer option %v has no flag: %q", o, f)
		}
	}
	if f := apiclientFlag(apiclient.OptMaxWait); f != "--max-wait" {
		t.Errorf("apiclient.OptMaxWait is %q", f)
	}

	_, err := formats.NewReader(strings.NewReader("name\n"), formats.ReaderOptions{OptionName: formatsFlag})
	if want := "reading from a stream needs a format; give --format csv, tsv, xlsx or ndjson"; err == nil || err.Error() != want {
		t.Errorf("formats: %v, want %q", err, want)
	}
	_, err = customer.MapHeader([]string{"name", "Fax"}, customer.MapOptions{OptionName: customerFlag})
	want := "the file has 1 column that matches no customer field: \"Fax\".\n" +
		"No column has an obvious match: map one with --map \"Column=field\" (fields: id, firstName, lastName, name, email, phone, status, type, value, autoPayment, notes, action), ignore it with --map \"Fax=-\", or ignore all of them with --ignore-unknown.\n" +
		"No column holds email, which a new customer (and --match email) needs; if a column holds it under another name, map it with --map \"Column=email\".\n" +
		"All together: --ignore-unknown"
	if err == nil || err.Error() != want {
		t.Errorf("customer: %v\nwant %s", err, want)
	}
}

// lockHint is what the lock message adds about a stale lock, as the
// library words it (no flag in it).
func lockHint(le *batch.LockedError) string {
	s := (&batch.BusyError{Option: batch.OptReport, Path: "x", Lock: le}).Error()
	_, hint, _ := strings.Cut(s, "then run again")
	return hint
}

// TestErrorWordsOnTheCommandLine: the command line names the flags the
// library's typed errors point to, in the error line, the summary and
// --summary-json.
func TestErrorWordsOnTheCommandLine(t *testing.T) {
	t.Parallel()
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	dir := t.TempDir()
	rw := map[string]string{"AIVA_API_URL": sb.URL, "AIVA_TOKEN": sandbox.TokenReadWrite}
	good := writeLines(t, filepath.Join(dir, "good.csv"), "name,email", "Ana,ana@example.com")
	// Customers of the tenant whose updates the server answers 404.
	if err := sb.Seed(sandbox.TenantDemo, 20, func(i int) apiclient.Customer {
		return apiclient.Customer{Name: fmt.Sprintf("C %d", i), Email: fmt.Sprintf("c%d@example.com", i)}
	}); err != nil {
		t.Fatal(err)
	}
	lines := []string{"id,name"}
	for i, c := range sb.Customers(sandbox.TenantDemo) {
		lines = append(lines, fmt.Sprintf("%s,Name %d", c.ID, i))
	}
	missing := writeLines(t, filepath.Join(dir, "missing.csv"), lines...)
	gone := map[string]string{"AIVA_API_URL": sandboxtest.GoneOnWrite(t, sb), "AIVA_TOKEN": sandbox.TokenReadWrite}
	fresh := writeLines(t, filepath.Join(dir, "fresh.csv"), "name,email", "Bo,bo@example.com")
	two := writeLines(t, filepath.Join(dir, "two.csv"), "name,email", "Cy,cy@example.com", "Di,di@example.com")
	writeLines(t, filepath.Join(dir, "good.report.csv.journal"))
	state := writeLines(t, filepath.Join(dir, "state.json"), "not json")
	summary := filepath.Join(dir, "summary.json")

	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"unfinished run", rw, []string{"import", good}, exitInput,
			"aivabatch: the previous run with this report did not finish (" + filepath.Join(dir, "good.report.csv.journal") + " is there): add --resume to continue it without duplicates, or delete that file to start over\n"},
		{"undo file", rw, []string{"import", fresh, "--undo", filepath.Join(dir, "u.xlsx")}, exitInput,
			"aivabatch: --undo " + filepath.Join(dir, "u.xlsx") + ": the undo file is written row by row as the run goes and appended to by --resume, so it must be .csv, .tsv or .ndjson\n"},
		{"export state", rw, []string{"export", "-o", filepath.Join(dir, "out.csv"), "--state", state}, exitInput,
			"aivabatch: --state: " + state + " is not an aivabatch export state (invalid character 'o' in literal null (expecting 'u')); give another path, or delete it to export everything again\n"},
		{"max errors", gone, []string{"import", missing, "--mode", "update", "--max-errors", "3", "--workers", "1", "--no-progress", "--summary-json", summary}, exitAborted,
			"aivabatch: --max-errors 3 reached: 3 rows failed; the rows not sent are not_attempted: see _error in the report for the failures, fix their cause, then run again with --resume\n"},
		{"limit", rw, []string{"import", two, "--limit", "1", "--no-progress"}, exitOK, "\n"},
	}
	for _, tt := range tests {
		stdio, _, errOut := testIO(tt.env)
		if code := run(context.Background(), tt.args, stdio); code != tt.code {
			t.Errorf("%s: exit %d, want %d\n%s", tt.name, code, tt.code, errOut)
		}
		if !strings.HasSuffix(errOut.String(), tt.want) {
			t.Errorf("%s: stderr\n%s\nwant it to end with\n%s", tt.name, errOut, tt.want)
		}
	}
	// The report's row messages name the flags too.
	for report, want := range map[string]string{
		"missing.report.csv": ",not_attempted,,,not sent: the run stopped because --max-errors was reached; run again with --resume,",
		"two.report.csv":     `,not_attempted,,,"not sent: beyond --limit 1; to send it, run the same command again with --resume and without --limit",`,
	} {
		b, err := os.ReadFile(filepath.Join(dir, report))
		if err != nil || !strings.Contains(string(b), want) {
			t.Errorf("%s (%v) has no _error %q:\n%s", report, err, want, b)
		}
	}
	b, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	var s struct{ Aborted string }
	if err := json.Unmarshal(b, &s); err != nil || !strings.HasPrefix(s.Aborted, "--max-errors 3 reached: 3 rows failed;") || !strings.HasSuffix(s.Aborted, "then run again with --resume") {
		t.Errorf("--summary-json aborted = %q (%v), want the error line's words", s.Aborted, err)
	}
}
