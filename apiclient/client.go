package apiclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// Defaults applied by New.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultMaxIdleConns = 16
	DefaultUserAgent    = "aivabatch"
)

const (
	maxObjectBody = 8 << 20  // largest single-object response read
	maxDrain      = 64 << 10 // bytes read from an unneeded body to keep the connection
	redacted      = "[redacted]"
)

// Options configure a Client. Only BaseURL and Token are required.
// Formatting Options with fmt never shows the token.
type Options struct {
	// BaseURL is the API root, e.g. DefaultBaseURL. It must be https://,
	// except for loopback hosts (127.0.0.0/8, ::1, localhost).
	BaseURL string
	// Token is the API token sent as "Authorization: Bearer …". It must not
	// be empty. It is never logged nor put in an error.
	Token string
	// HTTPClient, if set, is used as it is (tests inject transports). By
	// default the Client builds one with keep-alive, MaxIdleConns idle
	// connections per host and per-phase timeouts.
	HTTPClient *http.Client
	// Limiter spaces every attempt, retries included, and should be shared
	// by all workers. nil means a private unlimited limiter, which still
	// honours Retry-After and adapts after a 429.
	Limiter *Limiter
	// Retries is how many times a failed attempt may be repeated when
	// ShouldRetry allows it: 0 means never (the CLI passes 5). Negative is
	// an error.
	Retries int
	// Timeout bounds one attempt of a single-object call, and for the list
	// the wait for the response headers and any wait for more body bytes
	// (a long download that keeps moving is never cut). 0 means
	// DefaultTimeout.
	Timeout time.Duration
	// MaxWait is the longest Retry-After the client waits for; a server
	// asking for more fails the request (an *APIError with MaxWait set)
	// instead of stalling every worker. 0 means DefaultMaxWait.
	MaxWait time.Duration
	// OptionName, when set, names an option in the errors' advice as the
	// caller does (the command line gives its flag, "--max-wait");
	// without it an option is named in words (its String).
	OptionName func(Option) string
	// UserAgent is sent as User-Agent; "" means DefaultUserAgent.
	UserAgent string
	// MaxIdleConns is the number of connections kept open to the API host,
	// and the most that are opened: give at least the number of requests
	// that run at once (workers, plus one if a list runs alongside).
	// Requests beyond it wait for a free connection. 0 means
	// DefaultMaxIdleConns.
	MaxIdleConns int
	// Verbose, if set, receives one line per attempt, response and retry
	// decision. Lines never hold the token. It may be called from several
	// goroutines at once.
	Verbose func(line string)

	// Now, Sleep and Rand replace the clock, the wait between retries and
	// the jitter source (tests make retries instant with them). Sleep must
	// return ctx.Err() when ctx is done first; Rand returns a number in
	// [0, 1) and must be safe for concurrent use. The private limiter made
	// when Limiter is nil uses Now and Sleep too.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	Rand  func() float64
}

// Format prints the options with the token replaced by "[redacted]", for
// every verb (%v, %+v, %#v, %s …).
func (o Options) Format(f fmt.State, verb rune) {
	type options Options // no methods, so no recursion
	if o.Token != "" {
		o.Token = redacted
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), options(o))
}

// secret holds the token behind a pointer so that reflection-based
// printing of a struct holding a Client shows an address, not the token.
type secret struct{ token string }

// Client calls the Customers API. It is safe for concurrent use by many
// goroutines; every method takes a context that bounds the whole call
// (waits for the limiter, attempts and backoffs included) and blocks until
// the call is done.
type Client struct {
	base    string
	secret  *secret
	hc      *http.Client
	limiter *Limiter
	retries int
	timeout time.Duration
	maxWait time.Duration
	names   func(Option) string
	ua      string
	verbose func(string)
	now     func() time.Time
	sleep   func(context.Context, time.Duration) error
	rand    func() float64
	stats   struct{ requests, retries, throttled, unknown atomic.Int64 }
}

// ClientStats counts what a Client did.
type ClientStats struct {
	Attempts       int64 // requests sent or tried, retries included
	Retries        int64 // attempts that were repeats
	Throttled      int64 // 429 responses
	OutcomeUnknown int64 // creates that ended with ErrOutcomeUnknown
}

