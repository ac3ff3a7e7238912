package apiclient

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/time/rate"
)

// testClock is a fake clock whose sleep advances it.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(max(d, 0))
	return nil
}

func newTestLimiter(r float64, burst int) (*Limiter, *testClock) {
	clk := &testClock{t: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)}
	return newLimiter(r, burst, clk.now, clk.sleep), clk
}

func TestLimiterSpacesRequests(t *testing.T) {
	l, clk := newTestLimiter(10, 1)
	start := clk.now()
	for range 21 {
		if err := l.Wait(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if got := clk.now().Sub(start); got < 1999*time.Millisecond || got > 2001*time.Millisecond {
		t.Errorf("21 waits at 10/s took %v, want 2s", got)
	}
}

func TestLimiterPause(t *testing.T) {
	l, clk := newTestLimiter(0, 1)
	start := clk.now()
	l.Pause(start.Add(3 * time.Second))
	l.Pause(start.Add(time.Second)) // earlier: ignored
	if err := l.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := clk.now().Sub(start); got != 3*time.Second {
		t.Errorf("Wait returned after %v, want the 3s pause", got)
	}
	if err := l.Wait(t.Context()); err != nil || clk.now().Sub(start) != 3*time.Second {
		t.Errorf("a Wait after the pause blocked: %v", err)
	}
	if s := l.Stats(); s.Pauses != 1 || !math.IsInf(s.Rate, 1) {
		t.Errorf("stats = %+v", s)
	}
}

func TestLimiterWaitCancelled(t *testing.T) {
	l, _ := newTestLimiter(1, 1)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := l.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait = %v, want context.Canceled", err)
	}
	// The token was not spent.
	if r := l.lim.ReserveN(l.now(), 1); r.DelayFrom(l.now()) != 0 {
		t.Error("a cancelled Wait kept its token")
	}
}

// TestLimiterPauseDuringTokenWait: a pause set while a caller waits for
// its token holds that caller too.
func TestLimiterPauseDuringTokenWait(t *testing.T) {
	clk := &testClock{t: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)}
	var l *Limiter
	paused := false
	l = newLimiter(1, 1, clk.now, func(ctx context.Context, d time.Duration) error {
		if !paused {
			paused = true
			l.Pause(clk.now().Add(10 * time.Second))
		}
		return clk.sleep(ctx, d)
	})
	start := clk.now()
	_ = l.Wait(t.Context()) // the burst token: no sleep
	if err := l.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := clk.now().Sub(start); got != 10*time.Second {
		t.Errorf("Wait returned after %v, want the 10s pause", got)
	}
}

func TestLimiterAdapts(t *testing.T) {
	l, clk := newTestLimiter(400, 1)
	_ = l.Wait(t.Context()) // starts the run
	t0 := clk.now()
	clk.t = t0.Add(100 * time.Millisecond)
	l.throttled(clk.now(), 0, time.Second)
	if s := l.Stats(); s.Rate != 200 || s.Cuts != 1 || s.Pauses != 1 || s.Throttled != 1 {
		t.Fatalf("after a fast 429: %+v, want the rate halved to 200", s)
	}
	// A 429 for a request sent before the cut says nothing new.
	l.throttled(clk.now(), 0, time.Second)
	if s := l.Stats(); s.Rate != 200 || s.Throttled != 2 {
		t.Fatalf("after a stale 429: %+v, want 200 kept", s)
	}
	// Recovery is fast below 90% of the rate that drew the 429 …
	for range 100 {
		l.accepted(clk.now())
	}
	if s := l.Stats(); math.Abs(s.Rate-210) > 1e-6 {
		t.Fatalf("after 100 successes: %v, want 210", s.Rate)
	}
	// … and a 429 long after resuming cuts by 10% only.
	clk.t = clk.t.Add(10 * time.Second)
	l.throttled(clk.now(), l.Stats().Cuts, 0)
	if s := l.Stats(); math.Abs(s.Rate-189) > 1e-6 {
		t.Fatalf("after a slow 429: %v, want 189", s.Rate)
	}
	// Never above the configured rate, never below the floor.
	for range 100_000 {
		l.accepted(clk.now())
	}
	if s := l.Stats(); s.Rate != 400 {
		t.Errorf("after many successes: %v, want the configured 400", s.Rate)
	}
	for range 100 {
		clk.t = clk.t.Add(time.Millisecond)
		l.throttled(clk.now(), l.Stats().Cuts, 0)
	}
	if s := l.Stats(); s.Rate != minRate {
		t.Errorf("after many 429s: %v, want the floor %v", s.Rate, minRate)
	}
}

