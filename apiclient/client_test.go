package apiclient_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"aivabatch/apiclient"
	"aivabatch/apiclient/sandbox"
)

func TestEndpoints(t *testing.T) {
	sb := newSandbox(t, sandbox.Options{})
	c := newClient(t, sb.URL, nil, "", nil)
	ctx := t.Context()

	created, err := c.CreateCustomer(ctx, apiclient.Fields{"name": "Ada Lovelace", "email": "ada@example.com", "value": 12.5}, "")
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if created.ID == "" || created.FirstName != "Ada" || created.LastName != "Lovelace" ||
		created.Status != "active" || created.Type != "individual" || created.Value != 12.5 || created.CreatedAt == "" {
		t.Fatalf("create returned %+v", created)
	}
	if created.ObjectID != created.ID || created.Extra != nil {
		t.Errorf("_id = %q, extra members %v; want the id and none", created.ObjectID, created.Extra)
	}

	got, err := c.GetCustomer(ctx, created.ID)
	if err != nil || got.Email != "ada@example.com" {
		t.Fatalf("get: %+v, %v", got, err)
	}
	upd, err := c.UpdateCustomer(ctx, created.ID, apiclient.Fields{"phone": "+44 20 7946 0000", "autoPayment": true})
	if err != nil || upd.Phone != "+44 20 7946 0000" || !upd.AutoPayment || upd.Name != "Ada Lovelace" {
		t.Fatalf("update: %+v, %v", upd, err)
	}
	st, err := c.SetStatus(ctx, created.ID, "blocked")
	if err != nil || st.Status != "blocked" || st.Phone != upd.Phone {
		t.Fatalf("set status: %+v, %v", st, err)
	}
	if _, err := c.CreateCustomer(ctx, person("Grace Hopper", "grace@example.com"), ""); err != nil {
		t.Fatal(err)
	}
	var names []string
	for cu, err := range c.ListCustomers(ctx) {
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		names = append(names, cu.Name)
	}
	if strings.Join(names, ",") != "Ada Lovelace,Grace Hopper" {
		t.Errorf("list = %v, want creation order", names)
	}
	if err := c.DeleteCustomer(ctx, created.ID); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := c.GetCustomer(ctx, created.ID); !errors.Is(err, apiclient.ErrNotFound) {
		t.Fatalf("get after delete: %v, want ErrNotFound", err)
	}
	if err := c.DeleteCustomer(ctx, created.ID); !errors.Is(err, apiclient.ErrNotFound) {
		t.Fatalf("first-attempt delete of a missing id: %v, want ErrNotFound", err)
	}
	if n := sb.Stats().Connections; n != 1 {
		t.Errorf("sequential calls used %d connections, want 1 (keep-alive)", n)
	}
}

