package apiclient

import (
	"context"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Adaptive rate parameters. A server limit below the configured rate is
// found by cutting the rate on 429 and probing upwards again:
//
//   - A 429 for a request let through after the last cut lowers the rate
//     once (429s for requests already in flight when the rate was cut say
//     nothing new). If the 429 came less than fastDrain after sending
//     resumed, the server's allowance drained fast, so the rate is far too
//     high: halve it, but not below 90% of the rate accepted over the last
//     second when sending has gone on that long. Otherwise it is only
//     slightly too high: cut it by 10%. The rate before the cut becomes the
//     ceiling.
//   - Every accepted request (any response but 429) raises the rate by
//     recoverStep req/s, i.e. by about 10% per second whatever the rate,
//     except within ±10% of the ceiling, where it probes by probeStep
//     (about 0.25% per second). Above the ceiling it climbs fast again, in
//     case the server's limit rose or the ceiling was an underestimate.
//
// Each 429 usually carries a Retry-After that pauses every worker (about a
// second), so the goal is few 429s: a slow upward probe keeps the rate just
// under the server's limit for long stretches. Against a 100 req/s token
// bucket with a --rate of 400, the simulation in limiter_test.go sustains
// more than 90 req/s with well under 5% of requests answered 429.
const (
	minRate     = 0.5 // req/s floor of the adaptive rate
	fastDrain   = 2 * time.Second
	probeStep   = 0.0025
	recoverStep = 0.1
)

// Limiter spaces requests to a rate shared by every worker of a run, and
// adapts that rate to the server: Retry-After pauses every caller, and
// repeated 429s lower the rate, which then climbs back towards the
// configured rate (see the constants above). A Limiter is safe for
// concurrent use; one Limiter is meant to be shared by all Clients and
// workers talking to the same API.
type Limiter struct {
	mu       sync.Mutex
	lim      *rate.Limiter
	target   float64   // configured rate; +Inf for unlimited
	cur      float64   // current rate; +Inf until an unlimited limiter is throttled
	ceiling  float64   // the rate at which the last cut came
	paused   time.Time // every caller waits until then
	runStart time.Time // when sending last resumed after a cut
	win      rateWindow
	stats    LimiterStats
	// sent holds the send times of the last len(sent) callers let through
	// (a ring at next): with a configured rate, no rolling second may hold
	// more than len(sent) sends. Token reservations are made ahead of
	// time, so after a stall (GC, a busy machine) several overdue callers
	// would otherwise go at once and overfill a second.
	sent []time.Time
	next int

	now   func() time.Time
	sleep func(context.Context, time.Duration) error
}

// LimiterStats are counters of a Limiter's life.
type LimiterStats struct {
	Throttled int64   // 429 responses observed
	Cuts      int64   // times the rate was lowered
	Pauses    int64   // times a Retry-After extended the pause
	Rate      float64 // current rate in req/s; +Inf when unlimited
}

// NewLimiter returns a Limiter allowing ratePerSec requests per second
// with bursts of up to burst requests (at least 1). A ratePerSec of 0 (or
// less) means unlimited: Wait returns at once except during a Retry-After
// pause, and once the server answers 429 the limiter switches to an
// adaptive rate starting from the rate observed over the last second.
func NewLimiter(ratePerSec float64, burst int) *Limiter {
	return newLimiter(ratePerSec, burst, time.Now, sleepCtx)
}

func newLimiter(ratePerSec float64, burst int, now func() time.Time, sleep func(context.Context, time.Duration) error) *Limiter {
	burst = max(1, burst)
	target := math.Inf(1)
	if ratePerSec > 0 {
		target = ratePerSec
	}
	var sent []time.Time
	if !math.IsInf(target, 1) {
		sent = make([]time.Time, max(1, int(math.Floor(target))+burst-1))
	}
	return &Limiter{
		sent:    sent,
		lim:     rate.NewLimiter(toLimit(target), burst),
		target:  target,
		cur:     target,
		ceiling: target,
		now:     now,
		sleep:   sleep,
	}
}

func toLimit(r float64) rate.Limit {
	if math.IsInf(r, 1) {
		return rate.Inf
	}
	return rate.Limit(r)
}

// Wait blocks until the caller may send one request: after any pause set
// by Pause, and after the token the rate allows. It returns ctx's error if
// ctx is done first (the token is then given back).
func (l *Limiter) Wait(ctx context.Context) error {
	_, err := l.wait(ctx)
	return err
}

// wait is Wait, returning the number of rate cuts made before the caller
// was let through, so that a 429 for this request can be told from one
// that the last cut already answered.
func (l *Limiter) wait(ctx context.Context) (gen int64, err error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	for {
		d, r := l.reserve(l.now())
		if r != nil {
			if d > 0 {
				if err := l.sleep(ctx, d); err != nil {
					r.CancelAt(l.now())
					return 0, err
				}
			}
			// A pause may have begun while this caller waited for its
			// token. Then the token is stale: every caller queued during
			// the pause would go at once when it ends. Queue again.
			d, gen := l.pauseLeft(l.now())
			if d <= 0 {
				return gen, l.windowWait(ctx)
			}
		}
		if err := l.sleep(ctx, d); err != nil {
			return 0, err
		}
	}
}

// reserve returns the time left in the pause (and no reservation), or the
// delay of a reserved token.
func (l *Limiter) reserve(now time.Time) (time.Duration, *rate.Reservation) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.runStart.IsZero() {
		l.runStart = now
	}
	if now.Before(l.paused) {
		return l.paused.Sub(now), nil
	}
	r := l.lim.ReserveN(now, 1)
	return r.DelayFrom(now), r
}

