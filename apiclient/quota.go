package apiclient

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// quota is what one response's rate-limit headers announce. A field the
// headers do not give, or give as garbage, is -1 (0 for window).
type quota struct {
	limit     float64       // requests per window
	window    time.Duration // the policy's window (w=), 0 when not given
	remaining float64       // requests left in the current window
	reset     time.Duration // until the current window ends
}

func (q quota) known() bool { return q.limit > 0 || q.remaining >= 0 && q.reset >= 0 }

// Bounds of believable values: anything else is garbage and ignored.
const (
	maxQuota  = 1e9                 // requests per window
	epochFrom = 1e8                 // a Reset this large is a Unix time (1973 on), not delta-seconds
	maxReset  = 31 * 24 * time.Hour // longer windows are not believed
)

// parseQuota reads the rate-limit headers of a response received at now:
// the IETF draft's RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset
// and RateLimit-Policy, its later combined RateLimit field
// ("default";r=50;t=30 or limit=100, remaining=50, reset=30), and the
// common X-RateLimit-Limit, -Remaining and -Reset, whose Reset is either
// delta-seconds or, when larger than 1e8 (years), a Unix time. The RateLimit
// forms win over the X- form field by field. Values that are not
// non-negative numbers, a Remaining above the Limit, a Reset more than a
// month away are ignored.
func parseQuota(h http.Header, now time.Time) quota {
	q := quota{limit: -1, remaining: -1, reset: -1}
	// Later sources fill only what earlier ones left unknown.
	if v := h.Get("RateLimit-Limit"); v != "" {
		// "100" or, in the early drafts, "100, 100;w=60, 1000;w=3600".
		q.fill(firstItem(v), "q")
	}
	q.fillNumber(&q.remaining, h.Get("RateLimit-Remaining"))
	q.fillReset(h.Get("RateLimit-Reset"), now)
	if v := h.Get("RateLimit"); v != "" {
		q.fillParams(v, now)
	}
	if v := h.Get("RateLimit-Policy"); v != "" {
		q.fill(firstItem(v), "q")
	}
	q.fillNumber(&q.limit, h.Get("X-RateLimit-Limit"))
	q.fillNumber(&q.remaining, h.Get("X-RateLimit-Remaining"))
	q.fillReset(h.Get("X-RateLimit-Reset"), now)
	if q.limit <= 0 {
		q.limit, q.window = -1, 0
	}
	if q.limit > 0 && q.remaining > q.limit {
		q.remaining = -1
	}
	return q
}

// firstItem is the first member of a structured-field list.
func firstItem(v string) string {
	item, _, _ := strings.Cut(v, ",")
	return item
}

// fill reads one item: a bare number (the quota) and parameters, of
// which the quota's name is quotaKey and w is the window in seconds.
func (q *quota) fill(item, quotaKey string) {
	for i, p := range strings.Split(item, ";") {
		k, v, isParam := strings.Cut(strings.TrimSpace(p), "=")
		switch {
		case i == 0 && !isParam:
			q.fillNumber(&q.limit, k)
		case k == quotaKey:
			q.fillNumber(&q.limit, v)
		case k == "w":
			if w, ok := number(v); ok && w > 0 && w <= maxReset.Seconds() && q.window == 0 {
				q.window = time.Duration(w * float64(time.Second))
			}
		}
	}
}

// fillParams reads the combined RateLimit field of the later drafts:
// parameters r (remaining), t (reset, delta-seconds) and q (quota) of
// its first item, or limit=, remaining=, reset= members.
func (q *quota) fillParams(v string, now time.Time) {
	for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' }) {
		k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok {
			continue
		}
		switch strings.ToLower(k) {
		case "r", "remaining":
			q.fillNumber(&q.remaining, val)
		case "t", "reset":
			q.fillReset(val, now)
		case "q", "limit":
			q.fillNumber(&q.limit, val)
		case "w":
			q.fill("w="+val, "")
		}
	}
}

func (q *quota) fillNumber(dst *float64, v string) {
	if n, ok := number(v); ok && *dst < 0 && n <= maxQuota {
		*dst = n
	}
}