func TestIdempotencyKeyAndPathEscaping(t *testing.T) {
	var mu sync.Mutex
	var keys, paths []string
	_, url := newWrapped(t, sandbox.Options{}, intercept(func(_ int, _ http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		paths = append(paths, r.URL.EscapedPath())
		return false
	}))
	c := newClient(t, url, nil, "", nil)
	if _, err := c.CreateCustomer(t.Context(), person("A B", "a@example.com"), "row-7-abc"); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetCustomer(t.Context(), "a/b?c")
	if !errors.Is(err, apiclient.ErrNotFound) {
		t.Fatalf("get of an id with / and ?: %v, want ErrNotFound", err)
	}
	_, err = c.GetCustomer(t.Context(), "")
	if !errors.Is(err, apiclient.ErrInvalid) {
		t.Fatalf("get of an empty id: %v, want ErrInvalid", err)
	}
	if err := c.DeleteCustomer(t.Context(), ""); !errors.Is(err, apiclient.ErrInvalid) {
		t.Fatalf("delete of an empty id: %v, want ErrInvalid", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if keys[0] != "row-7-abc" {
		t.Errorf("Idempotency-Key = %q", keys[0])
	}
	if want := sandbox.BasePath + "/customers/a%2Fb%3Fc"; paths[1] != want {
		t.Errorf("path = %q, want %q", paths[1], want)
	}
	if len(paths) != 2 {
		t.Errorf("%d requests, want 2: an empty id is refused before sending", len(paths))
	}
}

func TestAuthorizationAndScopes(t *testing.T) {
	sb := newSandbox(t, sandbox.Options{})
	ctx := t.Context()
	mine, err := newClient(t, sb.URL, nil, "", nil).CreateCustomer(ctx, person("A B", "a@example.com"), "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		token     string
		call      func(*apiclient.Client) error
		wantKind  error
		wantInMsg string
	}{
		{"read-only token creates", sandbox.TokenReadOnly, func(c *apiclient.Client) error {
			_, err := c.CreateCustomer(ctx, person("X Y", "x@example.com"), "")
			return err
		}, apiclient.ErrForbidden, "lacks the customers:write scope"},
		{"write-only token lists", sandbox.TokenWriteOnly, func(c *apiclient.Client) error {
			for _, err := range c.ListCustomers(ctx) {
				return err
			}
			return nil
		}, apiclient.ErrForbidden, "lacks the customers:read scope"},
		{"unknown token", "aiva_not_a_token", func(c *apiclient.Client) error {
			_, err := c.GetCustomer(ctx, mine.ID)
			return err
		}, apiclient.ErrForbidden, "invalid or expired API token"},
		{"other tenant's id", sandbox.TokenOtherTenant, func(c *apiclient.Client) error {
			_, err := c.UpdateCustomer(ctx, mine.ID, apiclient.Fields{"name": "Mallory"})
			return err
		}, apiclient.ErrNotFound, "HTTP 404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := sb.Stats().Requests.Total()
			err := tt.call(newClient(t, sb.URL, nil, tt.token, nil))
			if !errors.Is(err, tt.wantKind) {
				t.Fatalf("err = %v, want %v", err, tt.wantKind)
			}
			if !strings.Contains(err.Error(), tt.wantInMsg) {
				t.Errorf("err = %q, want it to contain %q", err, tt.wantInMsg)
			}
			if n := sb.Stats().Requests.Total() - before; n != 1 {
				t.Errorf("%d requests, want 1: 403 and 404 are never retried", n)
			}
		})
	}
	if got, _ := newClient(t, sb.URL, nil, "", nil).GetCustomer(ctx, mine.ID); got.Name != "A B" {
		t.Errorf("the other tenant changed our customer: %+v", got)
	}
}

// TestErrorKinds triggers every kind of failure and checks errors.Is,
// attempts, and the sentence.
func TestErrorKinds(t *testing.T) {
	ctx := t.Context()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL + sandbox.BasePath
	closed.Close() // connection refused from now on

	tests := []struct {
		name         string
		opts         sandbox.Options
		url          string // overrides the sandbox
		call         func(*apiclient.Client) error
		want         []error
		notWant      []error
		wantAttempts int64
		wantMsg      string
	}{
		{
			name: "400 invalid", call: func(c *apiclient.Client) error {
				_, err := c.CreateCustomer(ctx, apiclient.Fields{"name": "No Email"}, "")
				return err
			},
			want: []error{apiclient.ErrInvalid}, notWant: []error{apiclient.ErrOutcomeUnknown},
			wantAttempts: 1, wantMsg: "POST /customers: HTTP 400: email is required",
		},
		{
			name: "404 not found", call: func(c *apiclient.Client) error {
				_, err := c.GetCustomer(ctx, "0123456789abcdef01234567")
				return err
			},
			want: []error{apiclient.ErrNotFound}, wantAttempts: 1,
			wantMsg: "GET /customers/0123456789abcdef01234567: HTTP 404: customer not found",
		},
		{
			name: "500 on GET is retried", opts: sandbox.Options{FailRate: 1}, call: func(c *apiclient.Client) error {
				_, err := c.GetCustomer(ctx, "0123456789abcdef01234567")
				return err
			},
			want: []error{apiclient.ErrServer}, notWant: []error{apiclient.ErrOutcomeUnknown},
			wantAttempts: 6, wantMsg: "HTTP 500: injected failure (sandbox --fail-rate) (gave up after 6 attempts)",
		},
		{
			name: "500 on POST is outcome unknown, not retried", opts: sandbox.Options{FailRate: 1}, call: func(c *apiclient.Client) error {
				_, err := c.CreateCustomer(ctx, person("A B", "a@example.com"), "")
				return err
			},
			want: []error{apiclient.ErrServer, apiclient.ErrOutcomeUnknown}, wantAttempts: 1,
			wantMsg: "no answer said whether the customer was created",
		},
		{
			name: "429 after the last retry", opts: sandbox.Options{ThrottleRate: 1, ThrottleRetryAfter: time.Second}, call: func(c *apiclient.Client) error {
				_, err := c.CreateCustomer(ctx, person("A B", "a@example.com"), "")
				return err
			},
			want: []error{apiclient.ErrThrottled}, notWant: []error{apiclient.ErrOutcomeUnknown},
			wantAttempts: 6, wantMsg: "POST /customers: HTTP 429: injected throttling",
		},
		{
			// 0.001/s: the server asks to wait 1000 s, over the 5 min allowed.
			name: "Retry-After longer than the longest wait", opts: sandbox.Options{RateLimit: 0.001, RateBurst: 1}, call: func(c *apiclient.Client) error {
				_, err := c.GetCustomer(ctx, "0123456789abcdef01234567") // spends the only token: 404
				if !errors.Is(err, apiclient.ErrNotFound) {
					return fmt.Errorf("first call: %w", err)
				}
				_, err = c.CreateCustomer(ctx, person("A B", "a@example.com"), "")
				return err
			},
			want: []error{apiclient.ErrThrottled}, notWant: []error{apiclient.ErrOutcomeUnknown},
			wantAttempts: 2, wantMsg: "POST /customers: HTTP 429: rate limit exceeded, retry later; the server asked to wait 16m40s before trying again (Retry-After), longer than the 5m0s allowed: not retried",
		},
		{
			name: "connection refused", url: closedURL, call: func(c *apiclient.Client) error {
				_, err := c.CreateCustomer(ctx, person("A B", "a@example.com"), "")
				return err
			},
			want: []error{apiclient.ErrTransport}, notWant: []error{apiclient.ErrOutcomeUnknown},
			wantMsg: "POST /customers: could not send the request (gave up after 6 attempts): dial tcp",
		},
		{
			name: "connection lost after a create was committed", opts: sandbox.Options{DropRate: 1}, call: func(c *apiclient.Client) error {
				_, err := c.CreateCustomer(ctx, person("A B", "a@example.com"), "")
				return err
			},
			want: []error{apiclient.ErrTransport, apiclient.ErrOutcomeUnknown}, wantAttempts: 1,
			wantMsg: "POST /customers: connection lost after the request was sent",
		},
		{
			name: "connection lost on a GET is retried", opts: sandbox.Options{DropBeforeRate: 1}, call: func(c *apiclient.Client) error {
				_, err := c.GetCustomer(ctx, "0123456789abcdef01234567")
				return err
			},
			want: []error{apiclient.ErrTransport}, notWant: []error{apiclient.ErrOutcomeUnknown},
			wantAttempts: 6, wantMsg: "(gave up after 6 attempts)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			tt.opts.Now = clock.Now
			sb := newSandbox(t, tt.opts)
			url := sb.URL
			if tt.url != "" {
				url = tt.url
			}
			c := newClient(t, url, clock, "", nil)
			err := tt.call(c)
			for _, k := range tt.want {
				if !errors.Is(err, k) {
					t.Errorf("err = %v; errors.Is(err, %v) = false", err, k)
				}
			}
			for _, k := range tt.notWant {
				if errors.Is(err, k) {
					t.Errorf("err = %v; errors.Is(err, %v) = true", err, k)
				}
			}
			if err != nil && !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("err = %q, want it to contain %q", err, tt.wantMsg)
			}
			if tt.url == "" && tt.wantAttempts > 0 {
				if got := sb.Stats().Requests.Total(); got != tt.wantAttempts {
					t.Errorf("the sandbox saw %d requests, want %d", got, tt.wantAttempts)
				}
			}
		})
	}
}

