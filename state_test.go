package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"aivabatch/apiclient"
	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
	"aivabatch/batch"
	"aivabatch/formats"
)

// testClock is a sandbox clock that moves only when told.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// exportedEmails runs an export and returns the emails in its output,
// sorted.
func exportedEmails(t *testing.T, env map[string]string, out string, args ...string) []string {
	t.Helper()
	stdio, _, errOut := testIO(env)
	if code := run(context.Background(), append([]string{"export", "-o", out, "--no-progress"}, args...), stdio); code != exitOK {
		t.Fatalf("export %v: exit %d; stderr:\n%s", args, code, errOut)
	}
	r, err := formats.OpenReader(out, formats.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	col := -1
	for i, h := range r.Header() {
		if h == "email" {
			col = i
		}
	}
	var emails []string
	for {
		row, err := r.Next()
		if err != nil {
			break
		}
		emails = append(emails, row.Cells[col])
	}
	sort.Strings(emails)
	return emails
}

// TestIncrementalExport: three runs with updates in between export
// exactly the customers that changed, also one updated in the very
// millisecond of the watermark; a run with no change exports none, and
// --full exports every customer once.
func TestIncrementalExport(t *testing.T) {
	t.Parallel()
	clock := &testClock{t: time.Date(2026, 3, 1, 2, 15, 0, 0, time.UTC)}
	sb := sandboxtest.NewServer(t, sandbox.Options{Now: clock.now})
	must(t, sb.Seed(sandbox.TenantDemo, 5, func(i int) apiclient.Customer {
		return apiclient.Customer{Name: fmt.Sprintf("C %d", i), Email: fmt.Sprintf("c%d@example.com", i)}
	}))
	ids := map[string]string{}
	for _, c := range sb.Customers(sandbox.TenantDemo) {
		ids[c.Email] = c.ID
	}
	client, err := apiclient.New(apiclient.Options{BaseURL: sb.URL, Token: sandbox.TokenReadWrite})
	must(t, err)
	update := func(email, phone string) {
		t.Helper()
		if _, err := client.UpdateCustomer(context.Background(), ids[email], apiclient.Fields{"phone": phone}); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"AIVA_API_URL": sb.URL, "AIVA_TOKEN": sandbox.TokenReadWrite}
	dir := t.TempDir()
	state, out := filepath.Join(dir, "nightly.state"), filepath.Join(dir, "changed.csv")

	steps := []struct {
		name   string
		change func()
		args   []string
		want   []string
	}{
		{name: "first run exports all", want: []string{"c0@example.com", "c1@example.com", "c2@example.com", "c3@example.com", "c4@example.com"}},
		{name: "same millisecond and later updates", change: func() {
			update("c1@example.com", "+1 555 0101") // the clock has not moved: updatedAt equals the watermark
			clock.advance(time.Second)
			update("c3@example.com", "+1 555 0103")
		}, want: []string{"c1@example.com", "c3@example.com"}},
		{name: "one more update", change: func() {
			clock.advance(time.Millisecond)
			update("c4@example.com", "+1 555 0104")
		}, want: []string{"c4@example.com"}},
		{name: "nothing changed", want: nil},
		{name: "full", args: []string{"--full"}, want: []string{"c0@example.com", "c1@example.com", "c2@example.com", "c3@example.com", "c4@example.com"}},
		{name: "after full", change: func() { update("c0@example.com", "+1 555 0100") }, want: []string{"c0@example.com"}},
	}
	for _, st := range steps {
		if st.change != nil {
			st.change()
		}
		got := exportedEmails(t, env, out, append([]string{"--state", state}, st.args...)...)
		if strings.Join(got, " ") != strings.Join(st.want, " ") {
			t.Errorf("%s: exported %v, want %v", st.name, got, st.want)
		}
	}
	if _, err := os.Stat(batch.LockPath(state)); !os.IsNotExist(err) {
		t.Errorf("the lock %s is left behind (%v)", batch.LockPath(state), err)
	}
}

// TestIncrementalExportFailureKeepsState: a run whose list breaks every
// time fails (exit 3) before the rename: the output and the state are
// as they were.
func TestIncrementalExportFailureKeepsState(t *testing.T) {
	t.Parallel()
	good := sandboxtest.NewServer(t, sandbox.Options{})
	seed := func(i int) apiclient.Customer {
		return apiclient.Customer{Name: fmt.Sprintf("C %d", i), Email: fmt.Sprintf("c%d@example.com", i)}
	}
	must(t, good.Seed(sandbox.TenantDemo, 3, seed))
	dir := t.TempDir()
	state, out := filepath.Join(dir, "nightly.state"), filepath.Join(dir, "changed.csv")
	exportedEmails(t, map[string]string{"AIVA_API_URL": good.URL, "AIVA_TOKEN": sandbox.TokenReadWrite}, out, "--state", state)
	before, err := os.ReadFile(state)
	must(t, err)
	outBefore, err := os.ReadFile(out)
	must(t, err)

	broken := sandboxtest.NewServer(t, sandbox.Options{DropRate: 1})
	must(t, broken.Seed(sandbox.TenantDemo, 3, seed))
	stdio, _, errOut := testIO(map[string]string{"AIVA_API_URL": broken.URL, "AIVA_TOKEN": sandbox.TokenReadWrite})
	if code := run(context.Background(), []string{"export", "-o", out, "--state", state, "--full", "--retries", "0", "--no-progress"}, stdio); code != exitAborted {
		t.Fatalf("export on a breaking list: exit %d, want %d; stderr:\n%s", code, exitAborted, errOut)
	}
	after, err := os.ReadFile(state)
	must(t, err)
	if !bytes.Equal(before, after) {
		t.Errorf("a failed run changed the state:\nbefore %s\nafter  %s", before, after)
	}
	if outAfter, _ := os.ReadFile(out); !bytes.Equal(outBefore, outAfter) {
		t.Errorf("a failed run changed %s", out)
	}
	if _, err := os.Stat(batch.LockPath(state)); !os.IsNotExist(err) {
		t.Errorf("the failed run left its lock behind (%v)", err)
	}
}

// TestIncrementalExportLock: a second run on the same state refuses while
// another process holds the kernel lock, naming its pid; a lock file
// left by a killed run (no process holds the lock) is simply taken.
func TestIncrementalExportLock(t *testing.T) {
	t.Parallel()
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	env := map[string]string{"AIVA_API_URL": sb.URL, "AIVA_TOKEN": sandbox.TokenReadWrite}
	dir := t.TempDir()
	state, out := filepath.Join(dir, "nightly.state"), filepath.Join(dir, "changed.csv")
	lock := batch.LockPath(state)

	// A run in progress: this test holds the lock as an export does.
	pid := "4242"
	f, err := os.OpenFile(lock, os.O_RDWR|os.O_CREATE, 0o600)
	must(t, err)
	must(t, syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB))
	_, err = f.WriteString(pid + "\n")
	must(t, err)
	stdio, _, errOut := testIO(env)
	if code := run(context.Background(), []string{"export", "-o", out, "--state", state}, stdio); code != exitInput {
		t.Fatalf("second run: exit %d, want %d; stderr:\n%s", code, exitInput, errOut)
	}
	if !strings.Contains(errOut.String(), "pid "+pid) || !strings.Contains(errOut.String(), "wait for it to finish") {
		t.Errorf("the refusal does not name pid %s and say to wait:\n%s", pid, errOut)
	}
	if b, _ := os.ReadFile(lock); string(b) != pid+"\n" {
		t.Errorf("the refused run touched the other run's lock: %q", b)
	}
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Errorf("the refused run wrote the state (%v)", err)
	}
	// The holder ends (as a killed one would: the kernel lets go). Unlocked
	// first: a parallel test's fork shares the descriptor until its exec.
	must(t, syscall.Flock(int(f.Fd()), syscall.LOCK_UN))
	f.Close()

	// The lock file stays with the pid of a run that is gone.
	must(t, os.WriteFile(lock, []byte("1073741824\n"), 0o600))
	stdio, _, errOut = testIO(env)
	if code := run(context.Background(), []string{"export", "-o", out, "--state", state}, stdio); code != exitOK {
		t.Fatalf("run over a lock file no process holds: exit %d, want 0; stderr:\n%s", code, errOut)
	}
	if _, err := os.Stat(lock); !os.IsNotExist(err) {
		t.Errorf("the lock is left behind (%v)", err)
	}
	if _, err := os.Stat(state); err != nil {
		t.Errorf("no state written: %v", err)
	}

	stdio, _, errOut = testIO(env)
	if code := run(context.Background(), []string{"export", "-o", out, "--full"}, stdio); code != exitInput || !strings.Contains(errOut.String(), "--full goes with --state") {
		t.Errorf("--full without --state: exit %d; stderr:\n%s", code, errOut)
	}
}
