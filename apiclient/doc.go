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
// The token is sent only in the Authorization header; it is kept behind a
// pointer, replaced by "[redacted]" when Options or a Client is printed,
// and removed from every log line and from the server's error messages.
package apiclient
