package apiclient

import (
	"math"
	"time"
)

// Adaptive rate parameters. A server limit below the configured rate is
// found by cutting the rate on 429 and probing upwards again. A 429 for a
// request let through before the last cut says nothing new and is only
// counted (and its Retry-After honoured): the Limiter does not pass it on.
// A fresh 429 with Retry-After (see pausedCut):
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

// rateController is the half of a Limiter that decides the rate; the
// Limiter is the half that spaces requests at it (the token bucket, the
// Retry-After pause, the rolling second, the generations). Like rclone's
// lib/pacer Calculator, it only computes: it is told the events the
// Limiter sees, each with its time, and returns the next rate (in req/s,
// +Inf for unlimited) from the current one. It neither sleeps nor reads a
// clock, and needs no lock: the Limiter calls it under its own, one event
// at a time.
type rateController interface {
	// begin: a run of sending starts at t, which may be in the future:
	// the first caller, or the end of the pause that follows a cut.
	begin(t time.Time)
	// letThrough: the Limiter let a caller through to send.
	letThrough()
	// accepted: a response other than 429 came at now, the rate being
	// cur. It returns the next rate (cur when it is unchanged).
	accepted(now time.Time, cur float64) float64
	// throttled: a 429 came at now for a request let through since the
	// last cut, the rate being cur; retryAfter tells whether it came with
	// a Retry-After that paused every caller. It returns the cut rate.
	throttled(now time.Time, cur float64, retryAfter bool) float64
	// remember: before the first run, r is a limit learned against this
	// server in an earlier run (the rate starts just under it).
	remember(r float64)
	// settled: the rate worth remembering for the next run, the rate
	// being cur.
	settled(cur float64) float64
}

// estimator is the Limiter's rateController: it finds a server limit below
// the configured rate as the constants above explain.
type estimator struct {
	target   float64   // configured rate; +Inf for unlimited
	ceiling  float64   // the rate at which the last cut came
	cuts     int       // cuts made (429s passed to throttled)
	runStart time.Time // when sending last resumed after a cut
	win      rateWindow
	// Whole-second Retry-After (see pausedCut): the accepted responses of
	// the current run, per 100 ms since runStart, the server's burst as
	// estimated from the fewest accepted in a run, and the probing state.
	run         runHistory
	burstEst    float64 // 0 until the first 429 with Retry-After
	level       float64 // estimated server limit of the last informative run
	repeats     int     // informative 429s in a row at about level
	frozen      bool    // no more probing: repeats reached maxRepeats
	frozenUntil time.Time
	drains      []drain // runs that ended within about the burst
	remembered  bool    // the level was learned in an earlier run
}

// newEstimator returns the controller of a Limiter configured at target
// req/s (+Inf for unlimited).
func newEstimator(target float64) *estimator {
	return &estimator{target: target, ceiling: target}
}

func (e *estimator) begin(t time.Time) {
	if e.frozen && e.frozenUntil.IsZero() {
		e.frozenUntil = t.Add(freezeFor) // remembered: from the first send
	}
	e.runStart = t
	e.run.reset(t)
}

func (e *estimator) letThrough() { e.run.sent++ }

// remember takes a rate learned in an earlier run as a limit measured
// twice: no probing for freezeFor from the first send.
func (e *estimator) remember(r float64) {
	e.level, e.ceiling, e.repeats = r, r, maxRepeats
	e.frozen, e.frozenUntil = true, time.Time{}
	e.remembered = true
}

// settled is the measured (or remembered) limit, else cur: cur may be
// probing above the limit, or starting just under a remembered one.
func (e *estimator) settled(cur float64) float64 {
	if e.level > 0 {
		return e.level
	}
	return cur
}

