package apiclient_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"aivabatch/apiclient"
	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
)

// fakeClock is a clock whose Sleep advances it at once, so that retries
// and pauses cost no wall time. Shared by client and sandbox, it keeps
// the sandbox's rate limit and the client's Retry-After in step.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	slept []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.slept = append(f.slept, d)
	if d > 0 {
		f.t = f.t.Add(d)
	}
	return nil
}

func (f *fakeClock) Slept() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.slept...)
}

// newSandbox starts a sandbox for the test.
func newSandbox(t testing.TB, opts sandbox.Options) *sandboxtest.Server {
	t.Helper()
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	return sandboxtest.NewServer(t, opts)
}

// newWrapped starts a sandbox behind wrap, a handler that can inject
// faults precisely, and returns the sandbox and the API base URL.
func newWrapped(t testing.TB, opts sandbox.Options, wrap func(http.Handler) http.Handler) (*sandbox.Server, string) {
	t.Helper()
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	sb, err := sandbox.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(wrap(sb))
	ts.Config.ConnState = sb.ConnState
	ts.Start()
	t.Cleanup(ts.Close)
	return sb, ts.URL + sandbox.BasePath
}

// intercept calls fn for each request with its 1-based number; fn returns
// true when it answered the request itself.
func intercept(fn func(n int, w http.ResponseWriter, r *http.Request) bool) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		var n atomic.Int64
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !fn(int(n.Add(1)), w, r) {
				h.ServeHTTP(w, r)
			}
		})
	}
}

// newClient returns a client of baseURL with instant retries (5 of them)
// on clock, using token (TokenReadWrite if empty). mod may change the
// options.
func newClient(t testing.TB, baseURL string, clock *fakeClock, token string, mod func(*apiclient.Options)) *apiclient.Client {
	t.Helper()
	if token == "" {
		token = sandbox.TokenReadWrite
	}
	if clock == nil {
		clock = newFakeClock()
	}
	opts := apiclient.Options{
		BaseURL: baseURL,
		Token:   token,
		Retries: 5,
		Timeout: 10 * time.Second,
		Now:     clock.Now,
		Sleep:   clock.Sleep,
		Rand:    func() float64 { return 0.5 },
	}
	if mod != nil {
		mod(&opts)
	}
	c, err := apiclient.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func person(name, email string) apiclient.Fields {
	return apiclient.Fields{"name": name, "email": email}
}
