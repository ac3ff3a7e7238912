package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"aivabatch/apiclient"
	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
)

// clock is a settable clock for the sandbox.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 1, 12, 0, 0, 123e6, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type response struct {
	status int
	header http.Header
	body   []byte
	obj    map[string]any
}

// do sends one request with token (none if "") and decodes a JSON object
// response if there is one.
func do(t *testing.T, srv *sandboxtest.Server, token, method, path, body string, hdr ...string) response {
	t.Helper()
	r, err := send(srv, token, method, path, body, hdr...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

func send(srv *sandboxtest.Server, token, method, path, body string, hdr ...string) (response, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	if err != nil {
		return response{}, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := srv.HTTP.Client().Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, err
	}
	r := response{status: resp.StatusCode, header: resp.Header, body: b}
	_ = json.Unmarshal(b, &r.obj)
	return r, nil
}

func create(t *testing.T, srv *sandboxtest.Server, body string) map[string]any {
	t.Helper()
	r := do(t, srv, sandbox.TokenReadWrite, "POST", "/customers", body)
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	return r.obj
}

func TestCreateShapeAndDefaults(t *testing.T) {
	clk := newClock()
	srv := sandboxtest.NewServer(t, sandbox.Options{Now: clk.Now, Seed: 1})
	r := do(t, srv, sandbox.TokenReadWrite, "POST", "/customers", `{"name":"  Ada King Lovelace ","email":"ada@example.com","unknown":{"x":1},"id":"mine"}`)
	if r.status != 201 || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("%d %s %v", r.status, r.body, r.header)
	}
	c := r.obj
	id, _ := c["id"].(string)
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(id) || c["_id"] != id {
		t.Errorf("id = %v, _id = %v; want the same lowercase version 4 UUID", c["id"], c["_id"])
	}
	want := map[string]any{
		"name": "Ada King Lovelace", "firstName": "Ada", "lastName": "King Lovelace", "email": "ada@example.com",
		"phone": "", "status": "active", "type": "individual", "value": 0.0, "autoPayment": false,
		"createdAt": "2025-03-01T12:00:00.123Z", "updatedAt": "2025-03-01T12:00:00.123Z",
	}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("%s = %#v, want %#v", k, c[k], v)
		}
	}
	for _, k := range []string{"notes", "unknown"} {
		if _, ok := c[k]; ok {
			t.Errorf("%s is present", k)
		}
	}
	// Given firstName/lastName are kept; given fields are typed.
	c = create(t, srv, `{"name":"Prince","email":"p@example.com","firstName":"The","status":"blocked","type":"company","value":-12.5,"autoPayment":true,"notes":"n"}`)
	if c["firstName"] != "The" || c["lastName"] != "" || c["status"] != "blocked" || c["type"] != "company" ||
		c["value"] != -12.5 || c["autoPayment"] != true || c["notes"] != "n" {
		t.Errorf("got %v", c)
	}
}

func TestValidation(t *testing.T) {
	srv := sandboxtest.NewServer(t, sandbox.Options{Seed: 1})
	id := create(t, srv, `{"name":"A B","email":"a@example.com"}`)["id"].(string)
	tests := []struct {
		method, path, body string
		want               string
	}{
		{"POST", "/customers", `{}`, "name is required; email is required"},
		{"POST", "/customers", `{"name":"A"}`, "email is required"},
		{"POST", "/customers", `{"name":" ","email":"a@example.com"}`, "name is required"},
		{"POST", "/customers", `{"name":"A","email":"nope"}`, "email is not a valid address"},
		{"POST", "/customers", `{"name":"A","email":"A <a@example.com>"}`, "email is not a valid address"},
		{"POST", "/customers", `{"name":"A","email":"a@example.com","status":"gone"}`, "status must be one of active, inactive, blocked"},
		{"POST", "/customers", `{"name":"A","email":"a@example.com","value":"12"}`, "value must be a number"},
		{"POST", "/customers", `{"name":"A","email":"a@example.com","autoPayment":"yes"}`, "autoPayment must be a boolean"},
		{"POST", "/customers", `{"name":5,"email":"a@example.com"}`, "name must be a string"},
		{"POST", "/customers", `{"name":"A","email":"x","value":true,"phone":1}`, "email is not a valid address; phone must be a string; value must be a number"},
		{"POST", "/customers", `{"name":`, "request body is not valid JSON"},
		{"POST", "/customers", ``, "request body is not valid JSON"},
		{"POST", "/customers", `[1]`, "request body must be a JSON object"},
		{"POST", "/customers", `null`, "request body must be a JSON object"},
		{"PUT", "/customers/" + id, `{"name":""}`, "name cannot be empty"},
		{"PUT", "/customers/" + id, `{"email":""}`, "email cannot be empty"},
		{"PUT", "/customers/" + id, `{"status":""}`, "status must be one of active, inactive, blocked"},
		{"PUT", "/customers/" + id + "/status", `{"status":"gone"}`, "status must be one of active, inactive, blocked"},
		{"PUT", "/customers/" + id + "/status", `{}`, "status is required: one of active, inactive, blocked"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.body, func(t *testing.T) {
			r := do(t, srv, sandbox.TokenReadWrite, tt.method, tt.path, tt.body)
			if r.status != 400 || r.obj["message"] != tt.want {
				t.Errorf("%d %s, want 400 %q", r.status, r.body, tt.want)
			}
		})
	}
	if n := srv.Count(sandbox.TenantDemo); n != 1 {
		t.Errorf("%d customers after rejected creates, want 1", n)
	}
	if c := srv.Customers(sandbox.TenantDemo)[0]; c.Name != "A B" || c.Email != "a@example.com" || c.Status != "active" {
		t.Errorf("a rejected update changed the customer: %+v", c)
	}
}

