package apiclient_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"aivabatch/apiclient"
	"aivabatch/apiclient/sandbox"
)

// helperEnv makes the test binary act as a sandbox process (see
// startSandboxProcess) instead of running tests.
const helperEnv = "AIVABATCH_TEST_SANDBOX_CUSTOMERS"

func TestMain(m *testing.M) {
	if n := os.Getenv(helperEnv); n != "" {
		os.Exit(runSandboxProcess(n))
	}
	os.Exit(m.Run())
}

// runSandboxProcess seeds n customers, serves them on a loopback port,
// prints the base URL and serves until stdin is closed.
func runSandboxProcess(n string) int {
	count, err := strconv.Atoi(n)
	if err != nil {
		return 2
	}
	sb, err := sandbox.New(sandbox.Options{Seed: 1})
	if err == nil {
		err = sb.Seed(sandbox.TenantDemo, count, seedCustomer)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url, done, err := sb.Start(ctx, "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(url)
	_, _ = io.Copy(io.Discard, os.Stdin)
	cancel()
	<-done
	return 0
}

func seedCustomer(i int) apiclient.Customer {
	return apiclient.Customer{
		Name:  fmt.Sprintf("Customer Number%d", i),
		Email: fmt.Sprintf("customer%d@example.com", i),
		Phone: fmt.Sprintf("+1 555 %07d", i),
		Value: float64(i % 1000),
		Notes: "seeded",
	}
}

// startSandboxProcess runs a sandbox holding n customers in a child
// process, so that this process's heap is the client's alone.
func startSandboxProcess(tb testing.TB, n int) string {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		tb.Fatalf("sandbox process: %v", err)
	}
	return strings.TrimSpace(line)
}

// listPeakHeap lists every customer and returns how many there were and
// the peak HeapInuse sampled every 10,000 customers.
func listPeakHeap(tb testing.TB, c *apiclient.Client) (int, uint64) {
	tb.Helper()
	var ms runtime.MemStats
	var peak uint64
	n := 0
	for cu, err := range c.ListCustomers(tb.Context()) {
		if err != nil {
			tb.Fatalf("list after %d: %v", n, err)
		}
		if cu.ID == "" {
			tb.Fatalf("customer %d has no id", n)
		}
		n++
		if n%10_000 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
	return n, peak
}

func TestListStreamsInBoundedMemory(t *testing.T) {
	const n = 200_000
	url := startSandboxProcess(t, n)
	c := newClient(t, url, nil, "", func(o *apiclient.Options) { o.Sleep = nil; o.Now = nil })
	got, peak := listPeakHeap(t, c)
	if got != n {
		t.Fatalf("listed %d customers, want %d", got, n)
	}
	t.Logf("peak HeapInuse while listing %d customers: %.1f MB", n, float64(peak)/(1<<20))
	if peak > 16<<20 {
		t.Errorf("peak HeapInuse %.1f MB, want well under 32 MB", float64(peak)/(1<<20))
	}
}

func TestListBreaksOffMidArray(t *testing.T) {
	sb := newSandbox(t, sandbox.Options{DropRate: 1})
	if err := sb.Seed(sandbox.TenantDemo, 5000, seedCustomer); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, sb.URL, nil, "", nil)
	n := 0
	var last error
	for _, err := range c.ListCustomers(t.Context()) {
		if err != nil {
			last = err
			continue
		}
		if last != nil {
			t.Fatal("a customer came after the error")
		}
		n++
	}
	if last == nil || n >= 5000 || n == 0 {
		t.Fatalf("got %d customers and err %v; want some, then an error", n, last)
	}
	if !errors.Is(last, apiclient.ErrTransport) || !strings.Contains(last.Error(), fmt.Sprintf("the list broke off after %d customers", n)) {
		t.Errorf("err = %v", last)
	}
	if got := sb.Stats().Requests.List; got != 1 {
		t.Errorf("%d list requests, want 1: no retry once customers were yielded", got)
	}
}

func TestListRetriedBeforeFirstCustomer(t *testing.T) {
	sb, url := newWrapped(t, sandbox.Options{}, intercept(func(n int, w http.ResponseWriter, _ *http.Request) bool {
		switch n {
		case 1: // headers and "[" then the connection drops
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, "[")
			http.NewResponseController(w).Flush()
			panic(http.ErrAbortHandler)
		case 2:
			panic(http.ErrAbortHandler) // nothing at all
		}
		return false
	}))
	if err := sb.Seed(sandbox.TenantDemo, 3, seedCustomer); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, url, nil, "", nil)
	n := 0
	for _, err := range c.ListCustomers(t.Context()) {
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		n++
	}
	if n != 3 || sb.Stats().Requests.List != 1 || c.Stats().Retries != 2 {
		t.Errorf("got %d customers after %d retries, want 3 after 2", n, c.Stats().Retries)
	}
}

