package apiclient

import (
	"context"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Adaptive rate parameters. A server limit below the configured rate is
// found by cutting the rate on 429 and probing upwards again. A 429 for a
// request let through before the last cut says nothing new and is only
// counted (and its Retry-After honoured). A fresh 429 with Retry-After
// (see pausedCut):
//
//   - when the run since the last pause ended within about twice the
//     server's burst (estimated from such runs), halves the rate: it is
//     far too high, and the run says little more;
//   - otherwise sets the rate to a lower bound of the server's limit
//     measured over the run (accepted minus burst, per second, over the
//     best window ending at the 429): just under the limit. Two such
//     estimates within 5% of each other stop probing for a minute.
//
// A 429 without Retry-After (see cascadeCut) cuts by 10%, or halves within
// fastDrain of resuming, and never below 90% of what was accepted over the
// last second. Every accepted request raises the rate by recoverStep req/s
// (about 10% per second whatever the rate) far below the last level,
// by levelStep (0.5%/s) at or above a measured limit, or by probeStep
// (0.25%/s) near the rate of the last cut when no limit was measured yet;
// above 1.1 times that rate it climbs fast again, in case the server's
// limit rose. Each 429 with Retry-After pauses every worker, so the goal
// is few of them.
const (
	minRate     = 0.5 // req/s floor of the adaptive rate
	fastDrain   = 2 * time.Second
	probeStep   = 0.0025
	recoverStep = 0.1
	levelStep   = 0.005 // 0.5%/s above an estimated server limit
	sameLevel   = 0.05  // estimates this close are the same level
	maxRepeats  = 2     // 429s at the same level that stop probing
	freezeFor   = time.Minute
	slotDur     = 100 * time.Millisecond
	maxRunSlots = 600 // windows of up to a minute
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
	// Whole-second Retry-After (see throttled): the accepted responses of
	// the current run, per 100 ms since runStart, the server's burst as
	// estimated from the fewest accepted in a run, and the probing state.
	run         runHistory
	burstEst    float64 // 0 until the first 429 with Retry-After
	level       float64 // estimated server limit of the last informative run
	repeats     int     // informative 429s in a row at about level
	frozen      bool    // no more probing: repeats reached maxRepeats
	frozenUntil time.Time
	drains      []drain // runs that ended within about the burst
	stats       LimiterStats
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
		l.run.reset(now)
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
	d := l.paused.Sub(now)
	if d <= 0 {
		l.run.sent++
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
// (see wait): pause everyone for retryAfter (if given) and lower the rate
// unless the rate was already cut after that request was let through.
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
	prev := l.cur
	if math.IsInf(prev, 1) {
		prev = max(l.win.rate(now), minRate)
	}
	var next float64
	if retryAfter > 0 {
		next = l.pausedCut(now, prev)
	} else {
		next = l.cascadeCut(now, prev)
	}
	l.cur = max(minRate, next)
	l.ceiling = prev
	l.runStart = now
	if l.paused.After(now) {
		l.runStart = l.paused
	}
	l.run.reset(l.runStart)
	l.stats.Cuts++
	l.lim.SetLimitAt(now, rate.Limit(l.cur))
}

// cascadeCut is the cut for a 429 without Retry-After: nothing pauses, so
// the requests let through after a cut still meet the server's empty
// bucket for a while.
func (l *Limiter) cascadeCut(now time.Time, prev float64) float64 {
	run := now.Sub(l.runStart)
	next := prev * 0.9
	if run < fastDrain {
		next = prev * 0.5
	}
	if run >= time.Second || l.stats.Cuts > 0 {
		// The server accepted this much over the last second: halving
		// below it would only waste capacity. (Not for the first cut
		// within a second of starting, when that second may hold the
		// server's initial burst.) This also stops a cascade: each 429
		// of the requests let through after a cut would halve the rate
		// again (400 → 200 → 100 → 50 → 25 in 20 ms was seen).
		next = max(next, 0.9*min(prev, l.win.rate(now)))
	}
	return next
}

// pausedCut is the cut for a 429 with Retry-After, at the rate prev. The
// pause lets the server's bucket refill to its burst B and no more, so
// each run of sending (from the end of a pause to the next 429) starts
// with B tokens and ends with none: over any window of w seconds in it,
// the server accepted at most L·w + B, where L is its limit. Hence
//
//	L ≥ (accepted in w − B) / w	for every window w ending at the 429,
//
// which is tight when w covers the time the rate was above L. B is at
// most the fewest requests ever accepted in a run (the first run is
// little more than the burst). That lower bound, taken over the run's
// windows, is the new rate when the run went well past the burst: just
// under L, not a blind cut. When the run ended within about the burst,
// little is known but that the rate is far too high: halve it.
func (l *Limiter) pausedCut(now time.Time, prev float64) float64 {
	a := float64(l.run.total)
	if t := now.Sub(l.runStart).Seconds(); l.run.sent >= 8 && t > 0 {
		// Workers or latency may have held the rate below prev.
		prev = min(prev, float64(l.run.sent)/t)
	}
	fast := l.burstEst == 0 || a <= 2*l.burstEst
	if fast && !l.run.first.IsZero() && len(l.drains) < 8 {
		l.drains = append(l.drains, drain{a, now.Sub(l.run.first).Seconds()})
	}
	// B is at most a − L·t for a run that drained without idling (the
	// server's tokens never overflowed), so at most a − lo·t for a lower
	// bound lo of L; and lo depends on B. A few rounds settle both.
	lo := 0.0
	for range 3 {
		b := math.Inf(1)
		for _, d := range l.drains {
			b = min(b, d.accepted-lo*d.secs)
		}
		l.burstEst = max(1, b)
		if !fast {
			lo = max(lo, l.run.lowerBound(now, l.burstEst))
		}
	}
	if fast {
		// Drained within about the burst: the rate is far too high.
		return prev / 2
	}
	if l.level > 0 && math.Abs(lo-l.level) <= sameLevel*l.level {
		l.repeats++
	} else {
		l.repeats = 1
	}
	l.level = lo
	if l.repeats >= maxRepeats {
		l.frozen = true
		l.frozenUntil = now.Add(freezeFor)
	}
	return max(lo, prev/2)
}

// accepted records a response other than 429 and probes the rate upwards.
func (l *Limiter) accepted(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.win.add(now)
	l.run.add(now)
	if l.cur >= l.target {
		return
	}
	if l.frozen {
		if now.Before(l.frozenUntil) {
			return
		}
		l.frozen, l.repeats = false, 0
	}
	step := recoverStep
	switch {
	case l.cur >= 1.1*l.ceiling:
	case l.level > 0 && l.cur >= 0.9*l.level:
		step = levelStep
	case l.level == 0 && l.cur >= 0.9*l.ceiling:
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

// drain is a run that ended within about the server's burst: accepted
// responses over secs from the first to the 429.
type drain struct{ accepted, secs float64 }

// runHistory counts the accepted responses of a run of sending, per
// 100 ms since its start.
type runHistory struct {
	start time.Time
	slots []int
	total int       // accepted
	sent  int       // callers let through
	first time.Time // first accepted response
}

func (h *runHistory) reset(start time.Time) {
	h.start, h.slots, h.total, h.sent, h.first = start, h.slots[:0], 0, 0, time.Time{}
}

func (h *runHistory) add(now time.Time) {
	if now.Before(h.start) {
		return // a response to a request sent before the run
	}
	i := int(now.Sub(h.start) / slotDur)
	if i >= 2*maxRunSlots {
		// Keep the last maxRunSlots slots or so.
		drop := i - maxRunSlots + 1
		if drop >= len(h.slots) {
			h.slots = h.slots[:0]
		} else {
			h.slots = h.slots[:copy(h.slots, h.slots[drop:])]
		}
		h.start = h.start.Add(time.Duration(drop) * slotDur)
		i -= drop
	}
	if h.first.IsZero() {
		h.first = now
	}
	for len(h.slots) <= i {
		h.slots = append(h.slots, 0)
	}
	h.slots[i]++
	h.total++
}

// lowerBound is the largest (accepted in w − burst)/w over the windows w
// of at least 200 ms ending now (see pausedCut).
func (h *runHistory) lowerBound(now time.Time, burst float64) float64 {
	best, acc := 0.0, 0
	for k := len(h.slots) - 1; k >= 0 && len(h.slots)-k <= maxRunSlots; k-- {
		acc += h.slots[k]
		w := now.Sub(h.start.Add(time.Duration(k) * slotDur)).Seconds()
		if w >= 0.2 {
			best = max(best, (float64(acc)-burst)/w)
		}
	}
	return best
}
