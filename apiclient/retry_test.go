package apiclient

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestShouldRetry(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	reset := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	timeout := errAttemptTimeout{time.Second}
	tests := []struct {
		method string
		sent   bool
		status int
		err    error
		want   bool
	}{
		// Statuses, every method.
		{"GET", true, 429, nil, true},
		{"POST", true, 429, nil, true},
		{"PUT", true, 429, nil, true},
		{"DELETE", true, 429, nil, true},
		{"GET", true, 502, nil, true},
		{"GET", true, 503, nil, true},
		{"GET", true, 504, nil, true},
		{"PUT", true, 503, nil, true},
		{"DELETE", true, 504, nil, true},
		{"GET", true, 500, nil, true},
		{"PUT", true, 500, nil, true},
		{"DELETE", true, 500, nil, true},
		{"POST", true, 500, nil, false},
		{"POST", true, 502, nil, false},
		{"POST", true, 503, nil, false},
		{"POST", true, 504, nil, false},
		{"GET", true, 501, nil, false},
		{"GET", true, 400, nil, false},
		{"POST", true, 400, nil, false},
		{"PUT", true, 403, nil, false},
		{"GET", true, 401, nil, false},
		{"DELETE", true, 404, nil, false},
		{"GET", true, 409, nil, false},
		{"GET", true, 200, nil, false},
		{"POST", true, 201, nil, false},
		// No response.
		{"GET", false, 0, refused, true},
		{"POST", false, 0, refused, true},
		{"GET", true, 0, reset, true},
		{"PUT", true, 0, reset, true},
		{"DELETE", true, 0, io.ErrUnexpectedEOF, true},
		{"POST", true, 0, reset, false},
		{"POST", true, 0, io.EOF, false},
		{"POST", false, 0, io.EOF, true},
		{"GET", true, 0, timeout, true},
		{"POST", true, 0, timeout, false},
		{"POST", false, 0, timeout, true},
		{"GET", true, 0, context.DeadlineExceeded, true},
		{"GET", false, 0, context.Canceled, false},
		{"POST", false, 0, context.Canceled, false},
		{"GET", false, 0, nil, false},
	}
	for _, tt := range tests {
		name := tt.method + " " + http.StatusText(tt.status)
		if tt.err != nil {
			name += " " + tt.err.Error()
		}
		if tt.sent {
			name += " sent"
		}
		t.Run(name, func(t *testing.T) {
			got, reason := ShouldRetry(tt.method, tt.sent, tt.status, tt.err)
			if got != tt.want {
				t.Errorf("ShouldRetry = %v (%s), want %v", got, reason, tt.want)
			}
			if reason == "" {
				t.Error("empty reason")
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		attempt int
		rnd     float64
		want    time.Duration
	}{
		{1, 0, 0},
		{1, 0.5, 125 * time.Millisecond},
		{2, 0.5, 250 * time.Millisecond},
		{3, 0.999, 999 * time.Millisecond},
		{8, 0.5, 15 * time.Second},
		{9, 0.5, 15 * time.Second}, // 64s capped at 30s
		{100, 0.5, 15 * time.Second},
		{0, 0.5, 125 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := Backoff(tt.attempt, func() float64 { return tt.rnd }); got != tt.want {
			t.Errorf("Backoff(%d, %v) = %v, want %v", tt.attempt, tt.rnd, got, tt.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		v    string
		want time.Duration
	}{
		{"", 0},
		{"3", 3 * time.Second},
		{" 1 ", time.Second},
		{"0", 0},
		{"-5", 0},
		{"120", 120 * time.Second},
		{"86400", 24 * time.Hour},
		{"9999999999", retryAfterCeiling},
		{"99999999999999999999", 0}, // overflows: malformed
		{"1.5", 0},
		{"soon", 0},
		{now.Add(42 * time.Second).Format(http.TimeFormat), 42 * time.Second},
		{"Sat, 01 Mar 2025 12:00:10 GMT", 10 * time.Second},
		{"Saturday, 01-Mar-25 12:00:10 GMT", 10 * time.Second}, // RFC 850
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{now.Add(time.Hour).Format(http.TimeFormat), time.Hour},
	}
	for _, tt := range tests {
		if got := ParseRetryAfter(tt.v, now); got != tt.want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", tt.v, got, tt.want)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	long := strings.Repeat("é", 200) // 400 bytes
	tests := []struct {
		name string
		body string
		want string
	}{
		{"message", `{"message":"email is not a valid address","error":"Bad Request"}`, "email is not a valid address"},
		{"message list", `{"message":["email must be an email","name should not be empty"],"statusCode":400}`, "email must be an email; name should not be empty"},
		{"error string", `{"error":"token expired"}`, "token expired"},
		{"error object", `{"error":{"code":"E42","message":"no active account context"}}`, "no active account context"},
		{"empty message falls back", `{"message":"","error":"boom"}`, "boom"},
		{"unknown json", `{"detail":"x"}`, `{"detail":"x"}`},
		{"raw text", "<html>\n<h1>502 Bad Gateway</h1>\n</html>", "<html> <h1>502 Bad Gateway</h1> </html>"},
		{"raw text cut at 300 bytes on a rune boundary", long, strings.Repeat("é", 150) + "…"},
		{"empty", "", "bad gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errorMessage([]byte(tt.body), http.StatusBadGateway); got != tt.want {
				t.Errorf("errorMessage = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestErrorSentences(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&APIError{Method: "POST", Path: "/customers", Status: 400, Message: "email is not a valid address", Attempts: 1},
			"POST /customers: HTTP 400: email is not a valid address"},
		{&APIError{Method: "PUT", Path: "/customers/1", Status: 403, Message: "forbidden", Scope: "customers:write", Attempts: 1},
			"PUT /customers/1: HTTP 403: forbidden (the token is invalid or expired, or probably lacks the customers:write scope)"},
		{&APIError{Method: "POST", Path: "/customers", Status: 503, Message: "service unavailable", Attempts: 1},
			"POST /customers: HTTP 503: service unavailable; no answer said whether the customer was created"},
		{&APIError{Method: "GET", Path: "/customers", Status: 503, Message: "down", Attempts: 6},
			"GET /customers: HTTP 503: down (gave up after 6 attempts)"},
		{&TransportError{Method: "POST", Path: "/customers", Sent: true, Attempts: 1, Err: io.ErrUnexpectedEOF},
			"POST /customers: connection lost after the request was sent: unexpected EOF; no answer said whether the customer was created"},
		{&TransportError{Method: "GET", Path: "/customers", Attempts: 3, Err: errors.New("dial tcp: connection refused")},
			"GET /customers: could not send the request (gave up after 3 attempts): dial tcp: connection refused"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q\n           want %q", got, tt.want)
		}
	}
}
