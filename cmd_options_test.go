package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"aivabatch/batch"
	"aivabatch/formats"
)

// sp is fmt.Sprintln without the line end: a space between all operands.
func sp(a ...any) string { return strings.TrimSuffix(fmt.Sprintln(a...), "\n") }

// The flags → options layer of each command, tested without running it
// (the GitHub CLI's first test layer): what a command line turns into.

func TestImportFlagsToOptions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := writeLines(t, filepath.Join(dir, "c.csv"), "name,email", "Ana,ana@example.com")
	tests := []struct {
		args    []string
		check   func(o *importOptions) string
		wantErr string
	}{
		{args: []string{in}, check: func(o *importOptions) string {
			c := o.cfg
			return sp(c.Workers, c.Retries, c.Settle, c.Resume, c.DryRun, c.BlankClear, c.MaxErrors, c.Timeout, c.Path)
		}},
		{args: []string{in, "--workers", "8", "--retries", "2", "--timeout", "3s", "--resume", "--settle", "5s", "--blank", "clear"},
			check: func(o *importOptions) string {
				c := o.cfg
				return sp(c.Workers, c.Retries, c.Settle, c.Resume, c.BlankClear, c.Timeout, c.Drain)
			}},
		{args: []string{in, "--max-errors", "5%", "--match", "email", "--mode", "create"},
			check: func(o *importOptions) string {
				return sp(o.cfg.MaxErrors, o.cfg.MaxErrorsPercent, o.cfg.MatchEmail, o.cfg.Mode)
			}},
		{args: []string{in, "--format", "JSONL", "--map", "A=name", "--map", "B=-", "--ignore-unknown", "--sheet", "S", "--delimiter", "tab"},
			check: func(o *importOptions) string {
				r := o.cfg.Reader
				return fmt.Sprintf("%s %q %v %s %q", r.Format, r.Delimiter, o.cfg.Map.IgnoreUnknown, r.Sheet, o.in.maps)
			}},
		{args: []string{in, "--max-errors", "lots"}, wantErr: `--max-errors "lots": give a count (50) or a percentage (5%)`},
		{args: []string{in, "--blank", "maybe"}, wantErr: `--blank "maybe": use keep or clear`},
		{args: []string{in, "--settle", "-1s"}, wantErr: "--settle must not be negative"},
		{args: []string{in, "--workers", "0"}, wantErr: "--workers must be at least 1"},
		{args: []string{in, "--format", "xml"}, wantErr: `--format: unknown format "xml"`},
		{args: []string{}, wantErr: "import needs exactly one FILE"},
	}
	want := []string{
		"4 5 -1ns false false false 0 30s " + in,
		"8 2 5s true true 3s 3s",
		"0 5 true create",
		`ndjson '\t' true S ["A=name" "B=-"]`,
	}
	for i, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			stdio, _, _ := testIO(nil)
			o, err := parseImport(lookupCommand("import"), tt.args, stdio)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.check(o); got != want[i] {
				t.Errorf("options %s, want %s", got, want[i])
			}
		})
	}
}

func TestValidateFlagsToOptions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := writeLines(t, filepath.Join(dir, "c.csv"), "name,email", "Ana,ana@example.com")
	stdio, _, _ := testIO(nil)
	o, err := parseValidate(lookupCommand("validate"), []string{in, "--report", filepath.Join(dir, "r.xlsx"), "--encoding", "latin1", "--quiet"}, stdio)
	if err != nil {
		t.Fatal(err)
	}
	if o.cfg.Report != filepath.Join(dir, "r.xlsx") || o.cfg.Reader.Encoding != "latin1" || !o.in.quiet || o.listSheets {
		t.Errorf("options %+v", o.cfg)
	}
	if o, err := parseValidate(lookupCommand("validate"), []string{"--list-sheets", "book.xlsx"}, stdio); err != nil || !o.listSheets || o.path != "book.xlsx" {
		t.Errorf("--list-sheets: %+v %v", o, err)
	}
	if _, err := parseValidate(lookupCommand("validate"), []string{in, "--encoding", "ebcdic"}, stdio); err == nil || !strings.Contains(err.Error(), "ebcdic") {
		t.Errorf("bad encoding: %v", err)
	}
}

func TestExportFlagsToOptions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	stdio, _, _ := testIO(nil)
	out := filepath.Join(dir, "o.xlsx")
	o, err := parseExport(lookupCommand("export"), []string{"-o", out, "--columns", "email, name", "--status", "active,blocked", "--updated-since", "7d",
		"--created-since", "2026-01-31", "--no-escape-formulas", "--state", filepath.Join(dir, "n.state")}, stdio, now)
	if err != nil {
		t.Fatal(err)
	}
	c := o.cfg
	got := sp(c.Output == out, c.Format, c.Columns, c.Status, c.UpdatedSince.Format(time.RFC3339), c.CreatedSince.Format(time.DateOnly), c.EscapeFormulas, c.State != "")
	if want := "true  [email name] [active blocked] 2026-11-25T00:00:00Z 2026-01-31 false true"; got != want {
		t.Errorf("options %s, want %s", got, want)
	}
	for _, tt := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"--status", "gone"}, `--status "gone": use active, inactive or blocked`},
		{[]string{"--updated-since", "yesterday"}, "--updated-since:"},
		{[]string{"--full"}, "--full goes with --state"},
		{[]string{"-o", out, "--summary-json", out}, "-o"},
		{[]string{"customers.csv"}, "export takes no FILE argument; use -o customers.csv"},
	} {
		_, err := parseExport(lookupCommand("export"), tt.args, stdio, now)
		var ue *usageError
		if err == nil || !errors.As(err, &ue) && !batch.IsInputError(err) || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%v: error %v, want %q", tt.args, err, tt.wantErr)
		}
	}
	if o, err := parseExport(lookupCommand("export"), []string{"--format", "jsonl"}, stdio, now); err != nil || o.cfg.Format != formats.FormatNDJSON {
		t.Errorf("--format jsonl: %v %v", o, err)
	}
}