// TestCreateDroppedAfterCommit: the customer exists, the client says the
// outcome is unknown and does not send it again.
func TestCreateDroppedAfterCommit(t *testing.T) {
	sb := newSandbox(t, sandbox.Options{DropRate: 1})
	c := newClient(t, sb.URL, nil, "", nil)
	_, err := c.CreateCustomer(t.Context(), person("Ada Lovelace", "ada@example.com"), "")
	if !errors.Is(err, apiclient.ErrOutcomeUnknown) {
		t.Fatalf("err = %v, want ErrOutcomeUnknown", err)
	}
	if n := len(sb.Customers(sandbox.TenantDemo)); n != 1 {
		t.Fatalf("%d customers exist, want exactly 1", n)
	}
	if st := sb.Stats(); st.Requests.Create != 1 || st.DroppedAfter != 1 {
		t.Errorf("stats = %+v, want one create, dropped after commit", st)
	}
	if got := c.Stats().OutcomeUnknown; got != 1 {
		t.Errorf("client OutcomeUnknown = %d, want 1", got)
	}
}

// TestCreateDroppedBeforeCommit: the server closed the connection after
// reading the request but before creating. The client cannot tell this
// from a drop after commit (both are EOF after the request was written),
// so it must not re-send: ErrOutcomeUnknown, and nothing was created, so
// the caller's lookup by email finds nothing and sends again.
func TestCreateDroppedBeforeCommit(t *testing.T) {
	sb := newSandbox(t, sandbox.Options{DropBeforeRate: 1})
	c := newClient(t, sb.URL, nil, "", nil)
	_, err := c.CreateCustomer(t.Context(), person("Ada Lovelace", "ada@example.com"), "")
	if !errors.Is(err, apiclient.ErrOutcomeUnknown) {
		t.Fatalf("err = %v, want ErrOutcomeUnknown", err)
	}
	if n := sb.Count(sandbox.TenantDemo); n != 0 {
		t.Fatalf("%d customers exist, want 0", n)
	}
	if n := sb.Stats().Requests.Create; n != 1 {
		t.Errorf("%d creates sent, want 1", n)
	}
}

