package apiclient

import (
	"math"
	"net/http"
	"testing"
	"time"
)

func TestParseQuota(t *testing.T) {
	now := time.Unix(1_700_000_000, 500_000_000)
	const u = -1
	tests := []struct {
		name    string
		headers map[string]string
		want    quota
	}{
		{"none", nil, quota{u, 0, u, u}},
		{"draft", map[string]string{"RateLimit-Limit": "100", "RateLimit-Remaining": "42", "RateLimit-Reset": "7"},
			quota{100, 0, 42, 7 * time.Second}},
		{"draft with policies in Limit", map[string]string{"RateLimit-Limit": "10, 10;w=1, 1000;w=3600", "RateLimit-Remaining": "3", "RateLimit-Reset": "1"},
			quota{10, 0, 3, time.Second}},
		{"policy", map[string]string{"RateLimit-Policy": "100;w=60", "RateLimit-Remaining": "5", "RateLimit-Reset": "30"},
			quota{100, time.Minute, 5, 30 * time.Second}},
		{"structured fields", map[string]string{"RateLimit": `"default";r=50;t=30`, "RateLimit-Policy": `"default";q=100;w=60`},
			quota{100, time.Minute, 50, 30 * time.Second}},
		{"combined members", map[string]string{"RateLimit": "limit=100, remaining=50, reset=5"},
			quota{100, 0, 50, 5 * time.Second}},
		{"X- with delta reset", map[string]string{"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "59", "X-RateLimit-Reset": "58"},
			quota{60, 0, 59, 58 * time.Second}},
		{"X- with Unix time reset", map[string]string{"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "4999", "X-RateLimit-Reset": "1700003600"},
			quota{5000, 0, 4999, 3599*time.Second + 500*time.Millisecond}},
		{"X- reset already past: now", map[string]string{"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1699999000"},
			quota{5, 0, 0, 0}},
		{"RateLimit wins over X-", map[string]string{"RateLimit-Limit": "10", "X-RateLimit-Limit": "99", "X-RateLimit-Remaining": "4"},
			quota{10, 0, 4, u}},
		{"garbage", map[string]string{"RateLimit-Limit": "lots", "RateLimit-Remaining": "-3", "RateLimit-Reset": "soon"},
			quota{u, 0, u, u}},
		{"NaN, Inf, hex, empty", map[string]string{"RateLimit-Limit": "NaN", "RateLimit-Remaining": "Inf", "RateLimit-Reset": "0x10", "X-RateLimit-Limit": ""},
			quota{u, 0, u, u}},
		{"zero limit", map[string]string{"RateLimit-Limit": "0", "RateLimit-Policy": "0;w=1"}, quota{u, 0, u, u}},
		{"remaining above the limit", map[string]string{"RateLimit-Limit": "10", "RateLimit-Remaining": "11", "RateLimit-Reset": "1"},
			quota{10, 0, u, time.Second}},
		{"reset beyond a month", map[string]string{"RateLimit-Limit": "10", "RateLimit-Reset": "99999999"}, quota{10, 0, u, u}},
		{"absurd limit", map[string]string{"RateLimit-Limit": "1e300"}, quota{u, 0, u, u}},
		{"garbage window", map[string]string{"RateLimit-Policy": "10;w=-1"}, quota{10, 0, u, u}},
	}
	for _, tt := range tests {
		h := http.Header{}
		for k, v := range tt.headers {
			h.Set(k, v)
		}
		if got := parseQuota(h, now); got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// TestBudgetGate: Remaining counts the caller that got it; callers let
// through after it spend from it too, and once it is spent everyone
// waits until the window ends (polling, since an answer from the next
// window may open it first).
func TestBudgetGate(t *testing.T) {
	var b budget
	now := t0
	q := quota{limit: 10, remaining: 3, reset: time.Second}
	b.update(now, 5, q) // the 5th caller's answer: 3 left
	if b.rate != 10 {
		t.Errorf("rate %v, want 10/1s", b.rate)
	}
	for seq, want := range map[int64]time.Duration{5: 0, 7: 0, 8: budgetPoll} {
		if got := b.wait(now, seq); got != want {
			t.Errorf("after %d let through: wait %v, want %v", seq, got, want)
		}
	}
	// A stale answer (of a caller before the 5th) is skipped; a later
	// one with less left narrows the gate.
	b.update(now, 4, quota{limit: 10, remaining: 9, reset: time.Second})
	b.update(now, 6, quota{limit: 10, remaining: 0, reset: time.Second})
	if got := b.wait(now, 6); got != budgetPoll {
		t.Errorf("6 let through, the 6th's answer 0 left: wait %v, want %v", got, budgetPoll)
	}
	// An answer with more left than the last: a new window.
	b.update(now.Add(10*time.Millisecond), 7, quota{limit: 10, remaining: 8, reset: time.Second})
	if got := b.wait(now, 9); got != 0 {
		t.Errorf("new window with 8 left after the 7th: wait %v for the 10th, want 0", got)
	}
	if got := b.wait(now, 15); got != budgetPoll {
		t.Errorf("new window: the 16th waits %v, want %v", got, budgetPoll)
	}
	// The window's end passes: the next holds the whole quota.
	end := now.Add(10*time.Millisecond + time.Second)
	if got := b.wait(end.Add(-time.Millisecond), 15); got != time.Millisecond {
		t.Errorf("just before the window's end: wait %v, want the 1ms left", got)
	}
	if got := b.wait(end, 15); got != 0 || b.allowed != 25 {
		t.Errorf("at the window's end: wait %v, allowed %d; want 0 and 15+10", got, b.allowed)
	}
}

// TestBudgetLongWindowNotGated: a spent budget whose window ends an hour
// away holds nobody (the server's 429 and Retry-After decide).
func TestBudgetLongWindowNotGated(t *testing.T) {
	var b budget
	b.update(t0, 1, quota{limit: 5000, remaining: 0, reset: time.Hour})
	if got := b.wait(t0, 1); got != 0 {
		t.Errorf("wait %v, want 0", got)
	}
}

// TestLimiterServerRate: the announced rate caps the pace but never
// raises it above the configured rate.
func TestLimiterServerRate(t *testing.T) {
	for _, tt := range []struct{ configured, limit, want float64 }{{100, 30, 30}, {10, 30, 10}, {0, 30, 30}} {
		l, clk := newTestLimiter(tt.configured, 1)
		tk, _ := l.wait(t.Context())
		l.announced(clk.now(), tk, quota{limit: tt.limit, remaining: tt.limit - 1, reset: time.Second})
		if s := l.Stats(); s.Rate != tt.want || s.ServerRate != tt.limit {
			t.Errorf("--rate %v, server limit %v: rate %v (server %v), want %v", tt.configured, tt.limit, s.Rate, s.ServerRate, tt.want)
		}
	}
}

// TestLimiterRemembers: a limiter started from a remembered rate starts
// just under it (never above the configured rate) and reports it as
// learned; a fresh one reports nothing until a 429 teaches it.
func TestLimiterRemembers(t *testing.T) {
	l, _ := newTestLimiter(100, 1)
	if _, ok := l.Learned(); ok {
		t.Error("a fresh limiter reports a learned rate")
	}
	l.StartFrom(30)
	if s := l.Stats(); s.Rate != rememberShare*30 {
		t.Errorf("started from 30: rate %v, want %v", s.Rate, rememberShare*30)
	}
	if r, ok := l.Learned(); !ok || r != 30 {
		t.Errorf("Learned = %v, %v", r, ok)
	}
	capped, _ := newTestLimiter(10, 1)
	capped.StartFrom(30)
	if s := capped.Stats(); s.Rate != 10 {
		t.Errorf("--rate 10, remembered 30: rate %v, want 10", s.Rate)
	}
	for _, bad := range []float64{0, -1, math.Inf(1), math.NaN()} {
		l, _ := newTestLimiter(100, 1)
		l.StartFrom(bad)
		if s := l.Stats(); s.Rate != 100 {
			t.Errorf("StartFrom(%v): rate %v, want 100", bad, s.Rate)
		}
	}
}
