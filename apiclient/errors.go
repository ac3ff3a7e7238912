package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// Kinds of failure, for errors.Is. Every error returned by a Client method
// matches at most one of ErrForbidden, ErrNotFound, ErrInvalid,
// ErrThrottled, ErrServer and ErrTransport, and may in addition match
// ErrOutcomeUnknown. The sentinels' own texts never appear in messages.
var (
	// ErrForbidden: HTTP 401 or 403. The token is missing, invalid,
	// expired, lacks a scope, or has no active account context.
	ErrForbidden = errors.New("forbidden")
	// ErrNotFound: HTTP 404, the id is not in this tenant.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: HTTP 400 or 422, the payload was rejected; or a call
	// refused before sending (an empty customer id).
	ErrInvalid = errors.New("invalid request")
	// ErrThrottled: HTTP 429 still returned after the last retry.
	ErrThrottled = errors.New("throttled")
	// ErrServer: HTTP 5xx.
	ErrServer = errors.New("server error")
	// ErrTransport: no complete response (connection refused or lost,
	// timeout, unreadable body). Cancellation by the caller's context is not
	// ErrTransport; it matches context.Canceled or
	// context.DeadlineExceeded instead.
	ErrTransport = errors.New("transport error")
	// ErrOutcomeUnknown: a create (POST) may have been applied by the
	// server but its response was not received intact (timeout or
	// connection lost after the request was sent, any 5xx, a 2xx whose body
	// could not be read). The client never re-sends such a request; the
	// caller must look the customer up (by email) before sending again.
	ErrOutcomeUnknown = errors.New("outcome unknown")
)

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// maxMessage bounds the raw-text fallback of APIError.Message, in bytes.
const maxMessage = 300

// APIError is a non-2xx response. It matches, with errors.Is, the kind of
// its status (see ErrForbidden …) and ErrOutcomeUnknown for a POST answered
// with a 5xx.
type APIError struct {
	Method string // HTTP method
	Path   string // path below the base URL, e.g. "/customers/65f…"
	Status int    // HTTP status code
	// Message is the server's explanation: the body's "message", else its
	// "error" (a string, or an object with a "message"), else the raw body
	// text cut to 300 bytes, else the status text. It never holds the
	// token.
	Message string
	// RetryAfter is the server's Retry-After; 0 if absent.
	RetryAfter time.Duration
	// MaxWait is set when the request was not retried because the
	// server's Retry-After was longer than this, the longest wait allowed
	// (Options.MaxWait). Error then advises a longer one, naming the
	// option (OptMaxWait) as Options.OptionName does.
	MaxWait time.Duration
	// Scope is, for 401/403, the scope this call needs ("customers:read"
	// or "customers:write").
	Scope string
	// Attempts is how many times the request was sent.
	Attempts int
	// names is the client's Options.OptionName.
	names func(Option) string
}

// Error returns one sentence such as
// "POST /customers: HTTP 400: email is not a valid address".
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: HTTP %d", e.Method, e.Path, e.Status)
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if (e.Status == http.StatusForbidden || e.Status == http.StatusUnauthorized) && e.Scope != "" {
		if !strings.Contains(e.Message, e.Scope) { // the server may have named it already
			fmt.Fprintf(&b, " (the token is invalid or expired, or probably lacks the %s scope)", e.Scope)
		}
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (gave up after %d attempts)", e.Attempts)
	}
	if e.MaxWait > 0 {
		fmt.Fprintf(&b, "; the server asked to wait %s before trying again (Retry-After), longer than the %s allowed: not retried; run again later, or allow a longer wait with %s", e.RetryAfter.Round(time.Second), e.MaxWait, optionName(e.names, OptMaxWait))
	}
	if e.outcomeUnknown() {
		b.WriteString("; no answer said whether the customer was created")
	}
	return b.String()
}

// Is reports whether target is the kind of this error.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrForbidden:
		return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrInvalid:
		return e.Status == http.StatusBadRequest || e.Status == http.StatusUnprocessableEntity
	case ErrThrottled:
		return e.Status == http.StatusTooManyRequests
	case ErrServer:
		return e.Status >= 500
	case ErrOutcomeUnknown:
		return e.outcomeUnknown()
	}
	return false
}

func (e *APIError) outcomeUnknown() bool {
	return e.Method == http.MethodPost && e.Status >= 500
}

// TransportError is a request that got no complete response: the
// connection could not be made or was lost, the attempt timed out, the
// body could not be read or decoded, or the caller cancelled. It unwraps
// to the cause (a net.Error, io.ErrUnexpectedEOF, context.Canceled, …).
type TransportError struct {
	Method string
	Path   string
	// Sent reports that the request had been written in full, so the
	// server may have acted on it.
	Sent bool
	// Attempts is how many times the request was sent or tried.
	Attempts int
	Err      error
	// cancelled: Err comes from the caller's context, not the network.
	cancelled bool
}

// Error returns one sentence naming the call and the cause, without the
// URL's host (the method and path say which call it was).
func (e *TransportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: ", e.Method, e.Path)
	switch {
	case e.cancelled:
		b.WriteString("cancelled")
	case isTimeout(e.Err):
		b.WriteString("timed out")
	case e.Sent:
		b.WriteString("connection lost after the request was sent")
	default:
		b.WriteString("could not send the request")
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (gave up after %d attempts)", e.Attempts)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(causeText(e.Err))
	}
	if e.outcomeUnknown() {
		b.WriteString("; no answer said whether the customer was created")
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *TransportError) Unwrap() error { return e.Err }

// Is reports ErrTransport (unless the caller cancelled) and
// ErrOutcomeUnknown (a POST that was sent).
func (e *TransportError) Is(target error) bool {
	switch target {
	case ErrTransport:
		return !e.cancelled
	case ErrOutcomeUnknown:
		return e.outcomeUnknown()
	}
	return false
}

func (e *TransportError) outcomeUnknown() bool {
	return e.Method == http.MethodPost && e.Sent
}

// causeText is err's message on one line. Callers strip *url.Error
// (`Post "https://…": `) before storing the cause, since the method and
// path already say which call it was.
func causeText(err error) string { return oneLine(err.Error()) }

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}

// errorMessage extracts the server's explanation from an error body of
// unknown shape; see APIError.Message. Token-shaped words are hidden
// before the raw text is cut, so that a cut never leaves part of a token
// in sight; the caller hides its own token in body before.
func errorMessage(body []byte, status int) string {
	msg := ""
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) == nil && obj != nil {
		msg = messageOf(obj["message"])
		if msg == "" {
			msg = messageOf(obj["error"])
		}
	}
	if msg == "" {
		msg = RedactTokens(string(bytes.TrimSpace(body)))
		if len(msg) > maxMessage {
			cut := maxMessage
			for cut > 0 && !utf8.RuneStart(msg[cut]) {
				cut--
			}
			msg = msg[:cut] + "…"
		}
	}
	msg = oneLine(RedactTokens(msg))
	if msg == "" {
		msg = strings.ToLower(http.StatusText(status))
	}
	return msg
}

// messageOf reads a "message" or "error" member: a string, a list of
// strings (as NestJS validation sends), or an object with a "message".
func messageOf(v json.RawMessage) string {
	if len(v) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	var list []string
	if json.Unmarshal(v, &list) == nil {
		return strings.Join(list, "; ")
	}
	var o map[string]json.RawMessage
	if json.Unmarshal(v, &o) == nil {
		return messageOf(o["message"])
	}
	return ""
}

// oneLine folds control characters (newlines included) into spaces so that
// a message stays one line in a report.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}