// TestCreateNotSentIsRetried: a create that provably never reached the
// server (the dial failed) is retried transparently: one customer.
func TestCreateNotSentIsRetried(t *testing.T) {
	sb := newSandbox(t, sandbox.Options{})
	var dials atomic.Int64
	var d net.Dialer
	hc := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if dials.Add(1) == 1 {
				return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("network is unreachable")}
			}
			return d.DialContext(ctx, network, addr)
		},
	}}
	c := newClient(t, sb.URL, nil, "", func(o *apiclient.Options) { o.HTTPClient = hc })
	got, err := c.CreateCustomer(t.Context(), person("Ada Lovelace", "ada@example.com"), "")
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if all := sb.Customers(sandbox.TenantDemo); len(all) != 1 || all[0].ID != got.ID {
		t.Fatalf("customers = %d, want exactly the one returned", len(all))
	}
	if st := c.Stats(); st.Retries != 1 {
		t.Errorf("client retries = %d, want 1", st.Retries)
	}
}

// TestCreateThrottledIsRetried: 429 means not processed, so a create is
// retried after Retry-After, and every worker waits.
func TestCreateThrottledIsRetried(t *testing.T) {
	clock := newFakeClock()
	sb := newSandbox(t, sandbox.Options{RateLimit: 1, RateBurst: 1, Now: clock.Now})
	c := newClient(t, sb.URL, clock, "", nil)
	for i := range 3 {
		if _, err := c.CreateCustomer(t.Context(), person("A B", fmt.Sprintf("a%d@example.com", i)), ""); err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
	}
	st := sb.Stats()
	if sb.Count(sandbox.TenantDemo) != 3 || st.Throttled == 0 {
		t.Fatalf("customers = %d, 429s = %d; want 3 and some", sb.Count(sandbox.TenantDemo), st.Throttled)
	}
	var paused bool
	for _, d := range clock.Slept() {
		paused = paused || d >= 900*time.Millisecond
	}
	if !paused {
		t.Errorf("slept %v, want a wait of about Retry-After (1s)", clock.Slept())
	}
	if ls := c.Limiter().Stats(); ls.Throttled != st.Throttled || ls.Pauses == 0 {
		t.Errorf("limiter stats = %+v, want %d throttles and a pause", ls, st.Throttled)
	}
}