func TestUpdateAndDelete(t *testing.T) {
	clk := newClock()
	srv := sandboxtest.NewServer(t, sandbox.Options{Now: clk.Now, Seed: 1})
	c := create(t, srv, `{"name":"A B","email":"a@example.com","phone":"123","notes":"x","type":"company"}`)
	id := c["id"].(string)
	clk.Advance(time.Minute)
	r := do(t, srv, sandbox.TokenReadWrite, "PUT", "/customers/"+id, `{"notes":"","value":3,"type":"","name":"Ann Bee","ignored":1}`)
	u := r.obj
	if r.status != 200 || u["phone"] != "123" || u["value"] != 3.0 || u["name"] != "Ann Bee" || u["type"] != "individual" ||
		u["firstName"] != "A" || u["createdAt"] != c["createdAt"] || u["updatedAt"] != "2025-03-01T12:01:00.123Z" {
		t.Fatalf("update: %d %v", r.status, u)
	}
	if _, ok := u["notes"]; ok {
		t.Errorf("notes not cleared: %v", u)
	}
	r = do(t, srv, sandbox.TokenReadWrite, "PUT", "/customers/"+id+"/status", `{"status":"inactive","name":"ignored"}`)
	if r.status != 200 || r.obj["status"] != "inactive" || r.obj["name"] != "Ann Bee" {
		t.Fatalf("status: %d %s", r.status, r.body)
	}
	r = do(t, srv, sandbox.TokenReadWrite, "GET", "/customers/"+id, "")
	if r.status != 200 || r.obj["status"] != "inactive" {
		t.Fatalf("get: %d %s", r.status, r.body)
	}
	r = do(t, srv, sandbox.TokenReadWrite, "DELETE", "/customers/"+id, "")
	if r.status != 200 || string(r.body) != `{"success":true}` {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	for _, m := range []string{"GET", "DELETE"} {
		if r := do(t, srv, sandbox.TokenReadWrite, m, "/customers/"+id, ""); r.status != 404 || r.obj["message"] != "customer not found" {
			t.Errorf("%s after delete: %d %s", m, r.status, r.body)
		}
	}
	for _, path := range []string{"/customers/nothex", "/customers/" + strings.ToUpper(id), "/customers/a%2Fb"} {
		if r := do(t, srv, sandbox.TokenReadWrite, "PUT", path, `{"name":"x"}`); r.status != 404 {
			t.Errorf("PUT %s: %d", path, r.status)
		}
	}
}

func TestTenantsAndScopes(t *testing.T) {
	srv := sandboxtest.NewServer(t, sandbox.Options{Seed: 1})
	id := create(t, srv, `{"name":"A B","email":"a@example.com"}`)["id"].(string)
	tests := []struct {
		name, token, method, path, body string
		wantStatus                      int
		wantMsg                         string
	}{
		{"other tenant get", sandbox.TokenOtherTenant, "GET", "/customers/" + id, "", 404, "customer not found"},
		{"other tenant update", sandbox.TokenOtherTenant, "PUT", "/customers/" + id, `{"name":"M"}`, 404, "customer not found"},
		{"other tenant status", sandbox.TokenOtherTenant, "PUT", "/customers/" + id + "/status", `{"status":"blocked"}`, 404, "customer not found"},
		{"other tenant delete", sandbox.TokenOtherTenant, "DELETE", "/customers/" + id, "", 404, "customer not found"},
		{"read-only create", sandbox.TokenReadOnly, "POST", "/customers", `{"name":"A","email":"b@example.com"}`, 403, "this token lacks the customers:write scope"},
		{"read-only delete", sandbox.TokenReadOnly, "DELETE", "/customers/" + id, "", 403, "this token lacks the customers:write scope"},
		{"write-only list", sandbox.TokenWriteOnly, "GET", "/customers", "", 403, "this token lacks the customers:read scope"},
		{"write-only get", sandbox.TokenWriteOnly, "GET", "/customers/" + id, "", 403, "this token lacks the customers:read scope"},
		{"no token", "", "GET", "/customers", "", 403, "missing API token: send the header Authorization: Bearer <token>"},
		{"unknown token", "aiva_sandbox_demo_rw_4b1f0c2e9d7a83561f2d", "GET", "/customers", "", 403, "invalid or expired API token"},
		{"token prefix", sandbox.TokenReadWrite[:20], "GET", "/customers", "", 403, "invalid or expired API token"},
		{"read-only get", sandbox.TokenReadOnly, "GET", "/customers/" + id, "", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, srv, tt.token, tt.method, tt.path, tt.body)
			if r.status != tt.wantStatus || (tt.wantMsg != "" && r.obj["message"] != tt.wantMsg) {
				t.Errorf("%d %s, want %d %q", r.status, r.body, tt.wantStatus, tt.wantMsg)
			}
			if tt.token != "" && bytes.Contains(r.body, []byte(tt.token)) {
				t.Error("the response echoes the token")
			}
		})
	}
	r := do(t, srv, sandbox.TokenOtherTenant, "GET", "/customers", "")
	if r.status != 200 || string(r.body) != "[]" {
		t.Errorf("other tenant's list: %d %s", r.status, r.body)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/customers", nil)
	req.Header.Set("Authorization", "Basic "+sandbox.TokenReadWrite)
	resp, err := srv.HTTP.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("Basic scheme: %d, want 403", resp.StatusCode)
	}
	if c := srv.Customers(sandbox.TenantDemo); len(c) != 1 || c[0].Name != "A B" {
		t.Errorf("demo tenant changed: %+v", c)
	}
}