func TestListErrors(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		status    int
		wantKind  error
		wantMsg   string
		wantTries int64
	}{
		{"not an array", `{"message":"nope"}`, 200, apiclient.ErrTransport, "the response is not a JSON array", 1},
		{"element not an object", `[{"id":"1"},42]`, 200, apiclient.ErrTransport, "broke off after 1 customers", 1},
		{"garbage after the array", `[] x`, 200, apiclient.ErrTransport, "unexpected data after the list", 1},
		{"a second array", `[] []`, 200, apiclient.ErrTransport, "unexpected data after the list", 1},
		{"HTML", `<html>`, 200, apiclient.ErrTransport, "reading the list: the response is not a JSON array: invalid character '<'", 1},
		{"first element not an object", `[1]`, 200, apiclient.ErrTransport, "reading the list: a list element is not a JSON object (it starts with 1)", 1},
		{"invalid JSON in the first element", `[{"a":tru}]`, 200, apiclient.ErrTransport, "reading the list: invalid JSON in the list", 1},
		{"missing comma", `[{"a":1} {"b":2}]`, 200, apiclient.ErrTransport, "broke off after 1 customers: invalid JSON in the list", 1},
		{"huge element", `[{"id":"1"},{"notes":"` + strings.Repeat("x", 17<<20) + `"}]`, 200, apiclient.ErrTransport, "broke off after 1 customers: a list element is larger than 16777216 bytes", 1},
		{"truncated", `[{"id":"1"}`, 200, apiclient.ErrTransport, "broke off after 1 customers: unexpected EOF", 1},
		{"empty body", ``, 200, apiclient.ErrTransport, "(gave up after 3 attempts): HTTP 200, then reading the list: unexpected EOF", 3},
		{"403", `{"message":"token expired"}`, 403, apiclient.ErrForbidden, "GET /customers: HTTP 403: token expired (the token is invalid or expired, or probably lacks the customers:read scope)", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tries atomic.Int64
			_, url := newWrapped(t, sandbox.Options{}, intercept(func(_ int, w http.ResponseWriter, _ *http.Request) bool {
				tries.Add(1)
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
				return true
			}))
			c := newClient(t, url, nil, "", func(o *apiclient.Options) { o.Retries = 2 })
			var last error
			for _, err := range c.ListCustomers(t.Context()) {
				last = err
			}
			if !errors.Is(last, tt.wantKind) || !strings.Contains(last.Error(), tt.wantMsg) {
				t.Errorf("err = %v, want %v containing %q", last, tt.wantKind, tt.wantMsg)
			}
			if tries.Load() != tt.wantTries {
				t.Errorf("%d requests, want %d", tries.Load(), tt.wantTries)
			}
		})
	}
}

func TestListEmptyAndEarlyStop(t *testing.T) {
	sb := newSandbox(t, sandbox.Options{})
	c := newClient(t, sb.URL, nil, "", nil)
	for cu, err := range c.ListCustomers(t.Context()) {
		t.Fatalf("empty tenant yielded %+v, %v", cu, err)
	}
	if err := sb.Seed(sandbox.TenantDemo, 20_000, seedCustomer); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, err := range c.ListCustomers(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 10 {
			break
		}
	}
	if n != 10 {
		t.Fatalf("n = %d", n)
	}
	// The client is still usable after abandoning a long body.
	if _, err := c.CreateCustomer(t.Context(), person("A B", "a@example.com"), ""); err != nil {
		t.Fatal(err)
	}
}

// TestListStallTimesOut: a list that stops sending bytes for longer than
// Timeout fails, after the customers already yielded.
func TestListStallTimesOut(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	_, url := newWrapped(t, sandbox.Options{}, intercept(func(_ int, w http.ResponseWriter, r *http.Request) bool {
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `[{"id":"1"},`)
		http.NewResponseController(w).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
		return true
	}))
	c := newClient(t, url, nil, "", func(o *apiclient.Options) { o.Timeout = 100 * time.Millisecond })
	n := 0
	var last error
	for _, err := range c.ListCustomers(t.Context()) {
		if err != nil {
			last = err
			break
		}
		n++
	}
	if n != 1 || !errors.Is(last, apiclient.ErrTransport) || !strings.Contains(last.Error(), "timed out") {
		t.Errorf("got %d customers, err %v; want 1, then a timeout", n, last)
	}
}

// TestListRaw: ListRaw yields the objects that ListCustomers decodes, in
// the same order, and fails the same way.
func TestListRaw(t *testing.T) {
	sb := newSandbox(t, sandbox.Options{})
	if err := sb.Seed(sandbox.TenantDemo, 3000, seedCustomer); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, sb.URL, nil, "", nil)
	var want []apiclient.Customer
	for cu, err := range c.ListCustomers(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, cu)
	}
	n := 0
	for raw, err := range c.ListRaw(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		var cu apiclient.Customer
		if err := cu.UnmarshalJSON(raw); err != nil || n >= len(want) || !reflect.DeepEqual(cu, want[n]) {
			t.Fatalf("element %d = %s decodes to %+v, %v; want %+v", n, raw, cu, err, want[min(n, len(want)-1)])
		}
		n++
	}
	if n != len(want) || n != 3000 {
		t.Fatalf("%d elements, want %d", n, len(want))
	}

	dropping := newSandbox(t, sandbox.Options{DropRate: 1})
	if err := dropping.Seed(sandbox.TenantDemo, 5000, seedCustomer); err != nil {
		t.Fatal(err)
	}
	dc := newClient(t, dropping.URL, nil, "", nil)
	n = 0
	var last error
	for raw, err := range dc.ListRaw(t.Context()) {
		if err != nil {
			if raw != nil {
				t.Error("an error came with bytes")
			}
			last = err
			continue
		}
		n++
	}
	if !errors.Is(last, apiclient.ErrTransport) || !strings.Contains(fmt.Sprint(last), fmt.Sprintf("the list broke off after %d customers", n)) {
		t.Errorf("after %d elements: err = %v", n, last)
	}
}