func (q *quota) fillReset(v string, now time.Time) {
	n, ok := number(v)
	if !ok || q.reset >= 0 {
		return
	}
	d := time.Duration(n * float64(time.Second))
	if n > epochFrom {
		// A Unix time; one already past (clocks differ) is now.
		sec, frac := math.Modf(n)
		d = max(0, time.Unix(int64(sec), int64(frac*1e9)).Sub(now))
	}
	if d <= maxReset {
		q.reset = d
	}
}

// number parses a non-negative decimal number, quoted or not; ok is false
// for anything else (NaN, Inf, signs, words).
func number(v string) (float64, bool) {
	v = strings.Trim(strings.TrimSpace(v), `"`)
	if v == "" || v[0] < '0' || v[0] > '9' {
		return 0, false
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
		return 0, false
	}
	return n, true
}

// Pacing from the server's headers. The announced limit over its window
// (the policy's w, else the longest Reset seen, at least a second) is a
// ceiling on the rate: the even pace that spends the quota as the window
// passes. Remaining is a gate, which keeps that pace (and the callers
// that went before the first answer) from overspending: it was counted
// when the server handled that request, and every caller let through
// since may spend from it too, so callers may go up to the one numbered
// seq + Remaining (seq being that request's place among the callers let
// through) and then wait until the window ends. A later request's answer
// with less left narrows the gate; one with more left opens a new window.
// Answers to requests let through before the last one seen say nothing
// newer and are skipped. When the window's end passes, the next window is
// taken to hold a whole quota (the Limiter asks before letting anyone
// through, so no one has gone in it yet). A window ending more than
// DefaultMaxWait away is not gated: the 429 and its Retry-After decide,
// so a long wait is reported rather than silent.
const budgetPoll = 20 * time.Millisecond // checks while the budget is spent

// budget is the Limiter's record of the server's headers.
type budget struct {
	rate    float64       // limit / window; 0 unknown
	limit   float64       // last announced limit; 0 unknown
	window  time.Duration // from the policy, else the longest reset seen
	policyW bool          // window came from a policy
	gated   bool          // allowed and resetAt hold a window's budget
	allowed int64         // callers up to this number may go
	lastSeq int64         // the caller whose answer set the gate last
	lastRem float64       // its Remaining
	resetAt time.Time     // the window ends by then
}

func (b *budget) update(now time.Time, seq int64, q quota) {
	if q.window > 0 {
		b.window, b.policyW = q.window, true
	} else if q.reset > 0 && !b.policyW {
		// Whole seconds: the longest Reset seen is about the window.
		b.window = max(b.window, time.Duration(math.Ceil(q.reset.Seconds()))*time.Second)
	}
	if q.limit > 0 {
		b.limit = q.limit
		b.rate = q.limit / max(time.Second, b.window).Seconds()
	}
	if q.remaining < 0 || q.reset < 0 || q.reset > DefaultMaxWait || seq <= b.lastSeq {
		// A window ending further away than a Retry-After the client
		// obeys by default does not hold every worker silently: the
		// server's 429 and its Retry-After decide.
		return
	}
	end := now.Add(q.reset)
	if !b.gated || q.remaining > b.lastRem {
		// A new window.
		b.gated, b.allowed, b.resetAt = true, seq+int64(q.remaining), end
	} else {
		b.allowed = min(b.allowed, seq+int64(q.remaining))
		if end.Before(b.resetAt) {
			b.resetAt = end
		}
	}
	b.lastSeq, b.lastRem = seq, q.remaining
}

// wait is how long the caller after the seq-th must wait at now. The
// Limiter asks before letting anyone through, so the first ask after the
// window's end comes before anyone was let through in the next window.
func (b *budget) wait(now time.Time, seq int64) time.Duration {
	if !b.gated {
		return 0
	}
	if !now.Before(b.resetAt) {
		// The window ended: the next holds the whole quota, as far as
		// known, and ends within a window from now.
		if b.limit <= 0 {
			b.gated = false
			return 0
		}
		b.lastSeq, b.lastRem = seq, b.limit
		b.allowed = seq + int64(b.limit)
		b.resetAt = now.Add(max(time.Second, b.window))
	}
	if seq < b.allowed {
		return 0
	}
	return min(b.resetAt.Sub(now), budgetPoll)
}
