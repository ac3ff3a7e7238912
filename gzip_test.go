package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
	"aivabatch/formats"
)

func gzipFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(data)
	must(t, zw.Close())
	must(t, os.WriteFile(path, b.Bytes(), 0o600))
	return path
}

// countRows checks that path is gzip data and reads it back, returning
// its header and number of rows.
func countRows(t *testing.T, path string) ([]string, int) {
	t.Helper()
	b, err := os.ReadFile(path)
	must(t, err)
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Fatalf("%s is not gzip data", path)
	}
	r, err := formats.OpenReader(path, formats.ReaderOptions{})
	must(t, err)
	defer r.Close()
	n := 0
	for {
		if _, err := r.Next(); err != nil {
			break
		}
		n++
	}
	return r.Header(), n
}

// TestGzipEveryFormat: .csv.gz, .tsv.gz, .ndjson.gz and .jsonl.gz are read
// by validate and import, their reports are gzip too (x.report.csv.gz),
// and export -o x.csv.gz writes gzip.
func TestGzipEveryFormat(t *testing.T) {
	t.Parallel()
	inputs := map[string]string{
		"csv":    "name,email\nAna,ana@example.com\nBo,bo@example.com\n",
		"tsv":    "name\temail\nAna\tana@example.com\nBo\tbo@example.com\n",
		"ndjson": `{"name":"Ana","email":"ana@example.com"}` + "\n" + `{"name":"Bo","email":"bo@example.com"}` + "\n",
		"jsonl":  `{"name":"Ana","email":"ana@example.com"}` + "\n" + `{"name":"Bo","email":"bo@example.com"}` + "\n",
	}
	for ext, content := range inputs {
		t.Run(ext, func(t *testing.T) {
			sb := sandboxtest.NewServer(t, sandbox.Options{})
			env := map[string]string{"AIVA_API_URL": sb.URL, "AIVA_TOKEN": sandbox.TokenReadWrite}
			dir := t.TempDir()
			in := gzipFile(t, filepath.Join(dir, "in."+ext+".gz"), []byte(content))

			stdio, _, errOut := testIO(env)
			if code := run(context.Background(), []string{"validate", in}, stdio); code != exitOK {
				t.Fatalf("validate: exit %d; stderr:\n%s", code, errOut)
			}
			if _, n := countRows(t, filepath.Join(dir, "in.validate."+ext+".gz")); n != 2 {
				t.Errorf("validate report has %d rows, want 2", n)
			}
			stdio, _, errOut = testIO(env)
			if code := run(context.Background(), []string{"import", in, "--rate", "0"}, stdio); code != exitOK {
				t.Fatalf("import: exit %d; stderr:\n%s", code, errOut)
			}
			if got := sb.Count(sandbox.TenantDemo); got != 2 {
				t.Errorf("import created %d customers, want 2", got)
			}
			report := filepath.Join(dir, "in.report."+ext+".gz")
			if !strings.Contains(errOut.String(), "report: "+report) {
				t.Errorf("the summary does not name the report %s:\n%s", report, errOut)
			}
			if h, n := countRows(t, report); n != 2 || h[1] != "_result" {
				t.Errorf("import report: header %v, %d rows; want _row,_result,… and 2 rows", h, n)
			}
			out := filepath.Join(dir, "out."+ext+".gz")
			stdio, _, errOut = testIO(env)
			if code := run(context.Background(), []string{"export", "-o", out}, stdio); code != exitOK {
				t.Fatalf("export: exit %d; stderr:\n%s", code, errOut)
			}
			if h, n := countRows(t, out); n != 2 || !containsFlag(h, "email") {
				t.Errorf("export: header %v, %d rows; want email among the columns and 2 rows", h, n)
			}
		})
	}
}

// TestGzipFormatFlag: --format names the format inside the gzip when the
// name does not tell it.
func TestGzipFormatFlag(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := gzipFile(t, filepath.Join(dir, "data.gz"), []byte("name,email\nAna,ana@example.com\n"))
	stdio, _, errOut := testIO(nil)
	if code := run(context.Background(), []string{"validate", in, "--format", "csv", "--report", filepath.Join(dir, "r.csv")}, stdio); code != exitOK {
		t.Fatalf("validate --format csv data.gz: exit %d; stderr:\n%s", code, errOut)
	}
	stdio, _, errOut = testIO(nil)
	if code := run(context.Background(), []string{"validate", in}, stdio); code != exitInput || !strings.Contains(errOut.String(), "--format") {
		t.Errorf("validate data.gz: exit %d, want 2 naming --format; stderr:\n%s", code, errOut)
	}
	xl := gzipFile(t, filepath.Join(dir, "book.xlsx.gz"), []byte("PK"))
	stdio, _, errOut = testIO(nil)
	if code := run(context.Background(), []string{"validate", xl}, stdio); code != exitInput || !strings.Contains(errOut.String(), "gunzip") {
		t.Errorf("validate book.xlsx.gz: exit %d, want 2 saying gunzip; stderr:\n%s", code, errOut)
	}
}