func TestLimiterUnlimitedAdapts(t *testing.T) {
	l, clk := newTestLimiter(0, 1)
	_ = l.Wait(t.Context())
	for range 300 { // 300 req/s observed
		clk.t = clk.t.Add(time.Second / 300)
		l.accepted(clk.now())
	}
	l.throttled(clk.now(), 0, 0)
	if s := l.Stats(); s.Rate < 130 || s.Rate > 150 {
		t.Errorf("rate after the first 429 = %v, want about half the observed 300/s", s.Rate)
	}
}

// TestLimiterFindsServerLimit simulates, in virtual time, 8 workers
// creating customers with a configured rate of 400 req/s against a server
// whose token bucket allows 100 req/s (burst 100) and answers 429 with
// Retry-After. The limiter must find the limit: at least 90 req/s overall,
// at most 5% of requests throttled.
func TestLimiterFindsServerLimit(t *testing.T) {
	tests := []struct {
		name         string
		rate         float64
		serverRate   float64
		serverBurst  int
		retryAfter   bool
		latency      time.Duration
		wantMinRatio float64 // achieved / min(server rate, rate)
	}{
		{"rate 400 vs 100/s", 400, 100, 100, true, 5 * time.Millisecond, 0.9},
		{"rate 400 vs 100/s, 60ms latency", 400, 100, 100, true, 60 * time.Millisecond, 0.9},
		{"unlimited vs 100/s", 0, 100, 100, true, 5 * time.Millisecond, 0.9},
		{"rate 400 vs 100/s, no Retry-After", 400, 100, 100, false, 5 * time.Millisecond, 0.9},
		// A small server burst costs more 1-second pauses while the limit
		// is found: about 90 req/s over the first minute.
		{"rate 400 vs 100/s, burst 10", 400, 100, 10, true, 5 * time.Millisecond, 0.85},
		{"rate 50 vs 100/s: never throttled", 50, 100, 100, true, 5 * time.Millisecond, 0.99},
		{"rate 400 vs 20/s, burst 1", 400, 20, 1, true, 5 * time.Millisecond, 0.85},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const creates = 6000
				bucket := rate.NewLimiter(rate.Limit(tt.serverRate), tt.serverBurst)
				var served, throttled atomic.Int64
				rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
					time.Sleep(tt.latency) // network and server time
					if r.Body != nil {
						_, _ = io.Copy(io.Discard, r.Body)
					}
					now := time.Now()
					res := bucket.ReserveN(now, 1)
					if d := res.DelayFrom(now); d > 0 {
						res.CancelAt(now)
						throttled.Add(1)
						h := http.Header{}
						if tt.retryAfter {
							h.Set("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
						}
						return &http.Response{StatusCode: 429, Header: h, Body: io.NopCloser(strings.NewReader(`{"message":"slow down"}`))}, nil
					}
					served.Add(1)
					return &http.Response{StatusCode: 201, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{"id":"x"}`))}, nil
				})
				lim := NewLimiter(tt.rate, 1)
				c, err := New(Options{BaseURL: "https://api.example.com", Token: "t", Limiter: lim, Retries: 50,
					HTTPClient: &http.Client{Transport: rt}})
				if err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				var next atomic.Int64
				var wg sync.WaitGroup
				for range 8 {
					wg.Go(func() {
						for next.Add(1) <= creates {
							if _, err := c.CreateCustomer(t.Context(), Fields{"name": "a"}, ""); err != nil {
								t.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
				elapsed := time.Since(start)
				achieved := float64(served.Load()) / elapsed.Seconds()
				share := float64(throttled.Load()) / float64(served.Load()+throttled.Load())
				t.Logf("%d creates in %v: %.1f req/s, %d 429s (%.2f%%), limiter %+v",
					served.Load(), elapsed.Round(time.Millisecond), achieved, throttled.Load(), 100*share, lim.Stats())
				if achieved < tt.wantMinRatio*min(tt.serverRate, nonZero(tt.rate)) {
					t.Errorf("achieved %.1f req/s, want at least %.0f%% of %v", achieved, 100*tt.wantMinRatio, min(tt.serverRate, nonZero(tt.rate)))
				}
				if share > 0.05 {
					t.Errorf("%.1f%% of requests were throttled, want at most 5%%", 100*share)
				}
			})
		})
	}
}

func nonZero(r float64) float64 {
	if r <= 0 {
		return math.Inf(1)
	}
	return r
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
