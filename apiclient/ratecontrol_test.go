package apiclient

import (
	"fmt"
	"math"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/time/rate"
)

// The estimator is tested here alone, without a Limiter: the tests feed
// it the events a Limiter would (each with its time) and check the rates
// it returns.

var t0 = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)

// serverRuns drives an estimator against a server's token bucket
// answering 429 with a one-second Retry-After: each run starts at the end
// of the last pause, sends at a fixed rate, one request every 1/rate s
// answered at once, and ends with the first 429.
type serverRuns struct {
	e      *estimator
	srv    *rate.Limiter
	resume time.Time // when the next run starts
	last   time.Time // the last 429
}

func newServerRuns(target, limit float64, burst int) *serverRuns {
	return &serverRuns{e: newEstimator(target), srv: rate.NewLimiter(rate.Limit(limit), burst), resume: t0}
}

// run sends at r until the server answers 429 and returns the rate the
// estimator cuts to, with how many requests the server accepted.
func (s *serverRuns) run(r float64) (next float64, accepted int) {
	s.e.begin(s.resume)
	for t := s.resume; ; t = t.Add(time.Duration(float64(time.Second) / r)) {
		s.e.letThrough()
		if !s.srv.AllowN(t, 1) {
			s.last, s.resume = t, t.Add(time.Second)
			return s.e.throttled(t, r, true), accepted
		}
		accepted++
		s.e.accepted(t, r)
	}
}

// TestEstimatorHalvesOnFastDrain: a 429 with Retry-After that ends a run
// within about twice the server's burst halves the rate; so does the
// first one, when the burst is not known yet.
func TestEstimatorHalvesOnFastDrain(t *testing.T) {
	s := newServerRuns(400, 100, 5)
	if got, n := s.run(400); got != 200 {
		t.Fatalf("first 429 (after %d accepted) cut 400 to %v, want 200", n, got)
	}
	if s.e.burstEst < 5 || s.e.burstEst > 7 {
		t.Errorf("burst estimated at %v after a run of about the burst of 5", s.e.burstEst)
	}
	got, n := s.run(200)
	if float64(n) > 2*s.e.burstEst {
		t.Fatalf("the second run accepted %d, more than twice the burst %v: not the case tested", n, s.e.burstEst)
	}
	if got != 100 {
		t.Errorf("429 after %d accepted at 200/s cut to %v, want 100", n, got)
	}
	if s.e.level != 0 || s.e.frozen {
		t.Errorf("a fast drain set level %v, frozen %v: it measures nothing", s.e.level, s.e.frozen)
	}
}

// TestEstimatorHalvesWhatWasSent: when workers or latency held sending
// below the rate, the cut halves what was sent, not the rate.
func TestEstimatorHalvesWhatWasSent(t *testing.T) {
	e := newEstimator(400)
	e.begin(t0)
	for i := range 10 { // 10 sent over a second, 6 accepted
		e.letThrough()
		if i < 6 {
			e.accepted(t0.Add(time.Duration(i)*100*time.Millisecond), 400)
		}
	}
	if got := e.throttled(t0.Add(time.Second), 400, true); got != 5 {
		t.Errorf("429 after 10 sent in 1s at a rate of 400 cut to %v, want 10/2", got)
	}
}

// TestEstimatorLowerBound: a run that goes well past the burst gives a
// lower bound of the server's limit, just under it, instead of a halving;
// two such estimates at the same level stop probing for a minute.
func TestEstimatorLowerBound(t *testing.T) {
	for _, limit := range []float64{5, 30, 100} {
		t.Run(fmt.Sprintf("limit %v", limit), func(t *testing.T) {
			s := newServerRuns(4*limit, limit, 5)
			s.run(4 * limit)
			s.run(2 * limit) // the burst is known now
			over := 1.1 * limit
			got, n := s.run(over)
			if float64(n) <= 2*s.e.burstEst {
				t.Fatalf("the run at %v accepted %d, within twice the burst %v: not the case tested", over, n, s.e.burstEst)
			}
			if got < 0.95*limit || got > limit {
				t.Errorf("429 after %d accepted at %v/s cut to %v, want a lower bound of the limit %v within 5%%", n, over, got, limit)
			}
			if s.e.level != got || s.e.repeats != 1 || s.e.frozen {
				t.Errorf("after one estimate: level %v, repeats %d, frozen %v; want level %v, 1, false", s.e.level, s.e.repeats, s.e.frozen, got)
			}
			// Probing goes on by levelStep.
			if r := s.e.accepted(s.resume, got); math.Abs(r-(got+levelStep)) > 1e-9 {
				t.Errorf("accepted at the level: %v, want %v + %v", r, got, levelStep)
			}

			// The rate climbed back above the limit: a second estimate at
			// the same level freezes the rate for freezeFor.
			again, _ := s.run(over)
			if math.Abs(again-got) > sameLevel*got || !s.e.frozen {
				t.Fatalf("second estimate %v (first %v): frozen %v, want frozen", again, got, s.e.frozen)
			}
			for _, d := range []time.Duration{0, time.Second, freezeFor - time.Millisecond} {
				if r := s.e.accepted(s.last.Add(d), again); r != again {
					t.Errorf("accepted %v after the freeze: %v, want %v unchanged", d, r, again)
				}
			}
			r := s.e.accepted(s.last.Add(freezeFor), again)
			if math.Abs(r-(again+levelStep)) > 1e-9 || s.e.frozen || s.e.repeats != 0 {
				t.Errorf("accepted a minute after the freeze: %v (frozen %v, repeats %d), want %v + %v, probing again", r, s.e.frozen, s.e.repeats, again, levelStep)
			}
		})
	}
}