func (l *Limiter) pauseLeft(now time.Time) (time.Duration, int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.paused.Sub(now), l.stats.Cuts
}

// Pause makes every Wait, current and future, block until the given time
// (a later pause extends an earlier one, an earlier one is ignored). It
// does not block.
func (l *Limiter) Pause(until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pauseLocked(until)
}

func (l *Limiter) pauseLocked(until time.Time) {
	if until.After(l.paused) {
		l.paused = until
		l.stats.Pauses++
	}
}

// Stats returns the limiter's counters. Safe for concurrent use.
func (l *Limiter) Stats() LimiterStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.stats
	s.Rate = l.cur
	return s
}

// throttled records a 429 for a request let through at generation gen
// (see wait): pause everyone for retryAfter (if given) and lower the rate
// unless the rate was already cut after that request was let through.
func (l *Limiter) throttled(now time.Time, gen int64, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stats.Throttled++
	if retryAfter > 0 {
		l.pauseLocked(now.Add(min(retryAfter, MaxRetryAfter)))
	}
	if gen < l.stats.Cuts {
		return
	}
	prev := l.cur
	if math.IsInf(prev, 1) {
		prev = max(l.win.rate(now), minRate)
	}
	run := now.Sub(l.runStart)
	next := prev * 0.9
	if run < fastDrain {
		next = prev * 0.5
	}
	if run >= time.Second || l.stats.Cuts > 0 {
		// The server accepted this much over the last second: halving
		// below it would only waste capacity. (Not for the first cut
		// within a second of starting, when that second may hold the
		// server's initial burst.) This also stops a cascade when the
		// server sends no Retry-After: requests let through after a cut
		// still meet its empty bucket for a while, and each would halve
		// the rate again (400 → 200 → 100 → 50 → 25 in 20 ms was seen).
		next = max(next, 0.9*min(prev, l.win.rate(now)))
	}
	l.cur = max(minRate, next)
	l.ceiling = prev
	l.runStart = now
	if l.paused.After(now) {
		l.runStart = l.paused
	}
	l.stats.Cuts++
	l.lim.SetLimitAt(now, rate.Limit(l.cur))
}

// accepted records a response other than 429 and probes the rate upwards.
func (l *Limiter) accepted(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.win.add(now)
	if l.cur >= l.target {
		return
	}
	step := recoverStep
	if l.cur >= 0.9*l.ceiling && l.cur < 1.1*l.ceiling {
		step = probeStep
	}
	l.cur = min(l.target, l.cur+step)
	l.lim.SetLimitAt(now, rate.Limit(l.cur))
}

// rateWindow counts events over the last second in ten 100 ms slots.
type rateWindow struct {
	slot  [10]int
	epoch [10]int64 // which 100 ms interval each slot counts
}

func (w *rateWindow) add(now time.Time) {
	e := now.UnixNano() / int64(100*time.Millisecond)
	i := e % 10
	if w.epoch[i] != e {
		w.epoch[i], w.slot[i] = e, 0
	}
	w.slot[i]++
}

// rate is the events per second over the last second.
func (w *rateWindow) rate(now time.Time) float64 {
	e := now.UnixNano() / int64(100*time.Millisecond)
	n := 0
	for i := range w.slot {
		if e-w.epoch[i] < 10 {
			n += w.slot[i]
		}
	}
	return float64(n)
}

// windowWait blocks until a send would not make the last rolling second
// hold more than len(l.sent) sends, and records it.
func (l *Limiter) windowWait(ctx context.Context) error {
	if len(l.sent) == 0 {
		return nil
	}
	for {
		l.mu.Lock()
		now := l.now()
		oldest := l.sent[l.next]
		if oldest.IsZero() || now.Sub(oldest) >= time.Second {
			l.sent[l.next] = now
			l.next = (l.next + 1) % len(l.sent)
			l.mu.Unlock()
			return nil
		}
		d := oldest.Add(time.Second).Sub(now)
		l.mu.Unlock()
		if err := l.sleep(ctx, d); err != nil {
			return err
		}
	}
}