// New checks opts and returns a Client. It does not touch the network.
func New(opts Options) (*Client, error) {
	base, err := checkBaseURL(opts.BaseURL)
	if err != nil {
		return nil, err
	}
	if opts.Token == "" {
		return nil, errors.New("apiclient: no API token")
	}
	if strings.ContainsAny(opts.Token, " \t\r\n") {
		return nil, errors.New("apiclient: the API token contains white space; check the token file")
	}
	if opts.Retries < 0 {
		return nil, fmt.Errorf("apiclient: retries must be 0 or more, not %d", opts.Retries)
	}
	if opts.MaxWait < 0 {
		return nil, fmt.Errorf("apiclient: the longest wait must not be negative, not %s", opts.MaxWait)
	}
	c := &Client{
		base:    base,
		secret:  &secret{opts.Token},
		hc:      opts.HTTPClient,
		limiter: opts.Limiter,
		retries: opts.Retries,
		timeout: orDefault(opts.Timeout, DefaultTimeout),
		maxWait: orDefault(opts.MaxWait, DefaultMaxWait),
		names:   opts.OptionName,
		ua:      orDefault(opts.UserAgent, DefaultUserAgent),
		verbose: opts.Verbose,
		now:     opts.Now,
		sleep:   opts.Sleep,
		rand:    opts.Rand,
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.sleep == nil {
		c.sleep = sleepCtx
	}
	if c.rand == nil {
		c.rand = rand.Float64
	}
	if c.limiter == nil {
		c.limiter = newLimiter(0, 1, c.now, c.sleep)
	}
	if c.hc == nil {
		c.hc = &http.Client{
			Transport: newTransport(orDefault(opts.MaxIdleConns, DefaultMaxIdleConns), c.timeout),
			// The API does not redirect; following one would re-send a
			// create, so a 3xx is reported as it is.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return c, nil
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// newTransport keeps up to maxIdle connections per host alive and opens no
// more than that (extra requests wait for a free connection rather than
// dial connections that the pool would then close), and bounds each phase
// separately instead of the whole exchange, which would cut a long list
// download.
func newTransport(maxIdle int, timeout time.Duration) *http.Transport {
	phase := min(timeout, 10*time.Second)
	dialer := &net.Dialer{Timeout: phase, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 proxyFor,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          max(maxIdle, 100),
		MaxIdleConnsPerHost:   maxIdle,
		MaxConnsPerHost:       maxIdle,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   phase,
		ResponseHeaderTimeout: timeout,
		ExpectContinueTimeout: time.Second,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
	}
}

// checkBaseURL accepts https:// anywhere and http:// to loopback only.
func checkBaseURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "", fmt.Errorf("apiclient: API URL %q is not an absolute http(s) URL", RedactTokens(raw))
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("apiclient: API URL must not hold credentials, a query or a fragment")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return "", fmt.Errorf("apiclient: refusing plain http:// to %s: use https:// (plain http is allowed only to loopback addresses)", RedactTokens(u.Host))
		}
	default:
		return "", fmt.Errorf("apiclient: API URL scheme %q is not supported: use https://", RedactTokens(u.Scheme))
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// isLoopback tells a host that never leaves this machine: localhost (in
// any case; not "localhost.", which a resolver may send to DNS) and the
// loopback addresses. It
// is the one test of both the plain-http check and the proxy choice
// (proxyFor), so that a URL allowed without TLS never goes to a proxy.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// proxyFor is the proxy of a request: none for a loopback host, whatever
// HTTP_PROXY and NO_PROXY say (Go's own rule compares "localhost" case-
// sensitively, so http://LOCALHOST went to the proxy, token and all, in
// clear); the environment's otherwise.
func proxyFor(req *http.Request) (*url.URL, error) {
	if isLoopback(req.URL.Hostname()) {
		return nil, nil
	}
	return http.ProxyFromEnvironment(req)
}

// Format prints the client's base URL; never its token.
func (c *Client) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprintf(f, "&apiclient.Client{BaseURL:%q, Token:%q}", c.base, redacted)
		return
	}
	fmt.Fprintf(f, "apiclient.Client{BaseURL: %s, Token: %s}", c.base, redacted)
}

// BaseURL returns the API root the client talks to, without trailing slash.
func (c *Client) BaseURL() string { return c.base }

// Limiter returns the limiter every attempt of this client waits on.
func (c *Client) Limiter() *Limiter { return c.limiter }

// Stats returns the client's counters. Safe for concurrent use.
func (c *Client) Stats() ClientStats {
	return ClientStats{
		Attempts:       c.stats.requests.Load(),
		Retries:        c.stats.retries.Load(),
		Throttled:      c.stats.throttled.Load(),
		OutcomeUnknown: c.stats.unknown.Load(),
	}
}

// GetCustomer returns the customer with this id. A missing id is
// ErrNotFound.
func (c *Client) GetCustomer(ctx context.Context, id string) (Customer, error) {
	var out Customer
	return out, c.do(ctx, http.MethodGet, customerPath(id), nil, &out, "")
}

// CreateCustomer creates a customer from f (name and email required) and
// returns it as stored. idempotencyKey, if not empty, is sent as the
// Idempotency-Key header. A create is retried only when it provably did not
// reach the server; otherwise the error matches ErrOutcomeUnknown and the
// caller must look the customer up before sending it again.
func (c *Client) CreateCustomer(ctx context.Context, f Fields, idempotencyKey string) (Customer, error) {
	var out Customer
	return out, c.do(ctx, http.MethodPost, "/customers", f, &out, idempotencyKey)
}

// UpdateCustomer sends the members of f to PUT /customers/:id (members
// absent from f are left alone by the server) and returns the customer as
// stored.
func (c *Client) UpdateCustomer(ctx context.Context, id string, f Fields) (Customer, error) {
	var out Customer
	return out, c.do(ctx, http.MethodPut, customerPath(id), f, &out, "")
}

// SetStatus sets the status (active, inactive or blocked) of a customer
// and returns the customer as stored.
func (c *Client) SetStatus(ctx context.Context, id, status string) (Customer, error) {
	var out Customer
	return out, c.do(ctx, http.MethodPut, customerPath(id)+"/status", Fields{"status": status}, &out, "")
}

// DeleteCustomer deletes a customer. A 404 on the first attempt is
// ErrNotFound; a 404 on a retry after an attempt whose outcome was unknown
// means that attempt deleted it, and DeleteCustomer returns nil.
func (c *Client) DeleteCustomer(ctx context.Context, id string) error {
	var out struct {
		Success *bool `json:"success"`
	}
	if err := c.do(ctx, http.MethodDelete, customerPath(id), nil, &out, ""); err != nil {
		return err
	}
	if out.Success != nil && !*out.Success {
		return fmt.Errorf("DELETE %s: the server answered success: false", customerPath(id))
	}
	return nil
}

// customerPath escapes id as one path segment. An empty id would address
// the collection; it gives "", which do refuses.
func customerPath(id string) string {
	if id == "" {
		return ""
	}
	return "/customers/" + url.PathEscape(id)
}

func scopeFor(method string) string {
	if method == http.MethodGet || method == http.MethodHead {
		return "customers:read"
	}
	return "customers:write"
}

// do sends one JSON call with retries and decodes a 2xx body into out.
func (c *Client) do(ctx context.Context, method, path string, in, out any, idempotencyKey string) error {
	if path == "" {
		return fmt.Errorf("%s /customers/: the customer id is empty: %w", method, ErrInvalid)
	}
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("%s %s: encoding the request: %w", method, path, err)
		}
	}
	read := func(resp *http.Response) error {
		if out == nil {
			return nil
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxObjectBody+1))
		if err != nil {
			return fmt.Errorf("reading the response: %w", err)
		}
		if len(data) > maxObjectBody {
			return fmt.Errorf("the response is larger than %d bytes", maxObjectBody)
		}
		if err := json.Unmarshal(data, out); err != nil {
			return finalError{fmt.Errorf("decoding the response: %w", err)}
		}
		return nil
	}
	return c.call(ctx, request{method: method, path: path, body: body, key: idempotencyKey}, read)
}

