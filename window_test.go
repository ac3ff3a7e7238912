package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
	"aivabatch/batch"
	"aivabatch/formats"
)

// copySample copies samples/name into dir.
func copySample(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("samples", name))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// readReport returns the report's rows as _row → _result, failing on a
// row that appears twice, and the _customer_id of each row.
func readReport(t *testing.T, path string) (results, ids map[string]string) {
	t.Helper()
	r, err := formats.OpenReader(path, formats.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	results, ids = map[string]string{}, map[string]string{}
	for {
		row, err := r.Next()
		if err != nil {
			break
		}
		if _, dup := results[row.Cells[0]]; dup {
			t.Errorf("%s: row %s appears twice", path, row.Cells[0])
		}
		results[row.Cells[0]], ids[row.Cells[0]] = row.Cells[1], row.Cells[2]
	}
	return results, ids
}

// TestLimitThenResume: --limit 5 sends five rows and reports the rest
// not_attempted ("beyond --limit"), exit 0; --resume without it sends
// the rest: every row once, no customer twice.
func TestLimitThenResume(t *testing.T) {
	t.Parallel()
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	env := map[string]string{"AIVA_API_URL": sb.URL, "AIVA_TOKEN": sandbox.TokenReadWrite}
	dir := t.TempDir()
	in := copySample(t, dir, "customers.csv")
	report := filepath.Join(dir, "customers.report.csv")

	stdio, _, errOut := testIO(env)
	if code := run(context.Background(), []string{"import", in, "--limit", "5", "--no-progress", "--rate", "0"}, stdio); code != exitOK {
		t.Fatalf("--limit 5: exit %d, want 0; stderr:\n%s", code, errOut)
	}
	if got := sb.Count(sandbox.TenantDemo); got != 5 {
		t.Fatalf("after --limit 5 the tenant has %d customers, want 5", got)
	}
	if !strings.Contains(errOut.String(), "left out: 35 rows") {
		t.Errorf("summary does not say 35 rows were left out:\n%s", errOut)
	}
	res, _ := readReport(t, report)
	if len(res) != 40 {
		t.Fatalf("report after --limit has %d rows, want all 40", len(res))
	}
	count := map[string]int{}
	for _, r := range res {
		count[r]++
	}
	if count["created"] != 5 || count["not_attempted"] != 35 {
		t.Errorf("report after --limit 5: %v, want 5 created, 35 not_attempted", count)
	}
	b, _ := os.ReadFile(report)
	if !strings.Contains(string(b), "beyond --limit 5") {
		t.Errorf("report does not say why rows were left out")
	}

	stdio, _, errOut = testIO(env)
	if code := run(context.Background(), []string{"import", in, "--resume", "--no-progress", "--rate", "0"}, stdio); code != exitOK {
		t.Fatalf("--resume: exit %d, want 0; stderr:\n%s", code, errOut)
	}
	custs := sb.Customers(sandbox.TenantDemo)
	if len(custs) != 40 {
		t.Errorf("after --resume the tenant has %d customers, want 40", len(custs))
	}
	emails := map[string]bool{}
	for _, c := range custs {
		if emails[strings.ToLower(c.Email)] {
			t.Errorf("customer %s created twice", c.Email)
		}
		emails[strings.ToLower(c.Email)] = true
	}
	res, ids := readReport(t, report)
	count = map[string]int{}
	for row, r := range res {
		count[r]++
		if ids[row] == "" {
			t.Errorf("row %s has no customer id after --resume", row)
		}
	}
	if len(res) != 40 || count["skipped"] != 5 || count["created"] != 35 {
		t.Errorf("report after --resume: %d rows, %v; want 40 rows, 5 skipped, 35 created", len(res), count)
	}
}

// TestSkipLimit checks which rows --skip and --limit take, through the
// command, in import's report and validate's.
func TestSkipLimit(t *testing.T) {
	t.Parallel()
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	env := map[string]string{"AIVA_API_URL": sb.URL, "AIVA_TOKEN": sandbox.TokenReadWrite}
	dir := t.TempDir()
	in := writeLines(t, filepath.Join(dir, "in.csv"), "name,email",
		"A,a@example.com", "B,b@example.com", ",bad", "D,d@example.com", "E,e@example.com")
	tests := []struct {
		name     string
		args     []string
		want     int
		report   string
		wantRows map[string]string // _row → _result
		wantErr  string
	}{
		{name: "validate skip and limit", args: []string{"validate", in, "--skip", "1", "--limit", "2"}, want: exitRowProblems,
			report: "in.validate.csv", wantRows: map[string]string{"3": "valid", "4": "invalid"}, wantErr: "left out: 3 rows"},
		{name: "validate skip past the bad row", args: []string{"validate", in, "--skip", "3"}, want: exitOK,
			report: "in.validate.csv", wantRows: map[string]string{"5": "valid", "6": "valid"}, wantErr: "left out: 3 rows"},
		{name: "dry run skip", args: []string{"import", in, "--dry-run", "--skip", "3", "--limit", "1"}, want: exitOK,
			report: "in.dry-run.csv", wantRows: map[string]string{"2": "not_attempted", "3": "not_attempted", "4": "not_attempted", "5": "would_create", "6": "not_attempted"}},
		{name: "import skip", args: []string{"import", in, "--skip", "3"}, want: exitOK,
			report: "in.report.csv", wantRows: map[string]string{"2": "not_attempted", "3": "not_attempted", "4": "not_attempted", "5": "created", "6": "created"}, wantErr: "left out: 3 rows"},
		{name: "negative limit", args: []string{"validate", in, "--limit", "-1"}, want: exitInput, wantErr: "--limit -1"},
		{name: "negative skip", args: []string{"import", in, "--skip", "-2"}, want: exitInput, wantErr: "--skip -2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdio, _, errOut := testIO(env)
			if code := run(context.Background(), append(tt.args, "--no-progress"), stdio); code != tt.want {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.want, errOut)
			}
			if !strings.Contains(errOut.String(), tt.wantErr) {
				t.Errorf("stderr does not contain %q:\n%s", tt.wantErr, errOut)
			}
			if tt.report == "" {
				return
			}
			got, _ := readReport(t, filepath.Join(dir, tt.report))
			if len(got) != len(tt.wantRows) {
				t.Errorf("report rows %v, want %v", got, tt.wantRows)
			}
			for row, want := range tt.wantRows {
				if got[row] != want {
					t.Errorf("row %s: %s, want %s", row, got[row], want)
				}
			}
		})
	}
}

// TestWindowLibrary checks Summary.LeftOut and Problems at the library
// level: rows left out are not problems.
func TestWindowLibrary(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := writeLines(t, filepath.Join(dir, "in.csv"), "name,email", ",bad", "B,b@example.com")
	sum, err := batch.Validate(context.Background(), batch.ValidateConfig{InputConfig: batch.InputConfig{Path: in, Skip: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rows != 1 || sum.LeftOut != 1 || sum.Problems() != 0 {
		t.Errorf("validate --skip 1: rows %d, left out %d, problems %d; want 1, 1, 0", sum.Rows, sum.LeftOut, sum.Problems())
	}
}