// TestRetryAfterHTTPDate honours Retry-After given as an HTTP date.
func TestRetryAfterHTTPDate(t *testing.T) {
	clock := newFakeClock()
	_, url := newWrapped(t, sandbox.Options{}, intercept(func(n int, w http.ResponseWriter, _ *http.Request) bool {
		if n == 1 {
			w.Header().Set("Retry-After", clock.Now().Add(7*time.Second).Format(http.TimeFormat))
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		return false
	}))
	c := newClient(t, url, clock, "", nil)
	if _, err := c.GetCustomer(t.Context(), "0123456789abcdef01234567"); !errors.Is(err, apiclient.ErrNotFound) {
		t.Fatalf("err = %v, want a retry then 404", err)
	}
	var total time.Duration
	for _, d := range clock.Slept() {
		total += d
	}
	if total < 7*time.Second || total > 8*time.Second {
		t.Errorf("waited %v (%v), want Retry-After's 7s", total, clock.Slept())
	}
}

func TestServerErrorOnPutIsRetried(t *testing.T) {
	var puts atomic.Int64
	_, url := newWrapped(t, sandbox.Options{}, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPut && puts.Add(1) <= 2 {
				http.Error(w, `{"error":{"message":"database hiccup"}}`, http.StatusInternalServerError)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	c := newClient(t, url, nil, "", nil)
	cu, err := c.CreateCustomer(t.Context(), person("A B", "a@example.com"), "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.UpdateCustomer(t.Context(), cu.ID, apiclient.Fields{"notes": "vip"})
	if err != nil || got.Notes != "vip" {
		t.Fatalf("update after two 500s: %+v, %v", got, err)
	}
	if puts.Load() != 3 {
		t.Errorf("%d PUTs, want 3", puts.Load())
	}
}

// TestDeleteAfterUnknownOutcome: the first DELETE is applied but its
// response lost; the retry gets 404, which means deleted.
func TestDeleteAfterUnknownOutcome(t *testing.T) {
	var deletes atomic.Int64
	sb, url := newWrapped(t, sandbox.Options{}, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodDelete && deletes.Add(1) == 1 {
				h.ServeHTTP(httptest.NewRecorder(), r) // applied…
				panic(http.ErrAbortHandler)            // …but the response is lost
			}
			h.ServeHTTP(w, r)
		})
	})
	c := newClient(t, url, nil, "", nil)
	cu, err := c.CreateCustomer(t.Context(), person("A B", "a@example.com"), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteCustomer(t.Context(), cu.ID); err != nil {
		t.Fatalf("delete: %v, want nil (404 on the retry means deleted)", err)
	}
	if deletes.Load() != 2 || sb.Count(sandbox.TenantDemo) != 0 {
		t.Errorf("deletes = %d, customers = %d; want 2 and 0", deletes.Load(), sb.Count(sandbox.TenantDemo))
	}
}

func TestTimeouts(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	_, url := newWrapped(t, sandbox.Options{}, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select { // never answers in time
			case <-r.Context().Done():
			case <-release:
			}
		})
	})
	c := newClient(t, url, nil, "", func(o *apiclient.Options) {
		o.Timeout = 50 * time.Millisecond
		o.Retries = 1
	})
	_, err := c.GetCustomer(t.Context(), "0123456789abcdef01234567")
	if !errors.Is(err, apiclient.ErrTransport) || !strings.Contains(err.Error(), "timed out (gave up after 2 attempts)") {
		t.Errorf("GET: %v, want a timeout after 2 attempts", err)
	}
	_, err = c.CreateCustomer(t.Context(), person("A B", "a@example.com"), "")
	if !errors.Is(err, apiclient.ErrOutcomeUnknown) || !strings.Contains(err.Error(), "POST /customers: timed out: ") {
		t.Errorf("POST: %v, want a timeout with unknown outcome, not retried", err)
	}
	var te *apiclient.TransportError
	if !errors.As(err, &te) || !te.Sent || te.Attempts != 1 {
		t.Errorf("POST: %#v", te)
	}
}

