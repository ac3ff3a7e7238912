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
	// seq counts the callers let through; budget is what the server's
	// rate-limit headers announced (quota.go).
	seq    int64
	budget budget
	// learnedFrom is the remembered rate this limiter started from (0:
	// none), see StartFrom.
	learnedFrom float64

	now   func() time.Time
	sleep func(context.Context, time.Duration) error
}

// LimiterStats are counters of a Limiter's life.
type LimiterStats struct {
	Throttled int64   // 429 responses observed
	Cuts      int64   // times the rate was lowered
	Pauses    int64   // times a Retry-After extended the pause
	Rate      float64 // current rate in req/s; +Inf when unlimited
	// ServerRate is the rate paced from the server's rate-limit headers
	// (0 until a response announced its limit); Rate is at most this.
	ServerRate float64
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

// ticket is what a caller let through carries to its response: the
// number of rate cuts made before (so that a 429 for this request can be
// told from one that the last cut already answered) and its place among
// the callers let through (for the server's Remaining, see budget).
type ticket struct{ gen, seq int64 }

// wait is Wait, returning the caller's ticket.
func (l *Limiter) wait(ctx context.Context) (ticket, error) {
	if err := ctx.Err(); err != nil {
		return ticket{}, err
	}
	for {
		d, r := l.reserve(l.now())
		if r != nil {
			if d > 0 {
				if err := l.sleep(ctx, d); err != nil {
					r.CancelAt(l.now())
					return ticket{}, err
				}
			}
			// A pause may have begun while this caller waited for its
			// token. Then the token is stale: every caller queued during
			// the pause would go at once when it ends. Queue again.
			d, tk := l.pauseLeft(l.now())
			if d <= 0 {
				return tk, l.windowWait(ctx)
			}
		}
		if err := l.sleep(ctx, d); err != nil {
			return ticket{}, err
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
	if d := l.holdLocked(now); d > 0 {
		return d, nil
	}
	r := l.lim.ReserveN(now, 1)
	return r.DelayFrom(now), r
}

// beginRun tells the controller that a run of sending starts at t.
func (l *Limiter) beginRun(t time.Time) {
	l.started = true
	l.ctl.begin(t)
}

// pauseLeft returns how long the caller must still wait (the pause, or
// the server's budget spent until its window ends), or lets it through.
func (l *Limiter) pauseLeft(now time.Time) (time.Duration, ticket) {
	l.mu.Lock()
	defer l.mu.Unlock()
	d := l.holdLocked(now)
	if d <= 0 {
		l.ctl.letThrough()
		l.seq++
	}
	return d, ticket{l.stats.Cuts, l.seq}
}

// holdLocked is how long every caller must wait from now: until the end
// of the pause, or while the server's announced budget is spent (then in
// steps of at most budgetPoll, since an answer from the next window may
// come first).
func (l *Limiter) holdLocked(now time.Time) time.Duration {
	if d := l.paused.Sub(now); d > 0 {
		return d
	}
	return l.budget.wait(now, l.seq)
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

// rememberShare of a remembered rate is where the next run starts: just
// under it.
const rememberShare = 0.98

// StartFrom makes the limiter start just under a rate learned against the same
// server in an earlier run (see Learned), if that is below the configured
// rate, taken as a measured limit: no probing above it for the first
// minute of sending, then slow probing, and a 429 cuts as usual. Call it
// before the first Wait. A rate that is not a positive number is ignored.
func (l *Limiter) StartFrom(learned float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !(learned > 0) || math.IsInf(learned, 1) || learned >= l.cur {
		return
	}
	l.cur, l.learnedFrom = max(minRate, rememberShare*learned), learned
	l.ctl.remember(learned)
	l.lim.SetLimit(toLimit(l.pace()))
}

// Learned returns the rate worth remembering for the next run against
// the same server: the rate the limiter is at, when a 429 taught it (or
// it started from such a rate, see StartFrom); ok is false otherwise.
func (l *Limiter) Learned() (ratePerSec float64, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stats.Cuts == 0 && l.learnedFrom == 0 || math.IsInf(l.cur, 1) {
		return 0, false
	}
	return l.ctl.settled(l.cur), true
}

// Stats returns the limiter's counters. Safe for concurrent use.
func (l *Limiter) Stats() LimiterStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.stats
	s.Rate = l.pace()
	s.ServerRate = max(0, l.budget.rate)
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
	l.cur = l.ctl.throttled(now, l.pace(), retryAfter > 0)
	l.beginRun(later(now, l.paused))
	l.stats.Cuts++
	l.lim.SetLimitAt(now, toLimit(l.pace()))
}

// pace is the rate the token bucket runs at: the controller's, at most
// the one the server announces.
func (l *Limiter) pace() float64 {
	if l.budget.rate > 0 {
		return min(l.cur, l.budget.rate)
	}
	return l.cur
}

// announced records the rate-limit headers of a response, for the caller
// of ticket tk, received at now.
func (l *Limiter) announced(now time.Time, tk ticket, q quota) {
	l.mu.Lock()
	defer l.mu.Unlock()
	before := l.pace()
	l.budget.update(now, tk.seq, q)
	if after := l.pace(); after != before {
		l.lim.SetLimitAt(now, toLimit(after))
	}
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
		before := l.pace()
		l.cur = next
		if after := l.pace(); after != before {
			l.lim.SetLimitAt(now, toLimit(after))
		}
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