func TestRoutes(t *testing.T) {
	srv := sandboxtest.NewServer(t, sandbox.Options{Seed: 1})
	for _, tt := range []struct{ method, url string }{
		{"GET", srv.HTTP.URL + "/"},
		{"GET", srv.HTTP.URL + "/customers"},
		{"GET", srv.URL + "/nope"},
		{"GET", srv.URL + "/customersx"},
		{"PATCH", srv.URL + "/customers/0123456789abcdef01234567"},
		{"DELETE", srv.URL + "/customers"},
		{"GET", srv.URL + "/customers/0123456789abcdef01234567/status"},
	} {
		req, _ := http.NewRequest(tt.method, tt.url, nil)
		req.Header.Set("Authorization", "Bearer "+sandbox.TokenReadWrite)
		resp, err := srv.HTTP.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/json" || !json.Valid(b) {
			t.Errorf("%s %s: %d %s", tt.method, tt.url, resp.StatusCode, b)
		}
	}
	if st := srv.Stats(); st.Requests.Other != 7 {
		t.Errorf("Other = %d, want 7", st.Requests.Other)
	}
}

func TestIdempotencyKey(t *testing.T) {
	srv := sandboxtest.NewServer(t, sandbox.Options{Seed: 1})
	body := `{"name":"A B","email":"a@example.com"}`
	first := do(t, srv, sandbox.TokenReadWrite, "POST", "/customers", body, "Idempotency-Key", "k1")
	again := do(t, srv, sandbox.TokenReadWrite, "POST", "/customers", body, "Idempotency-Key", "k1")
	if first.status != 201 || again.status != 201 || !bytes.Equal(first.body, again.body) {
		t.Fatalf("replay: %d %s / %d %s", first.status, first.body, again.status, again.body)
	}
	if r := do(t, srv, sandbox.TokenReadWrite, "POST", "/customers", `{"name":"Other","email":"o@example.com"}`, "Idempotency-Key", "k1"); r.status != 400 {
		t.Errorf("same key, other body: %d %s", r.status, r.body)
	}
	// Keys are per tenant.
	if r := do(t, srv, sandbox.TokenOtherTenant, "POST", "/customers", body, "Idempotency-Key", "k1"); r.status != 201 || bytes.Equal(r.body, first.body) {
		t.Errorf("other tenant, same key: %d %s", r.status, r.body)
	}
	do(t, srv, sandbox.TokenReadWrite, "POST", "/customers", body) // no key: a second customer
	if n := srv.Count(sandbox.TenantDemo); n != 2 {
		t.Errorf("%d customers, want 2", n)
	}
	if st := srv.Stats(); st.Replayed != 1 {
		t.Errorf("Replayed = %d, want 1", st.Replayed)
	}
}

