package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
)

// TestTokenNeverEchoed: a token put in the host of --api-url is not
// repeated by the refusal of plain http; a token pasted into a cell is
// hidden in the report and in --summary-json as on stderr.
func TestTokenNeverEchoed(t *testing.T) {
	t.Parallel()
	const tok = "aiva_rw_8f3c2a9d1e7b6054c3a2"
	dir := t.TempDir()
	in := writeLines(t, filepath.Join(dir, "in.csv"), "name,email,notes", "Ana,ana@example.com,key "+tok+".")

	stdio, out, errOut := testIO(map[string]string{"AIVA_TOKEN": "aiva_x"})
	if code := run(context.Background(), []string{"import", in, "--api-url", "http://" + tok + ".example.com/"}, stdio); code != exitInput || !strings.Contains(errOut.String(), "https://") {
		t.Errorf("plain http to a token-shaped host: exit %d; stderr:\n%s", code, errOut)
	}
	if strings.Contains(out.String()+errOut.String(), tok[:16]) {
		t.Errorf("the refusal shows the token:\n%s", errOut)
	}

	sb := sandboxtest.NewServer(t, sandbox.Options{})
	summary := filepath.Join(dir, "summary.json")
	stdio, _, errOut = testIO(map[string]string{"AIVA_API_URL": sb.URL, "AIVA_TOKEN": sandbox.TokenReadWrite})
	// A row that fails with the token in its message, and one that is
	// created with it in a cell.
	bad := writeLines(t, filepath.Join(dir, "bad.csv"), "name,email,notes", "Bo "+tok+",not-an-email "+tok+",", "Ana,ana@example.com,key "+tok+".")
	if code := run(context.Background(), []string{"import", bad, "--summary-json", summary, "--no-progress"}, stdio); code != exitRowProblems {
		t.Fatalf("import: exit %d; stderr:\n%s", code, errOut)
	}
	for _, p := range []string{filepath.Join(dir, "bad.report.csv"), summary} {
		b, err := os.ReadFile(p)
		must(t, err)
		if strings.Contains(string(b), tok[:16]) || !strings.Contains(string(b), "aiva_…(hidden)") {
			t.Errorf("%s does not hide the token:\n%s", p, b)
		}
	}
	if strings.Contains(errOut.String(), tok[:16]) {
		t.Errorf("stderr shows the token:\n%s", errOut)
	}
}

// TestTokenFileFromNotepad: a token file saved by Notepad (a UTF-8 BOM,
// CRLF) is read without them.
func TestTokenFileFromNotepad(t *testing.T) {
	t.Parallel()
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	dir := t.TempDir()
	tf := filepath.Join(dir, "token.txt")
	must(t, os.WriteFile(tf, []byte("\ufeff"+sandbox.TokenReadWrite+"\r\n"), 0o600))
	in := writeLines(t, filepath.Join(dir, "in.csv"), "name,email", "Ana,ana@example.com")
	stdio, _, errOut := testIO(nil)
	if code := run(context.Background(), []string{"import", in, "--api-url", sb.URL, "--token-file", tf, "--no-progress"}, stdio); code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	if n := len(sb.Customers(sandbox.TenantDemo)); n != 1 {
		t.Errorf("the tenant holds %d customers, want 1", n)
	}
}

// TestMaxWait: a server asking to wait a day (Retry-After) fails the
// row at once with a message naming --max-wait, instead of sleeping; the
// limit is set by --max-wait or the job file's max-wait key.
func TestMaxWait(t *testing.T) {
	t.Parallel()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`[]`))
			return
		}
		w.Header().Set("Retry-After", "86400")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"message":"quota exhausted"}`))
	}))
	defer hs.Close()
	dir := t.TempDir()
	in := writeLines(t, filepath.Join(dir, "in.csv"), "name,email", "Ana,ana@example.com")
	job := writeLines(t, filepath.Join(dir, "job.toml"), `max-wait = "1h"`)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "longer than the 5m0s allowed"},
		{[]string{"--max-wait", "10m"}, "longer than the 10m0s allowed"},
		{[]string{"--job", job}, "longer than the 1h0m0s allowed"},
	} {
		report := filepath.Join(dir, "r.csv")
		os.Remove(report)
		os.Remove(report + ".runs")
		stdio, _, errOut := testIO(map[string]string{"AIVA_API_URL": hs.URL, "AIVA_TOKEN": "aiva_x"})
		args := append([]string{"import", in, "--report", report, "--no-progress"}, tt.args...)
		if code := run(context.Background(), args, stdio); code != exitRowProblems {
			t.Fatalf("%v: exit %d; stderr:\n%s", tt.args, code, errOut)
		}
		b, _ := os.ReadFile(report)
		if !strings.Contains(string(b), "the server asked to wait 24h0m0s") || !strings.Contains(string(b), tt.want) || !strings.Contains(string(b), "--max-wait") {
			t.Errorf("%v: the report does not say why:\n%s", tt.args, b)
		}
	}
	stdio, _, errOut := testIO(nil)
	if code := run(context.Background(), []string{"import", in, "--max-wait", "0s", "--api-url", hs.URL, "--token-file", "x"}, stdio); code != exitInput || !strings.Contains(errOut.String(), "--max-wait") {
		t.Errorf("--max-wait 0: exit %d; stderr:\n%s", code, errOut)
	}
}
