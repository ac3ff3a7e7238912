// Package apiclient is a typed client for the Aivapad Customers API with
// retries, rate limiting and streaming list decoding.
//
// # Design
//
// Every request goes through one loop, Client.call: wait for the
// Limiter, send one attempt (once), tell the Limiter what came back
// (observe), then decide whether to send again. The single-object calls
// reach it through do, which encodes the body and decodes a 2xx answer of
// at most 8 MiB; the list reaches it through list, which streams the body
// instead. An attempt records whether the request was written in full
// (from an httptrace hook) as well as its status and error, because that
// is what the retry decision needs.
//
// The decision itself is a pure function, ShouldRetry(method, sent,
// status, err), with Backoff (full jitter) for the wait and
// ParseRetryAfter for the server's. The loop adds only what needs its
// state: a POST that may have reached the server is never sent again (the
// error matches ErrOutcomeUnknown, and the caller looks the customer up);
// a DELETE answered 404 after an attempt with an unknown outcome counts as
// done; a Retry-After longer than Options.MaxWait fails the request
// instead of stalling every worker; a list that has already yielded
// customers is not retried. A Retry-After on a 429 or a 5xx is honoured by
// pausing the shared Limiter, so every worker waits, not only the one
// that was answered.
//
// Rate limiting has two halves. The Limiter is the pacer, shared by all
// workers: a token bucket (golang.org/x/time/rate) at the current rate, a
// pause that holds every caller until a Retry-After ends, a cap on any
// rolling second (reservations are made ahead of time, so callers made
// overdue by a stall would otherwise go at once), and generations: each
// caller learns how many cuts were made before it was let through, so a
// 429 for a request sent before the last cut is counted but cuts nothing.
// What the rate should be is asked of a rateController (ratecontrol.go),
// which, like the Calculator of rclone's lib/pacer, only computes: told
// the events (a run of sending begins, a caller is let through, a response
// is accepted, a 429 comes with or without Retry-After), it returns the
// next rate. Its implementation, estimator, finds a server limit below the
// configured rate: it halves on a 429 that ends a run within about twice
// the server's burst, otherwise cuts to a lower bound of the limit
// measured over the run, stops probing for a minute after two such
// estimates agree, and otherwise climbs back in small steps.
//
// A server that announces its limit in headers (the IETF draft's
// RateLimit-Limit, -Remaining, -Reset and RateLimit-Policy, the later
// combined RateLimit field, or the common X-RateLimit-* with a Reset in
// delta-seconds or as a Unix time) is paced from them (quota.go), never
// above the configured rate: the token bucket runs at the announced limit
// over its window, and Remaining is a gate. It was counted when the
// server handled that request, and the callers let through since spend
// from it too, so each caller carries its place among those let through
// (its ticket, with its generation): callers may go up to that place plus
// Remaining, then wait until the window ends (or an answer from the next
// window opens it). Values that are not plausible numbers are ignored;
// a 429 is handled as without headers.
//
// A limiter can start from a rate learned against the same server in an
// earlier run (StartFrom, Learned): just under it, taken as a measured
// limit, so no probing for a minute. The CLI keeps such rates in the user
// cache dir.
//
// ListCustomers and ListRaw decode the JSON array as it arrives, one
// element at a time, so memory does not grow with the tenant. A
// json.Decoder reads through a listSource that keeps the bytes since the
// end of the last element: the element's raw bytes come without a second
// scan (ListRaw yields them, in a reused buffer), and reads past 16 MiB
// beyond the last element fail, so a malformed answer cannot take all
// memory. The typed path decodes each element into a struct of the API's
// own shape with unknown members disallowed, and falls back to
// Customer.UnmarshalJSON for anything else. A body that ends before the
// closing "]" is an error (io.ErrUnexpectedEOF), never a short list. The
// list has no overall timeout: a watchdog cancels the attempt when no
// byte arrives for Options.Timeout, and is stopped while the caller holds
// an element.
//
// A string "_id" (the API repeats the id there) is the typed ObjectID, not
// a one-member Extra map per customer, and a customer keeps no copy of its
// bytes: with those two allocations gone, a CSV export took 1.40× the bare
// json.Decoder pass instead of 1.58×. ListRaw decodes into struct{}, which
// checks the element and keeps nothing. The element's bytes are taken
// between the Decoder's InputOffsets rather than decoded into a
// json.RawMessage, which would scan each element a second time; these ~40
// lines are the only JSON code of our own (a hand-written one-pass scanner
// of 1,150 lines did this before; it cost about 1 µs a customer against
// encoding/json's 7 µs, which bounds an export to one core). One
// difference from UnmarshalJSON remains on the fast path: encoding/json
// matches a member name that differs from a known one only in case
// ("Email").
//
// # What a limiter can reach
//
// Over a short job against a server limit L that answers 429 with a
// whole-second Retry-After, the pauses dominate. Until its first 429 a
// client cannot tell the server from one with no limit (where --rate R must
// reach 0.97 R), so it sends above L and meets a 429 after about the
// server's burst b; each 429 pauses every worker for a second, in which
// the server's bucket refills only b, so L − b requests of capacity are
// lost per pause. n creates with k pauses take at least (n − b + k·(L − b))/L
// seconds: for 450 creates and b = 5, one pause at L = 100 caps the job at
// 0.83 L, and at L = 30 0.9 L allows at most two pauses. Measured
// (TestLimiterBench, synctest virtual time): 0.98 L at L = 5, 0.85 L at 30,
// 0.60 L at 100; over 60·L creates 0.97/0.95/0.94 L. Hence the headers
// and the memory: with either, the first 429 is avoided
// (TestServerLimitBench: 0.98-1.00 L with no 429 from headers; 0.98 L on
// a second run from the first run's rate).
//
// # Idempotency
//
// Every create carries an Idempotency-Key, the same for every send of one
// row within a run and new in each run (so importing a file again after an
// undo creates again rather than being answered from a server's key
// cache). Where the API honours it, it is a second line of defence; the
// tool does not rely on it.
//
// # The token
//
// The token is sent only in the Authorization header; it is kept behind a
// pointer, replaced by "[redacted]" when Options or a Client is printed,
// and removed from every log line and from the server's error messages.
package apiclient
