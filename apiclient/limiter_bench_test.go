package apiclient

import (
	"fmt"
	"math"
	"testing"
	"testing/synctest"
	"time"
)

// TestLimiterBenchWholeSecond is the limiter's benchmark, in synctest's
// virtual time (a minute of sending costs well under a second): a server
// limit L of 5, 30 and 100 req/s (token bucket, burst 5, whole-second
// Retry-After), --rate 4L, 8 workers, 20 ms latency, 60·L creates; and
// --rate R with no server limit. Figures for the README:
//
//	go test -count=1 -run 'TestLimiterBench' -v ./apiclient/ | grep bench
func TestLimiterBenchWholeSecond(t *testing.T) {
	for _, limit := range []float64{5, 30, 100} {
		t.Run(fmt.Sprintf("limit %v", limit), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := simulateServerLimit(t, simConfig{rate: 4 * limit, serverRate: limit, serverBurst: 5,
					retryAfter: true, latency: 20 * time.Millisecond, creates: 60 * int(limit), workers: 8})
				t.Logf("bench: --rate %v vs limit %v: %.1f req/s (%.3f × L), %d 429s (%.2f%%), %d sent after the first 429 was seen",
					4*limit, limit, r.achieved, r.achieved/limit, r.throttled, 100*r.share, r.after)
				if r.achieved < 0.9*limit || r.share > 0.02 {
					t.Errorf("want ≥ 0.9 × %v req/s and ≤ 2%% 429s", limit)
				}
			})
		})
	}
	for _, rt := range []float64{30, 150} {
		t.Run(fmt.Sprintf("rate %v, no server limit", rt), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := simulateServerLimit(t, simConfig{rate: rt, serverRate: math.MaxFloat64, serverBurst: 1,
					retryAfter: true, latency: 20 * time.Millisecond, creates: 60 * int(rt), workers: 8})
				t.Logf("bench: --rate %v, no server limit: %.1f req/s (%.3f × R), %d 429s", rt, r.achieved, r.achieved/rt, r.throttled)
				if r.achieved < 0.97*rt {
					t.Errorf("want ≥ 0.97 × %v req/s", rt)
				}
			})
		})
	}
}
