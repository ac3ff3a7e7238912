package apiclient

import (
	"context"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter spaces requests to a rate shared by every worker of a run, and
// adapts that rate to the server: Retry-After pauses every caller, and
// repeated 429s lower the rate, which then climbs back towards the
// configured rate (see ratecontrol.go). A Limiter is safe for concurrent
// use; one Limiter is meant to be shared by all Clients and workers
// talking to the same API.
//
// The Limiter is the pacer: a token bucket at the current rate, the
// Retry-After pause, a cap on any rolling second, and generations (the
// number of cuts made when a caller was let through, so that a 429 that
// the last cut already answered is only counted). What the rate should
// be is its rateController's to say.
type Limiter struct {
	mu      sync.Mutex
	lim     *rate.Limiter
	ctl     rateController
	cur     float64   // current rate; +Inf until an unlimited limiter is throttled
	started bool      // the first run of sending has begun
	paused  time.Time // every caller waits until then
	stats   LimiterStats
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
		sent:  sent,
		lim:   rate.NewLimiter(toLimit(target), burst),
		ctl:   newEstimator(target),
		cur:   target,
		now:   now,
		sleep: sleep,
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
	if !l.started {
		l.beginRun(now)
	}
	if now.Before(l.paused) {
		return l.paused.Sub(now), nil
	}
	r := l.lim.ReserveN(now, 1)
	return r.DelayFrom(now), r
}

// beginRun tells the controller that a run of sending starts at t.
func (l *Limiter) beginRun(t time.Time) {
	l.started = true
	l.ctl.begin(t)
}

func (l *Limiter) pauseLeft(now time.Time) (time.Duration, int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	d := l.paused.Sub(now)
	if d <= 0 {
		l.ctl.letThrough()
	}
	return d, l.stats.Cuts
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
// (see wait): pause everyone for retryAfter (if given) and, unless the
// rate was already cut after that request was let through, cut the rate
// as the controller says; sending resumes at the end of the pause.
func (l *Limiter) throttled(now time.Time, gen int64, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stats.Throttled++
	if retryAfter > 0 {
		l.pauseLocked(now.Add(retryAfter)) // at most the client's MaxWait
	}
	if gen < l.stats.Cuts {
		return
	}
	l.cur = l.ctl.throttled(now, l.cur, retryAfter > 0)
	l.beginRun(later(now, l.paused))
	l.stats.Cuts++
	l.lim.SetLimitAt(now, rate.Limit(l.cur))
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// accepted records a response other than 429; the controller may raise
// the rate.
func (l *Limiter) accepted(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if next := l.ctl.accepted(now, l.cur); next != l.cur {
		l.cur = next
		l.lim.SetLimitAt(now, rate.Limit(l.cur))
	}
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
