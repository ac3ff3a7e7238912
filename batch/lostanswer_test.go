package batch

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"

	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
)

// TestReportFedBackAfterLostAnswers: every create lands but its answer is
// lost, and so is every list after the first, so the rows end failed with
// an unknown outcome. The README's "fix the report and import it again"
// then finds them by email (the default): nobody is created twice.
func TestReportFedBackAfterLostAnswers(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	var lose atomic.Bool
	var lists atomic.Int64
	lose.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if lose.Load() {
			switch {
			case r.Method == http.MethodPost:
				sb.Server.ServeHTTP(httptest.NewRecorder(), r) // committed
				panic(http.ErrAbortHandler)                    // the answer is lost
			case r.Method == http.MethodGet && lists.Add(1) > 1:
				panic(http.ErrAbortHandler)
			}
		}
		sb.Server.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL+sandbox.BasePath, sandbox.TokenReadWrite, nil)
	dir := t.TempDir()
	in := writeFile(t, dir, "in.csv", "name,email,phone", "A,a@example.com,+1 1", "B,b@example.com,+1 2")
	cfg := importCfg(in, c)
	cfg.MatchEmail, cfg.Retries = true, 1
	sum, err := Import(context.Background(), cfg)
	if err != nil || sum.Counts[ResultFailed] != 2 {
		t.Fatalf("lost answers: %v %v %v", sum.Counts, sum.FirstErrors, err)
	}
	if n := sb.Count(sandbox.TenantDemo); n != 2 {
		t.Fatalf("%d customers after the lost answers, want 2", n)
	}

	lose.Store(false)
	back := importCfg(DefaultReportPath(in, ""), c)
	back.MatchEmail = true
	back.Report = filepath.Join(dir, "back.report.csv")
	sum, err = Import(context.Background(), back)
	if err != nil || sum.Counts[ResultFailed]+sum.Counts[ResultInvalid]+sum.Counts[ResultCreated] != 0 {
		t.Fatalf("the report fed back: %v %v %v", sum.Counts, sum.FirstErrors, err)
	}
	cs := sb.Customers(sandbox.TenantDemo)
	if len(cs) != 2 {
		t.Fatalf("%d customers, want 2", len(cs))
	}
	want := map[string]string{"a@example.com": "+1 1", "b@example.com": "+1 2"}
	for _, cu := range cs {
		if cu.Phone != want[cu.Email] {
			t.Errorf("%s: phone %q, want %q", cu.Email, cu.Phone, want[cu.Email])
		}
	}
}