// throttled cuts the rate. An unlimited rate is first taken as what was
// accepted over the last second.
func (e *estimator) throttled(now time.Time, cur float64, retryAfter bool) float64 {
	prev := cur
	if math.IsInf(prev, 1) {
		prev = max(e.win.rate(now), minRate)
	}
	var next float64
	if retryAfter {
		next = e.pausedCut(now, prev)
	} else {
		next = e.cascadeCut(now, prev)
	}
	e.ceiling = prev
	e.cuts++
	return max(minRate, next)
}

// cascadeCut is the cut for a 429 without Retry-After: nothing pauses, so
// the requests let through after a cut still meet the server's empty
// bucket for a while.
func (e *estimator) cascadeCut(now time.Time, prev float64) float64 {
	run := now.Sub(e.runStart)
	next := prev * 0.9
	if run < fastDrain {
		next = prev * 0.5
	}
	if run >= time.Second || e.cuts > 0 {
		// The server accepted this much over the last second: halving
		// below it would only waste capacity. (Not for the first cut
		// within a second of starting, when that second may hold the
		// server's initial burst.) This also stops a cascade: each 429
		// of the requests let through after a cut would halve the rate
		// again (400 → 200 → 100 → 50 → 25 in 20 ms was seen).
		next = max(next, 0.9*min(prev, e.win.rate(now)))
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
func (e *estimator) pausedCut(now time.Time, prev float64) float64 {
	a := float64(e.run.total)
	if t := now.Sub(e.runStart).Seconds(); e.run.sent >= 8 && t > 0 {
		// Workers or latency may have held the rate below prev.
		prev = min(prev, float64(e.run.sent)/t)
	}
	if e.burstEst == 0 && e.remembered {
		// The first 429 after starting at a remembered limit: the limit
		// is lower now, but likely not by much. Nothing is known of the
		// burst yet: taking it as at most a second's worth at prev, the
		// run measures a lower bound of the limit, a new level, unless
		// that is a cut of more than 10%.
		e.remembered = false
		e.level, e.repeats = 0, 0
		if lo := min(prev, e.run.lowerBound(now, prev)); lo > 0.9*prev {
			e.level, e.repeats = lo, 1
			return lo
		}
		return 0.9 * prev
	}
	fast := e.burstEst == 0 || a <= 2*e.burstEst
	if fast && !e.run.first.IsZero() && len(e.drains) < 8 {
		e.drains = append(e.drains, drain{a, now.Sub(e.run.first).Seconds()})
	}
	// B is at most a − L·t for a run that drained without idling (the
	// server's tokens never overflowed), so at most a − lo·t for a lower
	// bound lo of L; and lo depends on B. A few rounds settle both.
	lo := 0.0
	for range 3 {
		b := math.Inf(1)
		for _, d := range e.drains {
			b = min(b, d.accepted-lo*d.secs)
		}
		e.burstEst = max(1, b)
		if !fast {
			lo = max(lo, e.run.lowerBound(now, e.burstEst))
		}
	}
	if fast {
		// Drained within about the burst: the rate is far too high.
		return prev / 2
	}
	if e.level > 0 && math.Abs(lo-e.level) <= sameLevel*e.level {
		e.repeats++
	} else {
		e.repeats = 1
	}
	e.level = lo
	if e.repeats >= maxRepeats {
		e.frozen = true
		e.frozenUntil = now.Add(freezeFor)
	}
	return max(lo, prev/2)
}

// accepted counts the response and probes the rate upwards.
func (e *estimator) accepted(now time.Time, cur float64) float64 {
	e.win.add(now)
	e.run.add(now)
	if cur >= e.target {
		return cur
	}
	if e.frozen {
		if now.Before(e.frozenUntil) {
			return cur
		}
		e.frozen, e.repeats = false, 0
	}
	step := recoverStep
	switch {
	case cur >= 1.1*e.ceiling:
	case e.level > 0 && cur >= 0.9*e.level:
		step = levelStep
	case e.level == 0 && cur >= 0.9*e.ceiling:
		step = probeStep
	}
	return min(e.target, cur+step)
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