func TestPersistence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox.json")
	clk := newClock()
	srv := sandboxtest.NewServer(t, sandbox.Options{DataFile: path, Now: clk.Now, Seed: 1})
	a := create(t, srv, `{"name":"A B","email":"a@example.com","notes":"line1\nline2 \"q\" é","value":1e21}`)
	b := create(t, srv, `{"name":"C D","email":"c@example.com"}`)
	create(t, srv, `{"name":"E F","email":"e@example.com"}`)
	do(t, srv, sandbox.TokenReadWrite, "DELETE", "/customers/"+b["id"].(string), "")
	do(t, srv, sandbox.TokenOtherTenant, "POST", "/customers", `{"name":"O P","email":"o@example.com"}`)
	if err := srv.Save(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*tmp")); len(m) != 0 {
		t.Errorf("temporary files left: %v", m)
	}
	again, err := sandbox.New(sandbox.Options{DataFile: path})
	if err != nil {
		t.Fatal(err)
	}
	for _, tenant := range []string{sandbox.TenantDemo, sandbox.TenantOther} {
		want, got := srv.Customers(tenant), again.Customers(tenant)
		if len(got) != len(want) {
			t.Fatalf("%s: %d customers after reload, want %d", tenant, len(got), len(want))
		}
		for i := range want {
			g, _ := got[i].MarshalJSON()
			w, _ := want[i].MarshalJSON()
			if string(g) != string(w) {
				t.Errorf("%s #%d:\n got %s\nwant %s", tenant, i, g, w)
			}
		}
	}
	if got := again.Customers(sandbox.TenantDemo)[0]; got.ID != a["id"] || got.Notes != "line1\nline2 \"q\" é" {
		t.Errorf("reloaded %+v", got)
	}
	// New customers get new ids after a reload.
	ts := sandboxtest.NewServer(t, sandbox.Options{DataFile: path})
	c := create(t, ts, `{"name":"G H","email":"g@example.com"}`)
	if ts.Count(sandbox.TenantDemo) != 3 || c["id"] == a["id"] {
		t.Errorf("after reload: %d customers, new id %v", ts.Count(sandbox.TenantDemo), c["id"])
	}

	if err := os.WriteFile(path, []byte(`{"version":1,"tenants":{"demo":[{"id":"x"},{"id":"x"}]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := sandbox.New(sandbox.Options{DataFile: path}); err == nil || !strings.Contains(err.Error(), "missing or duplicate id") {
		t.Errorf("corrupt file: %v", err)
	}
	if _, err := sandbox.New(sandbox.Options{DataFile: filepath.Join(t.TempDir(), "missing.json")}); err != nil {
		t.Errorf("missing file: %v", err)
	}
}

func TestFaults(t *testing.T) {
	body := `{"name":"A B","email":"a@example.com"}`
	t.Run("latency", func(t *testing.T) {
		srv := sandboxtest.NewServer(t, sandbox.Options{Latency: 30 * time.Millisecond, Seed: 1})
		start := time.Now()
		do(t, srv, sandbox.TokenReadWrite, "GET", "/customers", "")
		if d := time.Since(start); d < 30*time.Millisecond {
			t.Errorf("answered in %v, want at least 30ms", d)
		}
	})
	t.Run("a write finishes after its client left", func(t *testing.T) {
		// A real server does not undo a write because the connection
		// closed while it worked: the sandbox must not either, or a
		// kill -9 test can never meet a create that lands late.
		srv, err := sandbox.New(sandbox.Options{Latency: 300 * time.Millisecond, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		arrived := make(chan struct{}, 2)
		hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			arrived <- struct{}{}
			srv.ServeHTTP(w, r)
		}))
		defer hs.Close()
		for _, m := range []string{"POST", "GET"} {
			ctx, cancel := context.WithCancel(context.Background())
			req, _ := http.NewRequestWithContext(ctx, m, hs.URL+sandbox.BasePath+"/customers", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+sandbox.TokenReadWrite)
			done := make(chan error, 1)
			go func() {
				resp, err := http.DefaultClient.Do(req)
				if err == nil {
					resp.Body.Close()
				}
				done <- err
			}()
			<-arrived
			cancel()
			if err := <-done; err == nil {
				t.Fatalf("%s: the request was answered before the client left; make the latency longer", m)
			}
			srv.WaitIdle()
		}
		if n := srv.Count(sandbox.TenantDemo); n != 1 {
			t.Errorf("after a create whose client left during the latency the tenant has %d customers, want 1", n)
		}
	})
	t.Run("fail rate", func(t *testing.T) {
		srv := sandboxtest.NewServer(t, sandbox.Options{FailRate: 1, Seed: 1})
		if r := do(t, srv, sandbox.TokenReadWrite, "POST", "/customers", body); r.status != 500 || r.obj["message"] == nil {
			t.Errorf("%d %s", r.status, r.body)
		}
		if srv.Count(sandbox.TenantDemo) != 0 || srv.Stats().Failed != 1 {
			t.Error("a failed create was applied, or not counted")
		}
	})
	t.Run("partial fail rate is seeded", func(t *testing.T) {
		count := func() (fails int) {
			srv := sandboxtest.NewServer(t, sandbox.Options{FailRate: 0.3, Seed: 42})
			for range 200 {
				if do(t, srv, sandbox.TokenReadWrite, "GET", "/customers", "").status == 500 {
					fails++
				}
			}
			return fails
		}
		a, b := count(), count()
		if a != b || a < 30 || a > 90 {
			t.Errorf("fails = %d then %d, want the same number, about 60", a, b)
		}
	})
	t.Run("rate limit headers", func(t *testing.T) {
		for _, style := range []string{sandbox.RateLimitHeaders, sandbox.XRateLimitHeaders} {
			clk := newClock() // 123 ms into a second
			srv := sandboxtest.NewServer(t, sandbox.Options{RateLimit: 2.5, RateBurst: 9, RateHeaders: style, Now: clk.Now, Seed: 1})
			prefix, reset := "RateLimit-", "1"
			if style == sandbox.XRateLimitHeaders {
				prefix, reset = "X-RateLimit-", strconv.FormatInt(clk.Now().Truncate(time.Second).Unix()+1, 10)
			}
			var got []string
			for range 3 {
				r := do(t, srv, sandbox.TokenReadWrite, "GET", "/customers", "")
				got = append(got, fmt.Sprintf("%d %s/%s reset %s", r.status, r.header.Get(prefix+"Remaining"), r.header.Get(prefix+"Limit"), r.header.Get(prefix+"Reset")))
			}
			want := fmt.Sprintf("[200 1/2 reset %[1]s 200 0/2 reset %[1]s 429 0/2 reset %[1]s]", reset)
			if fmt.Sprint(got) != want {
				t.Errorf("%s: %v, want %s (a quota of 2 per second, RateBurst ignored)", style, got, want)
			}
			if style == sandbox.RateLimitHeaders {
				if r := do(t, srv, sandbox.TokenReadWrite, "GET", "/customers", ""); r.header.Get("RateLimit-Policy") != "2;w=1" || r.header.Get("Retry-After") != "1" {
					t.Errorf("policy %q, Retry-After %q", r.header.Get("RateLimit-Policy"), r.header.Get("Retry-After"))
				}
			}
			clk.Advance(877 * time.Millisecond) // the next second
			if r := do(t, srv, sandbox.TokenReadWrite, "GET", "/customers", ""); r.status != 200 || r.header.Get(prefix+"Remaining") != "1" {
				t.Errorf("%s: in the next window: %d, %s left", style, r.status, r.header.Get(prefix+"Remaining"))
			}
		}
		if _, err := sandbox.New(sandbox.Options{RateHeaders: "draft-42"}); err == nil {
			t.Error("an unknown header style is accepted")
		}
	})
	t.Run("rate limit", func(t *testing.T) {
		clk := newClock()
		srv := sandboxtest.NewServer(t, sandbox.Options{RateLimit: 2, RateBurst: 2, Now: clk.Now, Seed: 1})
		var statuses []int
		for range 3 {
			statuses = append(statuses, do(t, srv, sandbox.TokenReadWrite, "GET", "/customers", "").status)
		}
		r := do(t, srv, sandbox.TokenReadWrite, "GET", "/customers", "")
		if fmt.Sprint(statuses) != "[200 200 429]" || r.header.Get("Retry-After") != "1" || r.obj["message"] == nil {
			t.Errorf("statuses %v, Retry-After %q", statuses, r.header.Get("Retry-After"))
		}
		if r := do(t, srv, sandbox.TokenOtherTenant, "GET", "/customers", ""); r.status != 200 {
			t.Errorf("another tenant is limited too: %d", r.status)
		}
		clk.Advance(time.Second)
		if r := do(t, srv, sandbox.TokenReadWrite, "GET", "/customers", ""); r.status != 200 {
			t.Errorf("after a second: %d", r.status)
		}
		if st := srv.Stats(); st.Throttled != 2 {
			t.Errorf("Throttled = %d, want 2", st.Throttled)
		}
	})
	t.Run("drop after commit", func(t *testing.T) {
		srv := sandboxtest.NewServer(t, sandbox.Options{DropRate: 1, Seed: 1})
		if _, err := send(srv, sandbox.TokenReadWrite, "POST", "/customers", body); err == nil {
			t.Error("got a response")
		}
		if srv.Count(sandbox.TenantDemo) != 1 || srv.Stats().DroppedAfter != 1 {
			t.Errorf("customers %d, stats %+v; want 1 created and 1 drop", srv.Count(sandbox.TenantDemo), srv.Stats())
		}
	})
	t.Run("drop before commit", func(t *testing.T) {
		srv := sandboxtest.NewServer(t, sandbox.Options{DropBeforeRate: 1, Seed: 1})
		if _, err := send(srv, sandbox.TokenReadWrite, "POST", "/customers", body); err == nil {
			t.Error("got a response")
		}
		if srv.Count(sandbox.TenantDemo) != 0 || srv.Stats().DroppedBefore != 1 {
			t.Errorf("customers %d, stats %+v; want none and 1 drop", srv.Count(sandbox.TenantDemo), srv.Stats())
		}
	})
	t.Run("drop mid-list", func(t *testing.T) {
		srv := sandboxtest.NewServer(t, sandbox.Options{DropRate: 1, Seed: 1})
		if err := srv.Seed(sandbox.TenantDemo, 3000, func(i int) apiclient.Customer {
			return apiclient.Customer{Name: "N", Email: fmt.Sprintf("%d@example.com", i)}
		}); err != nil {
			t.Fatal(err)
		}
		r, err := send(srv, sandbox.TokenReadWrite, "GET", "/customers", "")
		if err == nil {
			t.Errorf("the list arrived whole: %d bytes", len(r.body))
		}
	})
}

func TestListLargeIsStreamed(t *testing.T) {
	srv := sandboxtest.NewServer(t, sandbox.Options{Seed: 1})
	const n = 30_000
	if err := srv.Seed(sandbox.TenantDemo, n, func(i int) apiclient.Customer {
		return apiclient.Customer{Name: fmt.Sprintf("First Last%d", i), Email: fmt.Sprintf("c%d@example.com", i)}
	}); err != nil {
		t.Fatal(err)
	}
	list := func() []apiclient.Customer {
		req, _ := http.NewRequest("GET", srv.URL+"/customers", nil)
		req.Header.Set("Authorization", "Bearer "+sandbox.TokenReadOnly)
		resp, err := srv.HTTP.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.ContentLength != -1 {
			t.Errorf("Content-Length %d: the list was buffered, not streamed", resp.ContentLength)
		}
		var list []apiclient.Customer
		if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
			t.Fatal(err)
		}
		return list
	}
	all := list()
	if len(all) != n || all[0].FirstName != "First" || all[n-1].Email != fmt.Sprintf("c%d@example.com", n-1) {
		t.Fatalf("%d customers, first %+v", len(all), all[0])
	}
	// Deleting most of a small tenant compacts its storage; the list keeps
	// creation order with no gap.
	small := sandboxtest.NewServer(t, sandbox.Options{Seed: 1})
	_ = small.Seed(sandbox.TenantDemo, 3000, func(i int) apiclient.Customer {
		return apiclient.Customer{Name: "N", Email: fmt.Sprintf("s%d@example.com", i)}
	})
	ids := small.Customers(sandbox.TenantDemo)
	for _, c := range ids[100:2100] {
		if r := do(t, small, sandbox.TokenReadWrite, "DELETE", "/customers/"+c.ID, ""); r.status != 200 {
			t.Fatalf("delete: %d", r.status)
		}
	}
	srv = small
	got := list()
	if len(got) != 1000 || got[99].ID != ids[99].ID || got[100].ID != ids[2100].ID || got[999].ID != ids[2999].ID {
		t.Errorf("after deletes: %d customers", len(got))
	}
	if r := do(t, small, sandbox.TokenReadWrite, "GET", "/customers/"+ids[2500].ID, ""); r.status != 200 {
		t.Errorf("get after compaction: %d", r.status)
	}
}

func TestConcurrentWrites(t *testing.T) {
	srv := sandboxtest.NewServer(t, sandbox.Options{Seed: 1, RecordTimes: true})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			for i := range 100 {
				r, err := send(srv, sandbox.TokenReadWrite, "POST", "/customers", fmt.Sprintf(`{"name":"W%d","email":"w%d-%d@example.com"}`, w, w, i))
				if err == nil && r.status != 201 {
					err = fmt.Errorf("%d %s", r.status, r.body)
				}
				if err == nil {
					id := r.obj["id"].(string)
					r, err = send(srv, sandbox.TokenReadWrite, "PUT", "/customers/"+id, `{"notes":"n"}`)
				}
				if err != nil {
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
	seen := map[string]bool{}
	for _, c := range srv.Customers(sandbox.TenantDemo) {
		if seen[c.ID] || c.Notes != "n" {
			t.Fatalf("duplicate id or lost update: %+v", c)
		}
		seen[c.ID] = true
	}
	st := srv.Stats()
	if len(seen) != 800 || st.Requests.Create != 800 || st.Requests.Update != 800 {
		t.Errorf("%d customers, stats %+v", len(seen), st.Requests)
	}
	times := srv.RequestTimes()
	var total int64
	for _, n := range st.PerSecond {
		total += n
	}
	if len(times) != 1600 || total != 1600 || st.Connections < 1 {
		t.Errorf("times %d, per-second total %d, connections %d", len(times), total, st.Connections)
	}
	if m := sandbox.MaxInWindow(times, time.Hour); m != 1600 {
		t.Errorf("MaxInWindow(1h) = %d", m)
	}
}

func TestMaxInWindow(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms ...int) []time.Time {
		var out []time.Time
		for _, m := range ms {
			out = append(out, t0.Add(time.Duration(m)*time.Millisecond))
		}
		return out
	}
	tests := []struct {
		times []time.Time
		want  int
	}{
		{nil, 0},
		{at(0), 1},
		{at(0, 999, 1000, 1500, 1999), 3}, // [999, 1999) holds 999, 1000, 1500
		{at(0, 1000, 2000), 1},
		{at(0, 10, 20, 30, 5000), 4},
	}
	for _, tt := range tests {
		if got := sandbox.MaxInWindow(tt.times, time.Second); got != tt.want {
			t.Errorf("MaxInWindow(%v) = %d, want %d", tt.times, got, tt.want)
		}
	}
}

func TestStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	sb, err := sandbox.New(sandbox.Options{DataFile: path, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	url, done, err := sb.Start(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(url, "http://127.0.0.1:") || !strings.HasSuffix(url, sandbox.BasePath) {
		t.Errorf("url = %q", url)
	}
	c, err := apiclient.New(apiclient.Options{BaseURL: url, Token: sandbox.TokenReadWrite})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateCustomer(t.Context(), apiclient.Fields{"name": "A B", "email": "a@example.com"}, ""); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if _, ok := <-done; ok {
		t.Error("done not closed")
	}
	again, err := sandbox.New(sandbox.Options{DataFile: path})
	if err != nil || again.Count(sandbox.TenantDemo) != 1 {
		t.Fatalf("state after shutdown: %v, %d customers", err, again.Count(sandbox.TenantDemo))
	}
	if sb.Stats().Connections != 1 {
		t.Errorf("Connections = %d, want 1", sb.Stats().Connections)
	}
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0"} {
		if _, _, err := sb.Start(t.Context(), addr); err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("Start(%q) = %v, want a refusal", addr, err)
		}
	}
	if err := (&sandbox.Server{}).Save(); err == nil {
		t.Error("Save without a data file succeeded")
	}
}

func TestSeed(t *testing.T) {
	sb, err := sandbox.New(sandbox.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	err = sb.Seed(sandbox.TenantDemo, 3, func(i int) apiclient.Customer {
		c := apiclient.Customer{Name: "Mary Ann Smith", Email: "m@example.com", CreatedAt: "2024-01-02T03:04:05.678Z"}
		if i == 0 {
			c.ID = "0123456789abcdef01234567"
		}
		if i == 1 {
			c.ID = "0123456789abcdef01234567" // taken: replaced
		}
		return c
	})
	if err != nil {
		t.Fatal(err)
	}
	cs := sb.Customers(sandbox.TenantDemo)
	if len(cs) != 3 || cs[0].ID != "0123456789abcdef01234567" || cs[1].ID == cs[0].ID || cs[2].FirstName != "Mary" ||
		cs[2].LastName != "Ann Smith" || cs[0].CreatedAt != "2024-01-02T03:04:05.678Z" || cs[0].Type != "individual" {
		t.Errorf("seeded %+v", cs)
	}
	if err := sb.Seed("nobody", 1, nil); err == nil {
		t.Error("seeding an unknown tenant succeeded")
	}
	if sb.Count("nobody") != 0 || sb.Customers("nobody") != nil {
		t.Error("unknown tenant")
	}
}

// TestIDStyles: every style makes ids of its shape, the same in "_id" and
// "id", that get, update, status and delete accept; numeric ids are JSON
// numbers, and a saved numeric tenant reloads with number ids.
func TestIDStyles(t *testing.T) {
	shapes := map[string]string{
		sandbox.IDUUID:     `^"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"$`,
		sandbox.IDObjectID: `^"[0-9a-f]{24}"$`,
		sandbox.IDNumeric:  `^1[0-9]{5}$`,
		sandbox.IDPrefixed: `^"cus_[0-9A-Za-z]{14}"$`,
	}
	for _, style := range sandbox.IDStyles {
		t.Run(style, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.json")
			srv := sandboxtest.NewServer(t, sandbox.Options{IDStyle: style, DataFile: path})
			r := do(t, srv, sandbox.TokenReadWrite, "POST", "/customers", `{"name":"A B","email":"a@example.com"}`)
			var m map[string]json.RawMessage
			if err := json.Unmarshal(r.body, &m); err != nil {
				t.Fatal(err)
			}
			id := string(m["id"])
			if !regexp.MustCompile(shapes[style]).MatchString(id) || string(m["_id"]) != id {
				t.Fatalf("id %s, _id %s; want %s", id, m["_id"], shapes[style])
			}
			path1 := "/customers/" + strings.Trim(id, `"`)
			for _, c := range []struct{ method, path, body string }{
				{"GET", path1, ""}, {"PUT", path1, `{"phone":"+1 555"}`},
				{"PUT", path1 + "/status", `{"status":"blocked"}`},
			} {
				if r := do(t, srv, sandbox.TokenReadWrite, c.method, c.path, c.body); r.status != 200 {
					t.Errorf("%s %s: %d %s", c.method, c.path, r.status, r.body)
				}
			}
			list := do(t, srv, sandbox.TokenReadWrite, "GET", "/customers", "")
			if !strings.Contains(string(list.body), `"id":`+id+`,`) {
				t.Errorf("list %s does not send id %s", list.body, id)
			}
			if err := srv.Save(); err != nil {
				t.Fatal(err)
			}
			again := sandboxtest.NewServer(t, sandbox.Options{IDStyle: style, DataFile: path})
			if got := do(t, again, sandbox.TokenReadWrite, "GET", "/customers", "").body; !bytes.Equal(got, list.body) {
				t.Errorf("reloaded list\n got %s\nwant %s", got, list.body)
			}
			if r := do(t, srv, sandbox.TokenReadWrite, "DELETE", path1, ""); r.status != 200 {
				t.Errorf("delete: %d %s", r.status, r.body)
			}
		})
	}
	if _, err := sandbox.New(sandbox.Options{IDStyle: "hex"}); err == nil || !strings.Contains(err.Error(), "uuid, objectid, numeric, prefixed") {
		t.Errorf("unknown style: %v", err)
	}
}

// TestNoIDFaults: ListNoID and CreateNoID leave "_id" and "id" out, and
// nothing else.
func TestNoIDFaults(t *testing.T) {
	srv := sandboxtest.NewServer(t, sandbox.Options{ListNoID: true, CreateNoID: true})
	r := do(t, srv, sandbox.TokenReadWrite, "POST", "/customers", `{"name":"A B","email":"a@example.com"}`)
	if r.status != 201 || bytes.Contains(r.body, []byte(`"id"`)) || bytes.Contains(r.body, []byte(`"_id"`)) || r.obj["email"] != "a@example.com" {
		t.Errorf("create: %d %s", r.status, r.body)
	}
	l := do(t, srv, sandbox.TokenReadWrite, "GET", "/customers", "")
	if bytes.Contains(l.body, []byte(`"id"`)) || !strings.HasPrefix(string(l.body), `[{"firstName":"A"`) {
		t.Errorf("list: %s", l.body)
	}
}