type request struct {
	method, path string
	body         []byte
	key          string
	stream       bool // the body is consumed while it arrives: no overall attempt timeout
}

// attempt is the outcome of sending a request once.
type attempt struct {
	status     int // 0: no complete response
	retryAfter time.Duration
	sent       bool      // the request was written in full
	api        *APIError // non-2xx
	cause      error     // no complete response, or the 2xx body failed
	final      bool      // do not retry whatever ShouldRetry says
	quota      quota     // the response's rate-limit headers
}

// finalError marks a read failure that must not be retried (the list
// already yielded elements).
type finalError struct{ err error }

func (e finalError) Error() string { return e.err.Error() }
func (e finalError) Unwrap() error { return e.err }

// errStopped: the consumer of a stream stopped early; not a failure.
var errStopped = errors.New("stopped by the consumer")

// call runs req with the retry policy. read consumes a 2xx response body.
func (c *Client) call(ctx context.Context, req request, read func(*http.Response) error) error {
	maybeApplied := false // an earlier attempt may have been applied
	for n := 1; ; n++ {
		tk, err := c.limiter.wait(ctx)
		if err != nil {
			return &TransportError{Method: req.method, Path: req.path, Attempts: n - 1, Err: err, cancelled: true}
		}
		c.stats.requests.Add(1)
		if n > 1 {
			c.stats.retries.Add(1)
		}
		a := c.once(ctx, req, read, n)
		tooLong := a.retryAfter > c.maxWait
		if tooLong {
			// Not a wait to honour: no worker pauses for it.
			a.retryAfter = 0
		}
		c.observe(a, tk)
		if a.api == nil && a.cause == nil {
			return nil
		}
		if errors.Is(a.cause, errStopped) {
			return nil
		}
		if req.method == http.MethodDelete && a.status == http.StatusNotFound && maybeApplied {
			c.logf("%s %s: 404 after an attempt with unknown outcome: counted as deleted", req.method, req.path)
			return nil
		}
		if ctx.Err() != nil {
			return c.fail(req, a, n, ctx.Err())
		}
		retry, reason := ShouldRetry(req.method, a.sent, a.status, a.cause)
		if retry && tooLong && a.api != nil {
			a.api.MaxWait, a.api.names = c.maxWait, c.names
			c.logf("%s %s: not retrying: the server asked to wait %s, longer than %s", req.method, req.path, a.api.RetryAfter.Round(time.Second), c.maxWait)
			return c.fail(req, a, n, nil)
		}
		if a.final || !retry || n > c.retries {
			if n > c.retries && retry {
				reason = "no retries left"
			}
			c.logf("%s %s: not retrying: %s", req.method, req.path, reason)
			return c.fail(req, a, n, nil)
		}
		if a.sent && (a.status == 0 || a.status >= 500) {
			maybeApplied = true
		}
		wait := Backoff(n, c.rand)
		if a.retryAfter > 0 {
			wait = 0 // observe paused the limiter, for every worker
		}
		c.logf("%s %s: retrying in %s: %s", req.method, req.path, wait.Round(time.Millisecond), reason)
		if err := c.sleep(ctx, wait); err != nil {
			return c.fail(req, a, n, err)
		}
	}
}

