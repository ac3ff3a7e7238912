package apiclient

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Backoff and Retry-After bounds.
const (
	// BackoffBase is the first retry's maximum wait; each retry doubles it.
	BackoffBase = 250 * time.Millisecond
	// MaxBackoff caps the exponential backoff.
	MaxBackoff = 30 * time.Second
	// DefaultMaxWait is the longest Retry-After a client waits by
	// default (Options.MaxWait, --max-wait): a server that asks for more
	// fails the request with a message instead of stalling the run.
	DefaultMaxWait = 5 * time.Minute
	// retryAfterCeiling bounds a parsed Retry-After, far above any wait
	// allowed, so that arithmetic on it cannot overflow.
	retryAfterCeiling = 100 * 365 * 24 * time.Hour
)

// ShouldRetry is the retry policy, a pure function. method is the HTTP
// method; sent reports that the request was written in full (the server may
// have acted on it); status is the response status, 0 when there was no
// complete response, in which case err says why. It returns whether the
// same request may be sent again and, either way, a short reason for logs.
//
// Retried: 429 (the server did not process the request), 502, 503, 504,
// connection errors and timeouts; 500 only for GET, PUT and DELETE. Never
// retried: other statuses (400, 401, 403, 404 …), the caller's
// cancellation, and a POST that may have reached the server (sent, or
// answered with any 5xx): creating is not idempotent, so its outcome must be
// reconciled by the caller (ErrOutcomeUnknown).
func ShouldRetry(method string, sent bool, status int, err error) (retry bool, reason string) {
	post := method == http.MethodPost
	if status == 0 {
		switch {
		case err == nil:
			return false, "no response and no error"
		case errors.Is(err, context.Canceled):
			return false, "cancelled"
		case post && sent:
			return false, "the request was sent but no response came back: the customer may exist"
		case isTimeout(err):
			return true, "timeout"
		default:
			return true, "connection error"
		}
	}
	switch {
	case status < 300:
		return false, "success"
	case status == http.StatusTooManyRequests:
		return true, "throttled (429)"
	case status >= 500 && post:
		return false, "HTTP " + strconv.Itoa(status) + " on a create: the customer may exist"
	case status == http.StatusBadGateway, status == http.StatusServiceUnavailable, status == http.StatusGatewayTimeout:
		return true, "HTTP " + strconv.Itoa(status)
	case status == http.StatusInternalServerError:
		switch method {
		case http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodHead:
			return true, "HTTP 500 on an idempotent call"
		}
		return false, "HTTP 500 on a non-idempotent call"
	}
	return false, "HTTP " + strconv.Itoa(status) + " is final"
}

// Backoff returns the wait before retry number attempt (1 for the first
// retry): full jitter, a uniform draw from [0, min(MaxBackoff,
// BackoffBase·2^(attempt-1))). rnd returns a number in [0, 1).
func Backoff(attempt int, rnd func() float64) time.Duration {
	ceiling := MaxBackoff
	if attempt < 1 {
		attempt = 1
	}
	if attempt < 20 { // 250ms·2^19 is far above the cap
		ceiling = min(MaxBackoff, BackoffBase<<(attempt-1))
	}
	return time.Duration(rnd() * float64(ceiling))
}

// ParseRetryAfter reads a Retry-After header value, delay-seconds or an
// HTTP date (relative to now), as the server sent it (the client then
// refuses a wait longer than Options.MaxWait). It returns 0 for an
// absent, malformed or past value.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(retryAfterCeiling/time.Second) {
			return retryAfterCeiling
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return max(0, min(d, retryAfterCeiling))
}

// sleepCtx waits d or until ctx is done, whichever comes first.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