func TestCancelledContext(t *testing.T) {
	sb := newSandbox(t, sandbox.Options{})
	c := newClient(t, sb.URL, nil, "", nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := c.CreateCustomer(ctx, person("A B", "a@example.com"), "")
	if !errors.Is(err, context.Canceled) || errors.Is(err, apiclient.ErrTransport) || errors.Is(err, apiclient.ErrOutcomeUnknown) {
		t.Errorf("err = %v, want context.Canceled only", err)
	}
	if n := sb.Stats().Requests.Total(); n != 0 {
		t.Errorf("%d requests sent with a cancelled context", n)
	}
}

func TestNewChecksURL(t *testing.T) {
	tests := []struct {
		url     string
		wantErr string
	}{
		{"https://api.web.aivapad.io/api/external/v1", ""},
		{"https://api.web.aivapad.io/api/external/v1/", ""},
		{"http://127.0.0.1:8080/api/external/v1", ""},
		{"http://127.1.2.3:8080", ""},
		{"http://[::1]:8080/api", ""},
		{"http://localhost:8080", ""},
		{"http://api.web.aivapad.io/api/external/v1", "use https://"},
		{"http://10.0.0.5/api", "use https://"},
		{"http://localhost.evil.example/api", "use https://"},
		{"ftp://example.com", "use https://"},
		{"api.web.aivapad.io", "not an absolute"},
		{"https://user:pw@example.com", "credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := apiclient.New(apiclient.Options{BaseURL: tt.url, Token: "aiva_x"})
			if tt.wantErr == "" && err != nil {
				t.Fatalf("New: %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("New: %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
	if _, err := apiclient.New(apiclient.Options{BaseURL: apiclient.DefaultBaseURL}); err == nil {
		t.Error("New accepted an empty token")
	}
	if _, err := apiclient.New(apiclient.Options{BaseURL: apiclient.DefaultBaseURL, Token: "x", Retries: -1}); err == nil {
		t.Error("New accepted negative retries")
	}
}

// TestTokenNeverShown formats options and client every way, triggers every
// error kind with Verbose on, and looks for the token everywhere.
func TestTokenNeverShown(t *testing.T) {
	const token = sandbox.TokenReadOnly
	var mu sync.Mutex
	var out strings.Builder
	logf := func(line string) {
		mu.Lock()
		defer mu.Unlock()
		out.WriteString(line + "\n")
	}
	// The server echoes the token in its error, as a careless one might.
	_, url := newWrapped(t, sandbox.Options{FailRate: 0}, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodDelete {
				http.Error(w, `{"message":"bad token `+strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")+`"}`, http.StatusUnauthorized)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	opts := apiclient.Options{BaseURL: url, Token: token, Verbose: logf, Retries: 1, Sleep: newFakeClock().Sleep}
	c, err := apiclient.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		fmt.Fprintf(&out, f+"\n", opts)
		fmt.Fprintf(&out, f+"\n", &opts)
		fmt.Fprintf(&out, f+"\n", c)
		fmt.Fprintf(&out, f+"\n", struct{ C *apiclient.Client }{c})
	}
	ctx := t.Context()
	var errs []error
	_, err = c.CreateCustomer(ctx, person("A B", "a@example.com"), "k") // 403 scope
	errs = append(errs, err)
	_, err = c.GetCustomer(ctx, "0123456789abcdef01234567") // 404
	errs = append(errs, err)
	errs = append(errs, c.DeleteCustomer(ctx, "x")) // 401 echoing the token
	for _, err := range c.ListCustomers(ctx) {
		errs = append(errs, err)
	}
	bad, _ := apiclient.New(apiclient.Options{BaseURL: "http://127.0.0.1:1/api", Token: token, Verbose: logf, Sleep: newFakeClock().Sleep})
	_, err = bad.GetCustomer(ctx, "x") // transport
	errs = append(errs, err)
	for _, err := range errs {
		if err != nil {
			fmt.Fprintf(&out, "%v\n%+v\n%#v\n", err, err, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	s := out.String()
	if strings.Contains(s, token) || strings.Contains(s, "demo_ro") {
		t.Fatalf("the token appears in output:\n%s", s)
	}
	for _, want := range []string{"[redacted]", "HTTP 403", "HTTP 404", "HTTP 401: bad token [redacted]", "Authorization: Bearer [redacted]"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
}

// TestKeepAliveUnderConcurrency: 8 workers share a pool of connections.
func TestKeepAliveUnderConcurrency(t *testing.T) {
	sb := newSandbox(t, sandbox.Options{})
	c := newClient(t, sb.URL, nil, "", func(o *apiclient.Options) { o.MaxIdleConns = 8 })
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			for i := range 50 {
				if _, err := c.CreateCustomer(t.Context(), person("A B", fmt.Sprintf("w%d-%d@example.com", w, i)), ""); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := sb.Count(sandbox.TenantDemo); n != 400 {
		t.Errorf("%d customers, want 400", n)
	}
	if n := sb.Stats().Connections; n > 8 {
		t.Errorf("%d connections for 8 workers, want at most 8", n)
	}
}