// fail turns the last attempt into the error returned to the caller. ctxErr
// is the caller's cancellation, if that is what ended the call.
func (c *Client) fail(req request, a attempt, n int, ctxErr error) error {
	var err error
	switch {
	case ctxErr != nil && a.api == nil:
		err = &TransportError{Method: req.method, Path: req.path, Sent: a.sent, Attempts: n, Err: ctxErr, cancelled: true}
	case a.api != nil:
		a.api.Attempts = n
		err = a.api
	default:
		err = &TransportError{Method: req.method, Path: req.path, Sent: a.sent, Attempts: n, Err: a.cause}
	}
	if errors.Is(err, ErrOutcomeUnknown) {
		c.stats.unknown.Add(1)
	}
	return err
}

// observe feeds the limiter: a 429 pauses and slows everyone, any other
// response lets the rate climb back.
func (c *Client) observe(a attempt, tk ticket) {
	if a.status != 0 && a.quota.known() {
		c.limiter.announced(c.now(), tk, a.quota)
	}
	switch {
	case a.status == http.StatusTooManyRequests:
		c.stats.throttled.Add(1)
		c.limiter.throttled(c.now(), tk.gen, a.retryAfter)
	case a.status != 0:
		if a.retryAfter > 0 && a.status >= 500 {
			// 503 with Retry-After: the server asks everyone to wait.
			c.limiter.Pause(c.now().Add(a.retryAfter))
		}
		c.limiter.accepted(c.now())
	}
}

