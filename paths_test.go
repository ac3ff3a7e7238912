package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
)

// TestOutputIsAnotherNameForInput runs commands whose output path is the
// input, or another output, under another name (symlink, hardlink, ./x):
// each stops with exit 2 before writing anything, names both paths, and
// the input is byte for byte what it was.
func TestOutputIsAnotherNameForInput(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	env := map[string]string{"AIVA_API_URL": sb.URL, "AIVA_TOKEN": sandbox.TokenReadWrite}
	const content = "name,email\nAna,ana@example.com\nBo,bo@example.com\n"
	tests := []struct {
		name string
		// setup makes extra names in dir (the working directory) and
		// returns the arguments; the input is big.csv.
		setup     func(t *testing.T) []string
		wantNames []string // both paths, in the message
	}{
		{"report is a symlink to the input", func(t *testing.T) []string {
			must(t, os.Symlink("big.csv", "alias.csv"))
			return []string{"import", "big.csv", "--report", "alias.csv"}
		}, []string{"alias.csv", "big.csv"}},
		{"report is a hardlink of the input", func(t *testing.T) []string {
			must(t, os.Link("big.csv", "hard.csv"))
			return []string{"validate", "big.csv", "--report", "hard.csv"}
		}, []string{"hard.csv", "big.csv"}},
		{"report is ./input", func(t *testing.T) []string {
			return []string{"validate", "big.csv", "--report", "./big.csv"}
		}, []string{"./big.csv", "big.csv"}},
		{"report through a symlinked directory", func(t *testing.T) []string {
			must(t, os.Symlink(".", "here"))
			return []string{"validate", "big.csv", "--report", "here/big.csv"}
		}, []string{"here/big.csv", "big.csv"}},
		{"summary-json is the input", func(t *testing.T) []string {
			return []string{"validate", "big.csv", "--summary-json", "big.csv"}
		}, []string{"--summary-json big.csv", "the input big.csv"}},
		{"summary-json is the report", func(t *testing.T) []string {
			return []string{"validate", "big.csv", "--report", "r.csv", "--summary-json", "./r.csv"}
		}, []string{"the report r.csv", "--summary-json ./r.csv"}},
		{"summary-json is the default report", func(t *testing.T) []string {
			return []string{"import", "big.csv", "--summary-json", "big.report.csv"}
		}, []string{"the report big.report.csv", "--summary-json big.report.csv"}},
		{"undo is the input", func(t *testing.T) []string {
			return []string{"import", "big.csv", "--undo", "big.csv"}
		}, []string{"--undo big.csv", "the input big.csv"}},
		{"undo is a symlink to the input", func(t *testing.T) []string {
			must(t, os.Symlink("big.csv", "u.csv"))
			return []string{"import", "big.csv", "--undo", "u.csv"}
		}, []string{"--undo u.csv", "the input big.csv"}},
		{"undo is a dangling symlink to the report", func(t *testing.T) []string {
			must(t, os.Symlink("big.report.csv", "u.csv"))
			return []string{"import", "big.csv", "--undo", "u.csv"}
		}, []string{"--undo u.csv", "the report big.report.csv"}},
		{"undo is the report", func(t *testing.T) []string {
			return []string{"import", "big.csv", "--report", "r.csv", "--undo", "r.csv"}
		}, []string{"--undo r.csv", "the report r.csv"}},
		{"journal is the input", func(t *testing.T) []string {
			must(t, os.Rename("big.csv", "r.csv.journal"))
			must(t, os.Symlink("r.csv.journal", "big.csv")) // the check below reads big.csv
			return []string{"import", "r.csv.journal", "--format", "csv", "--report", "r.csv", "--resume"}
		}, []string{"the journal r.csv.journal", "--report"}},
		{"export -o is the summary", func(t *testing.T) []string {
			return []string{"export", "-o", "x.csv", "--summary-json", "./x.csv"}
		}, []string{"-o x.csv", "--summary-json ./x.csv"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			must(t, os.WriteFile("big.csv", []byte(content), 0o600))
			args := append(tt.setup(t), "--no-progress")
			stdio, out, errOut := testIO(env)
			if code := run(context.Background(), args, stdio); code != exitInput {
				t.Errorf("exit %d, want 2; stderr:\n%s", code, errOut)
			}
			msg := errOut.String()
			if !strings.HasPrefix(msg, "aivabatch: ") || strings.Count(msg, "\n") != 1 {
				t.Errorf("want one aivabatch: line, got:\n%s", msg)
			}
			for _, n := range tt.wantNames {
				if !strings.Contains(msg, n) {
					t.Errorf("message does not name %q:\n%s", n, msg)
				}
			}
			if got, err := os.ReadFile("big.csv"); err != nil || !bytes.Equal(got, []byte(content)) {
				t.Errorf("the input changed (err %v):\n%s", err, got)
			}
			if out.Len() > 0 {
				t.Errorf("stdout: %s", out)
			}
			if sb.Count(sandbox.TenantDemo) != 0 {
				t.Errorf("%d customers were created", sb.Count(sandbox.TenantDemo))
			}
			for _, f := range []string{"big.report.csv", "r.csv", "x.csv"} {
				if _, err := os.Lstat(filepath.Join(dir, f)); err == nil {
					t.Errorf("%s was written", f)
				}
			}
		})
	}
}

// TestDistinctOutputsStillRun: paths that only look alike (same base name
// in another directory, a report beside the input) are not refused.
func TestDistinctOutputsStillRun(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	must(t, os.Mkdir("out", 0o700))
	must(t, os.WriteFile("big.csv", []byte("name,email\nAna,ana@example.com\n"), 0o600))
	stdio, _, errOut := testIO(nil)
	if code := run(context.Background(), []string{"validate", "big.csv", "--report", "out/big.csv", "--summary-json", "out/big.json"}, stdio); code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	for _, f := range []string{"out/big.csv", "out/big.json"} {
		if _, err := os.Stat(f); err != nil {
			t.Error(err)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
