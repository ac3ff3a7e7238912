package apiclient_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"aivabatch/apiclient"
)

// TestRetryAfterOverMaxWait: a server that answers 429 with a
// Retry-After of a day fails the request at once with a message naming
// the wait and the limit, instead of sleeping (the client's real clock
// and sleep are used); no other request is held up by it; a wait under
// the limit is honoured. The message names the option that allows a
// longer wait in words, with no flag, unless Options.OptionName names it.
func TestRetryAfterOverMaxWait(t *testing.T) {
	var posts atomic.Int64
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			posts.Add(1)
			w.Header().Set("Retry-After", "86400")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"message":"come back tomorrow"}`))
			return
		}
		w.Write([]byte(`{"_id":"0123456789abcdef01234567","name":"A","email":"a@example.com"}`))
	}))
	defer hs.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	flag := func(o apiclient.Option) string { return "--max-wait" }
	for _, tt := range []struct {
		maxWait time.Duration
		limit   string
		name    func(apiclient.Option) string
		advice  string
	}{
		{0, "5m0s", nil, "run again later, or allow a longer wait with MaxWait"},
		{time.Hour, "1h0m0s", flag, "run again later, or allow a longer wait with --max-wait"},
	} {
		c, err := apiclient.New(apiclient.Options{BaseURL: hs.URL, Token: "aiva_test", Retries: 5, MaxWait: tt.maxWait, OptionName: tt.name})
		if err != nil {
			t.Fatal(err)
		}
		posts.Store(0)
		_, err = c.CreateCustomer(ctx, apiclient.Fields{"name": "A", "email": "a@example.com"}, "")
		var ae *apiclient.APIError
		if !errors.As(err, &ae) || !errors.Is(err, apiclient.ErrThrottled) || errors.Is(err, apiclient.ErrOutcomeUnknown) {
			t.Fatalf("err = %v, want a 429 APIError", err)
		}
		if want := "the server asked to wait 24h0m0s before trying again (Retry-After), longer than the " + tt.limit + " allowed"; !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), tt.advice) {
			t.Errorf("err = %q, want it to say %q and %q", err, want, tt.advice)
		}
		if tt.name == nil && strings.Contains(err.Error(), "--") {
			t.Errorf("err = %q names a flag without OptionName", err)
		}
		if posts.Load() != 1 {
			t.Errorf("the create was sent %d times, want once", posts.Load())
		}
		// The limiter was not paused for a day: the next call goes at once.
		if _, err := c.GetCustomer(ctx, "0123456789abcdef01234567"); err != nil {
			t.Errorf("a call after the refused wait: %v", err)
		}
	}
	if ctx.Err() != nil {
		t.Fatal("the client waited")
	}
}

// TestErrorBodyCutAfterRedaction: an error body that echoes the token
// (or another token-shaped word) is cut for the report only after the
// token is hidden, so that no part of it shows.
func TestErrorBodyCutAfterRedaction(t *testing.T) {
	const token = "aiva_rw_ZYXWVUTSRQPONMLKJIHG"
	other := "aiva_other_QPONMLKJIHGFEDCBA"
	for _, at := range []int{280, 290, 295, 299} {
		for _, tok := range []string{token, other} {
			body := strings.Repeat("x", at) + tok + strings.Repeat("y", 100)
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusBadRequest)
				w.Write([]byte(body))
			}))
			c, err := apiclient.New(apiclient.Options{BaseURL: hs.URL, Token: token, Retries: 0})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.GetCustomer(context.Background(), "0123456789abcdef01234567")
			hs.Close()
			msg := err.Error()
			if strings.Contains(msg, "aiva_rw_") || strings.Contains(msg, "aiva_other") || strings.Contains(msg, "ZYXW") || strings.Contains(msg, "QPON") {
				t.Errorf("token at %d: the message shows part of it: %q", at, msg)
			}
		}
	}
}

// TestLoopbackNeverProxied: the hosts allowed plain http:// are the
// hosts that never go through a proxy, in any case: with HTTP_PROXY set,
// http://LOCALHOST:port reaches the server itself, not the proxy.
func TestLoopbackNeverProxied(t *testing.T) {
	var proxied atomic.Int64
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.Add(1)
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer proxy.Close()
	var direct atomic.Int64
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		direct.Add(1)
		w.Write([]byte(`{"_id":"0123456789abcdef01234567","name":"A","email":"a@example.com"}`))
	}))
	defer api.Close()
	t.Setenv("HTTP_PROXY", proxy.URL)
	t.Setenv("http_proxy", proxy.URL)
	t.Setenv("NO_PROXY", "")
	t.Setenv("no_proxy", "")
	u, _ := url.Parse(api.URL)
	port := u.Port()
	for _, host := range []string{"LOCALHOST", "localhost", "LocalHost", "127.0.0.1", "[::1]"} {
		base := "http://" + host + ":" + port
		if host == "[::1]" {
			continue // the test server listens on IPv4 only
		}
		c, err := apiclient.New(apiclient.Options{BaseURL: base, Token: "aiva_test", Retries: 0})
		if err != nil {
			t.Errorf("%s: %v", base, err)
			continue
		}
		before := direct.Load()
		if _, err := c.GetCustomer(context.Background(), "0123456789abcdef01234567"); err != nil || direct.Load() != before+1 {
			t.Errorf("%s: %v; the request did not reach the server directly", base, err)
		}
	}
	if proxied.Load() != 0 {
		t.Errorf("the proxy saw %d requests to loopback", proxied.Load())
	}
	// What is refused says so without echoing a token-shaped host.
	_, err := apiclient.New(apiclient.Options{BaseURL: "http://aiva_rw_8f3c2a9d1e7b6054c3a2.example.com/", Token: "aiva_test"})
	if err == nil || strings.Contains(err.Error(), "8f3c2a9d1e7b") || !strings.Contains(err.Error(), "https://") {
		t.Errorf("plain http to a token-shaped host: %v", err)
	}
}