// once sends req a single time and, on 2xx, lets read consume the body.
func (c *Client) once(ctx context.Context, req request, read func(*http.Response) error, n int) (a attempt) {
	var sent atomic.Bool
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var dog *watchdog
	if req.stream {
		dog = newWatchdog(c.timeout, cancel)
		defer dog.stop()
	} else {
		var stop context.CancelFunc
		actx, stop = context.WithTimeoutCause(actx, c.timeout, errAttemptTimeout{c.timeout})
		defer stop()
	}
	actx = httptrace.WithClientTrace(actx, &httptrace.ClientTrace{
		WroteRequest: func(i httptrace.WroteRequestInfo) {
			if i.Err == nil {
				sent.Store(true)
			}
		},
	})
	var body io.Reader
	if req.body != nil {
		body = bytes.NewReader(req.body)
	}
	hr, err := http.NewRequestWithContext(actx, req.method, c.base+req.path, body)
	if err != nil {
		return attempt{cause: err, final: true}
	}
	hr.Header.Set("Authorization", "Bearer "+c.secret.token)
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set("User-Agent", c.ua)
	if req.body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if req.key != "" {
		hr.Header.Set("Idempotency-Key", req.key)
	}
	if req.method == http.MethodPost {
		// Without GetBody the transport cannot replay a create on its own
		// (it would, on a reused connection, because of Idempotency-Key):
		// whether to re-send is decided here, knowing whether it was sent.
		hr.GetBody = nil
	}
	c.logf("%s %s%s (attempt %d, Authorization: Bearer %s)", req.method, c.base, req.path, n, redacted)
	start := c.now()
	resp, err := c.hc.Do(hr)
	a.sent = sent.Load()
	if err != nil {
		a.cause = c.cause(actx, dog, err)
		c.logf("%s %s: no response after %s: %s", req.method, req.path, c.now().Sub(start).Round(time.Millisecond), causeText(a.cause))
		return a
	}
	a.sent = true // a response means the server read the request
	a.status = resp.StatusCode
	a.retryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), c.now())
	a.quota = parseQuota(resp.Header, c.now())
	c.logf("%s %s: HTTP %d after %s", req.method, req.path, resp.StatusCode, c.now().Sub(start).Round(time.Millisecond))
	if dog != nil {
		dog.pause()
		resp.Body = dog.wrap(resp.Body)
	}
	defer drainClose(resp.Body)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		a.api = &APIError{
			Method: req.method,
			Path:   req.path,
			Status: resp.StatusCode,
			// The token is hidden before errorMessage cuts the text.
			Message:    c.redact(errorMessage([]byte(c.redact(string(data))), resp.StatusCode)),
			RetryAfter: a.retryAfter,
		}
		if a.status == http.StatusForbidden || a.status == http.StatusUnauthorized {
			a.api.Scope = scopeFor(req.method)
		}
		return a
	}
	if err := read(resp); err != nil {
		if errors.Is(err, errStopped) {
			a.cause = err
			return a
		}
		var fe finalError
		a.final = errors.As(err, &fe)
		// The server answered 2xx, so it acted; what failed is the body.
		a.status = 0
		a.cause = fmt.Errorf("HTTP %d, then %w", resp.StatusCode, c.cause(actx, dog, err))
	}
	return a
}

// errAttemptTimeout is the cause of an attempt that ran out of time.
type errAttemptTimeout struct{ d time.Duration }

func (e errAttemptTimeout) Error() string   { return fmt.Sprintf("no response within %s", e.d) }
func (e errAttemptTimeout) Timeout() bool   { return true }
func (e errAttemptTimeout) Temporary() bool { return true }

// cause strips *url.Error and replaces a cancellation of the attempt's own
// context by its cause (a timeout), keeping the caller's cancellation as
// it is.
func (c *Client) cause(actx context.Context, dog *watchdog, err error) error {
	if ue, ok := err.(*url.Error); ok {
		err = ue.Err
	}
	if dog != nil && dog.fired.Load() {
		return errAttemptTimeout{c.timeout}
	}
	if cause := context.Cause(actx); cause != nil && errors.Is(err, context.DeadlineExceeded) {
		var t errAttemptTimeout
		if errors.As(cause, &t) {
			return t
		}
	}
	return err
}

// drainClose reads a little of what is left of a body so that the
// connection can be reused, then closes it.
func drainClose(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, maxDrain))
	_ = body.Close()
}

func (c *Client) redact(s string) string {
	if t := c.secret.token; len(t) >= 4 {
		s = strings.ReplaceAll(s, t, redacted)
	}
	return s
}

func (c *Client) logf(format string, args ...any) {
	if c.verbose != nil {
		c.verbose(c.redact(fmt.Sprintf(format, args...)))
	}
}

// watchdog cancels a streaming attempt when no byte arrives for d: while
// waiting for the response headers and during each body Read, but not
// while the consumer holds an element.
type watchdog struct {
	d     time.Duration
	t     *time.Timer
	fired atomic.Bool
}

func newWatchdog(d time.Duration, cancel context.CancelCauseFunc) *watchdog {
	w := &watchdog{d: d}
	w.t = time.AfterFunc(d, func() {
		w.fired.Store(true)
		cancel(errAttemptTimeout{d})
	})
	return w
}

func (w *watchdog) pause() { w.t.Stop() }
func (w *watchdog) stop()  { w.t.Stop() }

func (w *watchdog) wrap(r io.ReadCloser) io.ReadCloser { return &watchedBody{r, w} }

type watchedBody struct {
	io.ReadCloser
	w *watchdog
}

func (b *watchedBody) Read(p []byte) (int, error) {
	b.w.t.Reset(b.w.d)
	n, err := b.ReadCloser.Read(p)
	b.w.t.Stop()
	return n, err
}
