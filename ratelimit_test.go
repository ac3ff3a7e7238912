package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
)

// TestImportPacesFromRateLimitHeaders: against a sandbox announcing a
// quota of 40 requests a second, an import with --rate 400 and 8 workers
// meets no 429, in both header forms, and every row lands.
func TestImportPacesFromRateLimitHeaders(t *testing.T) {
	t.Parallel()
	for _, style := range []string{sandbox.RateLimitHeaders, sandbox.XRateLimitHeaders} {
		t.Run(style, func(t *testing.T) {
			t.Parallel()
			sb := sandboxtest.NewServer(t, sandbox.Options{RateLimit: 40, RateHeaders: style, Seed: 1})
			lines := []string{"name,email"}
			for i := range 100 {
				lines = append(lines, fmt.Sprintf("Paced %d,paced%d@example.com", i, i))
			}
			in := writeLines(t, filepath.Join(t.TempDir(), "in.csv"), lines...)
			stdio, _, errOut := testIO(map[string]string{"AIVA_API_URL": sb.URL, "AIVA_TOKEN": sandbox.TokenReadWrite})
			if code := run(t.Context(), []string{"import", in, "--rate", "400", "--workers", "8", "--no-progress"}, stdio); code != exitOK {
				t.Fatalf("exit %d\n%s", code, errOut)
			}
			if n := sb.Count(sandbox.TenantDemo); n != 100 {
				t.Errorf("the sandbox holds %d customers, want 100", n)
			}
			if th := sb.Stats().Throttled; th != 0 {
				t.Errorf("%d 429s, want none", th)
			}
		})
	}
}

// TestSandboxRateLimitHeadersFlag: `aivabatch sandbox --rate-limit N
// --rate-limit-headers` announces its quota; the flag without
// --rate-limit is refused.
func TestSandboxRateLimitHeadersFlag(t *testing.T) {
	t.Parallel()
	url := startSandbox(t, "--rate-limit", "25", "--rate-limit-headers")
	req, _ := http.NewRequestWithContext(t.Context(), "GET", url+"/customers", nil)
	req.Header.Set("Authorization", "Bearer "+sandbox.TokenReadWrite)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h := resp.Header
	if h.Get("RateLimit-Limit") != "25" || h.Get("RateLimit-Policy") != "25;w=1" || h.Get("RateLimit-Reset") != "1" ||
		(h.Get("RateLimit-Remaining") != "24" && h.Get("RateLimit-Remaining") != "23") {
		t.Errorf("headers %v", h)
	}
	stdio, _, errOut := testIO(nil)
	if code := run(t.Context(), []string{"sandbox", "--rate-limit-headers"}, stdio); code != exitInput || !strings.Contains(errOut.String(), "--rate-limit N") {
		t.Errorf("--rate-limit-headers alone: exit %d\n%s", code, errOut)
	}
}

// TestImportRemembersLearnedRate: a run that meets a server's limit
// (429s, no headers) writes the rate it settled at to the cache dir,
// never the token; the next run against the same API with the same token
// starts just under it, and says so with --verbose; with another token it
// starts from --rate.
func TestImportRemembersLearnedRate(t *testing.T) {
	t.Parallel()
	sb := sandboxtest.NewServer(t, sandbox.Options{RateLimit: 20, RateBurst: 5, Seed: 1})
	cache := t.TempDir()
	dir := t.TempDir()
	runImport := func(name, token string, rows int) string {
		lines := []string{"name,email"}
		for i := range rows {
			lines = append(lines, fmt.Sprintf("%s %d,%s%d@example.com", name, i, name, i))
		}
		in := writeLines(t, filepath.Join(dir, name+".csv"), lines...)
		stdio, _, errOut := testIO(map[string]string{"AIVA_API_URL": sb.URL, "AIVA_TOKEN": token})
		stdio.CacheDir = func() (string, error) { return cache, nil }
		if code := run(t.Context(), []string{"import", in, "--rate", "200", "--workers", "4", "--no-progress", "--verbose"}, stdio); code != exitOK {
			t.Fatalf("%s: exit %d\n%s", name, code, errOut)
		}
		return errOut.String()
	}
	first := runImport("first", sandbox.TokenReadWrite, 40)
	if !strings.Contains(first, "rate: starting at --rate 200 req/s: nothing learned") {
		t.Errorf("first run does not say it starts from --rate:\n%s", grepLines(first, "rate:"))
	}
	if sb.Stats().Throttled == 0 {
		t.Fatal("the first run met no 429: not the case tested")
	}
	path := filepath.Join(cache, "aivabatch", "rates.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), sandbox.TokenReadWrite) {
		t.Errorf("the token is in %s:\n%s", path, b)
	}
	learned, _, ok := recallRate(path, sb.URL, sandbox.TokenReadWrite, time.Now())
	// Measured, the limit is learned just under 20; a run too short for a
	// measure (a starved machine: CI under -race) remembers the rate it
	// was at after its cuts, which may be a little above the limit plus
	// the burst: the next run's one 429 then measures it (below).
	if !ok || learned < 10 || learned > 30 {
		t.Fatalf("learned %v (%v) against a limit of 20:\n%s", learned, ok, b)
	}
	before := sb.Stats().Throttled
	second := runImport("second", sandbox.TokenReadWrite, 40)
	if want := fmt.Sprintf("just under the %.1f req/s learned against this API with this token", learned); !strings.Contains(second, want) {
		t.Errorf("second run does not start from the learned rate (want %q):\n%s", want, grepLines(second, "rate:"))
	}
	again, _, _ := recallRate(path, sb.URL, sandbox.TokenReadWrite, time.Now())
	switch th := sb.Stats().Throttled - before; {
	case th > 1:
		t.Errorf("second run: %d 429s, want at most one", th)
	case th == 0 && again < learned*0.99:
		t.Errorf("the second run, without a 429, remembered %v after starting from %v: the memory must not wear down", again, learned)
	case th == 1 && (again < 10 || again > 25):
		// Started above the limit (learned unmeasured): its 429 measured it.
		t.Errorf("the second run met a 429 and remembered %v against a limit of 20", again)
	}
	other := runImport("other", sandbox.TokenOtherTenant, 3)
	if !strings.Contains(other, "nothing learned") {
		t.Errorf("another token starts from the learned rate:\n%s", grepLines(other, "rate:"))
	}
}

func grepLines(s, word string) string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