// TestEstimatorProbingSteps: how much each accepted response raises the
// rate, by where the rate is against the rate of the last cut (ceiling)
// and the measured level.
func TestEstimatorProbingSteps(t *testing.T) {
	// A cascade cut at 400 within a second of starting: 200, no level.
	noLevel := newEstimator(1000)
	noLevel.begin(t0)
	if got := noLevel.throttled(t0.Add(10*time.Millisecond), 400, false); got != 200 {
		t.Fatalf("cut to %v, want 200", got)
	}
	// One informative 429 with Retry-After: a level of about 100.
	s := newServerRuns(400, 100, 5)
	s.run(400)
	s.run(200)
	s.run(110)
	level, ceiling := s.e.level, s.e.ceiling
	if level < 95 || level > 100 || ceiling != 110 {
		t.Fatalf("level %v, ceiling %v: want about 100 and 110", level, ceiling)
	}
	tests := []struct {
		name      string
		e         *estimator
		cur, want float64
	}{
		{"far below the cut", noLevel, 200, 200 + recoverStep},
		{"just below 0.9 × the cut", noLevel, 359.9, 359.9 + recoverStep},
		{"near the cut", noLevel, 360, 360 + probeStep},
		{"just above the cut", noLevel, 439, 439 + probeStep},
		{"above 1.1 × the cut: the limit may have risen", noLevel, 441, 441 + recoverStep},
		{"never above the configured rate", noLevel, 999.95, 1000},
		{"at the configured rate", noLevel, 1000, 1000},
		{"below 0.9 × the level", s.e, 0.9*level - 0.01, 0.9*level - 0.01 + recoverStep},
		{"0.9 × the level", s.e, 0.9 * level, 0.9*level + levelStep},
		{"above the level", s.e, 105, 105 + levelStep},
		{"above 1.1 × the cut, with a level", s.e, 122, 122 + recoverStep},
	}
	for _, tt := range tests {
		if got := tt.e.accepted(s.last.Add(time.Second), tt.cur); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("%s: accepted at %v gave %v, want %v", tt.name, tt.cur, got, tt.want)
		}
	}
}

// TestEstimatorCascadeCut: a 429 without Retry-After halves the rate
// within fastDrain of resuming and cuts 10% after, but never below 0.9 of
// what was accepted over the last second, except for the first cut within
// a second of starting (that second may hold the server's burst).
func TestEstimatorCascadeCut(t *testing.T) {
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	// accept n responses 4 ms apart from start.
	accept := func(e *estimator, start time.Duration, n int) {
		for i := range n {
			e.accepted(at(start+time.Duration(i)*4*time.Millisecond), 400)
		}
	}

	t.Run("floor at 0.9 of the last second", func(t *testing.T) {
		e := newEstimator(400)
		e.begin(t0)
		accept(e, 200*time.Millisecond, 50)  // older than a second at the cut
		accept(e, 600*time.Millisecond, 225) // within the last second
		if got := e.throttled(at(1500*time.Millisecond), 400, false); got != 0.9*225 {
			t.Errorf("cut to %v, want 0.9 × 225 (halving gives 200)", got)
		}
	})
	t.Run("first cut within a second: a plain halving", func(t *testing.T) {
		e := newEstimator(400)
		e.begin(t0)
		accept(e, 0, 150) // 150 in 0.6 s: the server's burst, maybe
		got := e.throttled(at(600*time.Millisecond), 400, false)
		if got != 200 {
			t.Fatalf("cut to %v, want 200", got)
		}
		// The Limiter resumes at once; the next 429s are of requests in
		// flight: the floor stops the cascade 200 → 100 → 50.
		e.begin(at(600 * time.Millisecond))
		accept(e, 600*time.Millisecond, 5)
		if got := e.throttled(at(620*time.Millisecond), got, false); got != 0.9*155 {
			t.Errorf("second cut to %v, want 0.9 × the 155 of the last second", got)
		}
	})
	t.Run("10% after fastDrain", func(t *testing.T) {
		e := newEstimator(400)
		e.begin(t0)
		if got := e.throttled(at(fastDrain), 400, false); got != 360 {
			t.Errorf("cut to %v, want 360", got)
		}
	})
	t.Run("never below minRate", func(t *testing.T) {
		e := newEstimator(400)
		e.begin(t0)
		if got := e.throttled(at(time.Millisecond), 0.6, false); got != minRate {
			t.Errorf("cut to %v, want %v", got, minRate)
		}
	})
	t.Run("unlimited: from the last second's rate", func(t *testing.T) {
		e := newEstimator(math.Inf(1))
		e.begin(t0)
		accept(e, 2000*time.Millisecond, 25) // [2.0 s, 2.1 s): out of the window at 3 s
		accept(e, 2100*time.Millisecond, 225)
		if got := e.throttled(at(3*time.Second), math.Inf(1), true); got != 225.0/2 {
			t.Errorf("first 429 cut +Inf to %v, want half the 225 of the last second", got)
		}
	})
}

