package apiclient_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"aivabatch/apiclient"
	"aivabatch/apiclient/sandbox"
)

// TestServerLimitBench is the benchmark of pacing against a server's
// limit, in synctest's virtual time, against the sandbox served in
// process: 8 workers, 20 ms latency, --rate 4L, 60·L creates.
//
//   - headers: the sandbox announces a quota of L per second in
//     RateLimit-* or X-RateLimit-* headers; want ≥ 0.98 L and no 429;
//   - memory: the sandbox's token bucket (burst 5) answers 429 with a
//     whole-second Retry-After and announces nothing; a second run
//     starting from the rate the first learned wants ≥ 0.97 L and at most
//     one 429.
//
// Figures for the README:
//
//	go test -count=1 -run 'TestServerLimitBench' -v ./apiclient/ | grep bench
func TestServerLimitBench(t *testing.T) {
	for _, limit := range []float64{30, 100} {
		for _, style := range []string{sandbox.RateLimitHeaders, sandbox.XRateLimitHeaders} {
			t.Run(fmt.Sprintf("%s %v", style, limit), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					srv := newSandboxInProcess(t, sandbox.Options{RateLimit: limit, RateHeaders: style, Latency: 20 * time.Millisecond})
					r := createAll(t, srv, apiclient.NewLimiter(4*limit, 1), 60*int(limit))
					t.Logf("bench: %s, limit %v: %.1f req/s (%.3f × L), %d 429s", style, limit, r.achieved, r.achieved/limit, r.throttled)
					if r.achieved < 0.98*limit || r.throttled > 0 {
						t.Errorf("%.1f req/s with %d 429s, want ≥ 0.98 × %v and none", r.achieved, r.throttled, limit)
					}
				})
			})
		}
		t.Run(fmt.Sprintf("memory %v", limit), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				opts := sandbox.Options{RateLimit: limit, RateBurst: 5, Latency: 20 * time.Millisecond}
				first := apiclient.NewLimiter(4*limit, 1)
				r1 := createAll(t, newSandboxInProcess(t, opts), first, 60*int(limit))
				learned, ok := first.Learned()
				if !ok {
					t.Fatalf("nothing learned after %d 429s", r1.throttled)
				}
				second := apiclient.NewLimiter(4*limit, 1)
				second.StartFrom(learned)
				r2 := createAll(t, newSandboxInProcess(t, opts), second, 60*int(limit))
				t.Logf("bench: 429 only, limit %v: first run %.1f req/s (%.3f × L), %d 429s, learned %.2f; second run %.1f req/s (%.3f × L), %d 429s",
					limit, r1.achieved, r1.achieved/limit, r1.throttled, learned, r2.achieved, r2.achieved/limit, r2.throttled)
				if r2.achieved < 0.97*limit || r2.throttled > 1 {
					t.Errorf("second run: %.1f req/s with %d 429s, want ≥ 0.97 × %v and at most one", r2.achieved, r2.throttled, limit)
				}
			})
		})
	}
}

// BenchmarkServerLimit is TestServerLimitBench in real time, through the
// sandbox's handler (no sockets): each case takes a minute or two.
//
//	go test -run '^$' -bench 'BenchmarkServerLimit' -benchtime 1x ./apiclient/
func BenchmarkServerLimit(b *testing.B) {
	for _, limit := range []float64{30, 100} {
		b.Run(fmt.Sprintf("headers %v", limit), func(b *testing.B) {
			for range b.N {
				srv := newSandboxInProcess(b, sandbox.Options{RateLimit: limit, RateHeaders: sandbox.RateLimitHeaders, Latency: 20 * time.Millisecond})
				r := createAll(b, srv, apiclient.NewLimiter(4*limit, 1), 60*int(limit))
				b.ReportMetric(r.achieved/limit, "×L")
				b.ReportMetric(float64(r.throttled), "429s")
			}
		})
		b.Run(fmt.Sprintf("memory %v", limit), func(b *testing.B) {
			for range b.N {
				opts := sandbox.Options{RateLimit: limit, RateBurst: 5, Latency: 20 * time.Millisecond}
				first := apiclient.NewLimiter(4*limit, 1)
				createAll(b, newSandboxInProcess(b, opts), first, 60*int(limit))
				learned, _ := first.Learned()
				second := apiclient.NewLimiter(4*limit, 1)
				second.StartFrom(learned)
				r := createAll(b, newSandboxInProcess(b, opts), second, 60*int(limit))
				b.Logf("learned %.2f", learned)
				b.ReportMetric(r.achieved/limit, "second-run-×L")
				b.ReportMetric(float64(r.throttled), "second-run-429s")
			}
		})
	}
}

// newSandboxInProcess is a sandbox on the bubble's clock, reached through
// a transport that calls its handler (no sockets, which synctest cannot
// wait on).
func newSandboxInProcess(t testing.TB, opts sandbox.Options) *sandbox.Server {
	opts.Seed = 1
	srv, err := sandbox.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

type handlerTransport struct{ h http.Handler }

func (ht handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	ht.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

type benchResult struct {
	achieved  float64 // creates per second
	throttled int64
}

// createAll creates n customers from 8 workers through one client.
func createAll(t testing.TB, srv *sandbox.Server, lim *apiclient.Limiter, n int) benchResult {
	c, err := apiclient.New(apiclient.Options{BaseURL: "http://127.0.0.1/api/external/v1", Token: sandbox.TokenReadWrite,
		Limiter: lim, Retries: 50, HTTPClient: &http.Client{Transport: handlerTransport{srv}}})
	if err != nil {
		t.Fatal(err)
	}
	before := srv.Stats().Throttled
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				f := apiclient.Fields{"name": fmt.Sprintf("Bench Customer%d", i), "email": fmt.Sprintf("bench%d@example.com", i)}
				if _, err := c.CreateCustomer(t.Context(), f, ""); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if got := srv.Count(sandbox.TenantDemo); got != n {
		t.Errorf("the sandbox holds %d customers, want %d", got, n)
	}
	t.Logf("%d creates in %v, limiter %+v", n, elapsed, lim.Stats())
	return benchResult{float64(n) / elapsed.Seconds(), srv.Stats().Throttled - before}
}
