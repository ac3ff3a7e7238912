package batch

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
	"aivabatch/formats"
)

// noFlags fails when a library error's sentence names a command-line
// flag: the command line words the options (errwords.go in main).
func noFlags(t *testing.T, err error) {
	t.Helper()
	if strings.Contains(err.Error(), "--") || strings.Contains(err.Error(), " -o ") {
		t.Errorf("the library's error names a flag: %v", err)
	}
}

// TestErrorsAreTypedValues: the errors that point the user to an option
// are typed values with the facts (which option, the path, the counts,
// the fix), and their sentences name no flag.
func TestErrorsAreTypedValues(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	dir := t.TempDir()
	in := customersCSV(t, dir, 3)
	report := filepath.Join(dir, "customers.report.csv")

	t.Run("unfinished run", func(t *testing.T) {
		jp := writeFile(t, dir, "customers.report.csv.journal", "")
		defer os.Remove(jp)
		_, err := Import(context.Background(), importCfg(in, newClient(t, sb.URL, sandbox.TokenReadWrite, nil)))
		var ue *UnfinishedError
		if !IsInputError(err) || !errors.As(err, &ue) || ue.Journal != jp {
			t.Fatalf("err = %v, want an *UnfinishedError naming %s", err, jp)
		}
		noFlags(t, err)
	})

	t.Run("write refused", func(t *testing.T) {
		cfg := importCfg(in, newClient(t, sb.URL, sandbox.TokenReadOnly, nil))
		cfg.Report = filepath.Join(dir, "ro.report.csv")
		sum, err := Import(context.Background(), cfg)
		var ae *AbortedError
		if !errors.As(err, &ae) || ae.Fix != FixResume || ae.Limit != nil || !strings.Contains(ae.Reason, "HTTP 403") {
			t.Fatalf("err = %#v, want an *AbortedError for HTTP 403 whose fix is FixResume", err)
		}
		if sum.Aborted != err.Error() {
			t.Errorf("summary Aborted = %q, want the error's sentence %q", sum.Aborted, err)
		}
		noFlags(t, err)
	})

	t.Run("undo file", func(t *testing.T) {
		_, err := openUndo(filepath.Join(dir, "u.xlsx"), false)
		var fe *FileError
		if !IsInputError(err) || !errors.As(err, &fe) || fe.Option != OptUndo || fe.Problem != FileNotAppendable || fe.Path != filepath.Join(dir, "u.xlsx") {
			t.Fatalf("err = %v, want a *FileError of the undo file, not appendable", err)
		}
		noFlags(t, err)
		_, err = openUndo(in, true)
		if !errors.As(err, &fe) || fe.Option != OptUndo || fe.Problem != FileNotOurs || !strings.HasPrefix(fe.Detail, "action,id,") {
			t.Fatalf("err = %v, want a *FileError: not an undo file", err)
		}
		noFlags(t, err)
	})

	t.Run("export state", func(t *testing.T) {
		bad := writeFile(t, dir, "state.json", "not json")
		_, err := readExportState(bad)
		var fe *FileError
		if !errors.As(err, &fe) || fe.Option != OptState || fe.Problem != FileNotOurs || fe.Path != bad || fe.Err == nil {
			t.Fatalf("err = %v, want a *FileError of the export state", err)
		}
		noFlags(t, err)
		old := writeFile(t, dir, "old.json", `{"watermark":"yesterday"}`)
		_, err = readExportState(old)
		if !errors.As(err, &fe) || fe.Problem != FileBadWatermark || fe.Detail != "yesterday" {
			t.Fatalf("err = %v, want a *FileError: bad watermark", err)
		}
		noFlags(t, err)
	})

	t.Run("previous report", func(t *testing.T) {
		var done doneTable
		err := loadReport(in, &done, reportKeyer{}, formats.ReaderOptions{})
		var fe *FileError
		if !errors.As(err, &fe) || fe.Option != OptResume || fe.Problem != FileNotOurs || fe.Path != in {
			t.Fatalf("err = %v, want a *FileError: not a report", err)
		}
		noFlags(t, err)
	})

	t.Run("same file", func(t *testing.T) {
		err := CheckDistinct(NamedPath{Name: "the input", Path: in}, NamedPath{Name: "the report", Path: in, Option: OptReport})
		var pe *PathError
		if !IsInputError(err) || !errors.As(err, &pe) || pe.Problem != PathOverwritesInput || pe.Path.Option != OptReport || pe.Other.Path != in {
			t.Fatalf("err = %v, want a *PathError: the report overwrites the input", err)
		}
		noFlags(t, err)
		err = CheckOutputs(NamedPath{Name: "the undo file", Path: filepath.Join(dir, "no", "u.csv"), Option: OptUndo})
		if !errors.As(err, &pe) || pe.Problem != PathNoDir || pe.Dir != filepath.Join(dir, "no") {
			t.Fatalf("err = %v, want a *PathError: no directory", err)
		}
		noFlags(t, err)
	})

	t.Run("foreign ids", func(t *testing.T) {
		foreign := writeFile(t, dir, "foreign.csv", "ID,name,email", "241a444f0b330b22,Ann,ann@example.com", "527fbda08922b018,Bo,bo@example.com")
		_, err := Import(context.Background(), importCfg(foreign, newClient(t, sb.URL, sandbox.TokenReadWrite, nil)))
		var fe *ForeignIDError
		if !IsInputError(err) || !errors.As(err, &fe) || fe.Column != "ID" || fe.Found != 0 || fe.Checked != 2 || fe.MatchEmail {
			t.Fatalf("err = %v, want a *ForeignIDError for the column ID", err)
		}
		noFlags(t, err)
	})

	t.Run("row messages", func(t *testing.T) {
		// The report's _error names options as the caller does, in words
		// by default.
		for _, flags := range []bool{false, true} {
			cfg := importCfg(in, newClient(t, sb.URL, sandbox.TokenReadWrite, nil))
			cfg.Report, cfg.Limit = filepath.Join(dir, "limit.report.csv"), 1
			want := "not sent: beyond limit 1; to send it, run the same command again with resume and without limit"
			if flags {
				cfg.Report = filepath.Join(dir, "limit-flags.report.csv")
				cfg.OptionName = func(o Option) string { return "--" + o.String() }
				want = "not sent: beyond --limit 1; to send it, run the same command again with --resume and without --limit"
			}
			if _, err := Import(context.Background(), cfg); err != nil {
				t.Fatal(err)
			}
			rows := readReport(t, cfg.Report)
			if len(rows) != 3 || rows[2]["_result"] != string(ResultNotAttempted) || rows[2]["_error"] != want {
				t.Errorf("row 4 of %d: %q, want %q", len(rows), rows[len(rows)-1]["_error"], want)
			}
		}
	})

	t.Run("stdin without format", func(t *testing.T) {
		_, err := Validate(context.Background(), ValidateConfig{InputConfig: InputConfig{Path: "-", Stdin: strings.NewReader("name\n"), Report: report}})
		var ne *NeedsOptionError
		if !IsInputError(err) || !errors.As(err, &ne) || ne.Option != OptFormat {
			t.Fatalf("err = %v, want a *NeedsOptionError for the format", err)
		}
		noFlags(t, err)
	})
}