// TestEstimatorAloneFindsLimit runs the estimator alone, in synctest's
// virtual time, against a server's token bucket (burst 5, whole-second
// Retry-After): one sender paced exactly at the estimator's rate, from 4L,
// for a minute. Without workers or a bucket of its own in the way, the
// estimator must settle just under L, frozen, after at most 4 429s.
func TestEstimatorAloneFindsLimit(t *testing.T) {
	for _, limit := range []float64{5, 30, 100} {
		t.Run(fmt.Sprintf("limit %v", limit), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := rate.NewLimiter(rate.Limit(limit), 5)
				e := newEstimator(4 * limit)
				cur := 4 * limit
				start := time.Now()
				e.begin(start)
				accepted, throttled := 0, 0
				for time.Since(start) < time.Minute {
					time.Sleep(time.Duration(float64(time.Second) / cur))
					e.letThrough()
					now := time.Now()
					if r := srv.ReserveN(now, 1); r.DelayFrom(now) > 0 {
						retryAfter := time.Duration(math.Ceil(r.DelayFrom(now).Seconds())) * time.Second
						r.CancelAt(now)
						throttled++
						cur = e.throttled(now, cur, true)
						time.Sleep(retryAfter)
						e.begin(time.Now())
						continue
					}
					accepted++
					cur = e.accepted(now, cur)
				}
				achieved := float64(accepted) / time.Since(start).Seconds()
				t.Logf("%.1f req/s (%.3f × L), %d 429s, rate %v, frozen %v", achieved, achieved/limit, throttled, cur, e.frozen)
				if achieved < 0.9*limit || throttled > 4 {
					t.Errorf("%.1f req/s with %d 429s, want ≥ 0.9 × %v with at most 4", achieved, throttled, limit)
				}
				if cur < 0.95*limit || cur > limit || !e.frozen {
					t.Errorf("ends at %v, frozen %v; want frozen within 5%% under %v", cur, e.frozen, limit)
				}
			})
		})
	}
}

// TestEstimatorRememberedThen429: started from a remembered limit, the
// estimator does not probe for freezeFor from the first send; a 429 then
// (the limit fell) cuts by 10%, not by half, and forgets the level.
func TestEstimatorRememberedThen429(t *testing.T) {
	e := newEstimator(400)
	e.remember(100)
	e.begin(t0)
	if got := e.accepted(t0.Add(freezeFor-time.Millisecond), 98); got != 98 {
		t.Errorf("within the first minute: %v, want 98 kept", got)
	}
	if got := e.accepted(t0.Add(freezeFor), 98); got <= 98 {
		t.Errorf("after the first minute: %v, want probing above 98", got)
	}
	if got := e.settled(98); got != 100 {
		t.Errorf("settled %v, want the remembered 100", got)
	}
	for i := range 98 { // sent at the rate for a second
		e.letThrough()
		e.accepted(t0.Add(time.Duration(i)*time.Second/98), 98)
	}
	if got := e.throttled(t0.Add(time.Second), 98, true); math.Abs(got-88.2) > 1e-9 {
		t.Errorf("429 at 98 a second after starting from a remembered 100: cut to %v, want 88.2", got)
	}
	if got := e.settled(88.2); got != 88.2 {
		t.Errorf("settled after the 429: %v, want 88.2", got)
	}

	// After 30 s at 98 of which the server accepted 95 a second, the
	// run measures the limit: (30·95 − 98)/30 ≈ 91.7.
	e = newEstimator(400)
	e.remember(100)
	e.begin(t0)
	for i := range 30 * 95 {
		e.letThrough()
		e.accepted(t0.Add(time.Duration(i)*time.Second/95), 98)
	}
	got := e.throttled(t0.Add(30*time.Second), 98, true)
	if got < 91 || got > 92.5 || e.level != got {
		t.Errorf("429 at 98 after 30 s at 95 accepted a second: cut to %v (level %v), want about 91.7", got, e.level)
	}
}