// TestGzipTruncated: a .gz cut in half is exit 2 naming the file, for
// every text format, and import sends nothing; a file that is not gzip
// at all says so.
func TestGzipTruncated(t *testing.T) {
	t.Parallel()
	for _, ext := range []string{"csv", "tsv", "ndjson"} {
		t.Run(ext, func(t *testing.T) {
			var b strings.Builder
			switch ext {
			case "csv":
				b.WriteString("name,email\n")
			case "tsv":
				b.WriteString("name\temail\n")
			}
			for i := range 20000 {
				switch ext {
				case "csv":
					fmt.Fprintf(&b, "Customer %d,c%d@example.com\n", i, i)
				case "tsv":
					fmt.Fprintf(&b, "Customer %d\tc%d@example.com\n", i, i)
				default:
					fmt.Fprintf(&b, `{"name":"Customer %d","email":"c%d@example.com"}`+"\n", i, i)
				}
			}
			dir := t.TempDir()
			full := gzipFile(t, filepath.Join(dir, "full."+ext+".gz"), []byte(b.String()))
			data, err := os.ReadFile(full)
			must(t, err)
			cut := filepath.Join(dir, "cut."+ext+".gz")
			must(t, os.WriteFile(cut, data[:len(data)/2], 0o600))

			stdio, _, errOut := testIO(nil)
			if code := run(context.Background(), []string{"validate", cut}, stdio); code != exitInput {
				t.Fatalf("validate: exit %d, want %d; stderr:\n%s", code, exitInput, errOut)
			}
			if !strings.Contains(errOut.String(), cut) || !strings.Contains(errOut.String(), "truncated") || !strings.Contains(errOut.String(), "after line ") {
				t.Errorf("the error does not name the file, say truncated and the line reached:\n%s", errOut)
			}
			sb := sandboxtest.NewServer(t, sandbox.Options{})
			stdio, _, errOut = testIO(map[string]string{"AIVA_API_URL": sb.URL, "AIVA_TOKEN": sandbox.TokenReadWrite})
			if code := run(context.Background(), []string{"import", cut}, stdio); code != exitInput || !strings.Contains(errOut.String(), cut) {
				t.Errorf("import: exit %d, want %d naming the file; stderr:\n%s", code, exitInput, errOut)
			}
			if n := sb.Count(sandbox.TenantDemo); n != 0 {
				t.Errorf("import of a truncated file created %d customers", n)
			}
		})
	}
	dir := t.TempDir()
	plain := writeLines(t, filepath.Join(dir, "plain.csv.gz"), "name,email", "Ana,ana@example.com")
	stdio, _, errOut := testIO(nil)
	if code := run(context.Background(), []string{"validate", plain}, stdio); code != exitInput || !strings.Contains(errOut.String(), "is not gzip data") {
		t.Errorf("plain text named .gz: exit %d; stderr:\n%s", code, errOut)
	}
}

// TestGzipResume: the report of a .gz input is read back by --resume.
func TestGzipResume(t *testing.T) {
	t.Parallel()
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	env := map[string]string{"AIVA_API_URL": sb.URL, "AIVA_TOKEN": sandbox.TokenReadWrite}
	dir := t.TempDir()
	in := gzipFile(t, filepath.Join(dir, "in.csv.gz"), []byte("name,email\nAna,ana@example.com\nBo,bo@example.com\nCy,cy@example.com\n"))
	for _, args := range [][]string{{"--limit", "1"}, {"--resume"}} {
		stdio, _, errOut := testIO(env)
		if code := run(context.Background(), append([]string{"import", in, "--rate", "0"}, args...), stdio); code != exitOK {
			t.Fatalf("import %v: exit %d; stderr:\n%s", args, code, errOut)
		}
	}
	seen := map[string]bool{}
	for _, c := range sb.Customers(sandbox.TenantDemo) {
		if seen[c.Email] {
			t.Errorf("%s created twice", c.Email)
		}
		seen[c.Email] = true
	}
	if len(seen) != 3 {
		t.Errorf("%d customers, want 3", len(seen))
	}
}
