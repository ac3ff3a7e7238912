package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"aivabatch/apiclient/sandbox"
	"aivabatch/batch"
)

// TestReportLockAcrossProcesses runs the real command as a process
// against a slow sandbox in another process. While it runs, a --resume
// on the same report refuses at once (exit 2), naming the running
// process's pid and saying to wait. Then the running import is killed
// with SIGKILL: the kernel releases its lock (the lock file stays, with
// the dead pid), so the next --resume runs at once and the tenant ends
// with each customer once.
func TestReportLockAcrossProcesses(t *testing.T) {
	t.Parallel()
	url := startSandbox(t, "--latency", "20ms")
	dir := t.TempDir()
	const n = 400
	lines := []string{"name,email"}
	for i := 1; i <= n; i++ {
		lines = append(lines, fmt.Sprintf("Person %d,lock%d@example.com", i, i))
	}
	in := writeLines(t, filepath.Join(dir, "lock.csv"), lines...)
	report := filepath.Join(dir, "lock.report.csv")
	args := []string{in, "--rate", "0", "--workers", "4", "--timeout", "2s"}

	cmd, _, done := startImport(t, url, args, 20, nil)
	holder := cmd.Process.Pid
	env := map[string]string{"AIVA_API_URL": url, "AIVA_TOKEN": sandbox.TokenReadWrite}
	stdio, _, errOut := testIO(env)
	code := run(context.Background(), append([]string{"import", "--resume", "--no-progress"}, args...), stdio)
	if code != exitInput || !strings.Contains(errOut.String(), "pid "+strconv.Itoa(holder)) || !strings.Contains(errOut.String(), "wait for it to finish") {
		t.Errorf("a resume while the import runs: exit %d, want 2 naming pid %d; stderr:\n%s", code, holder, errOut)
	}

	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	<-done
	if b, err := os.ReadFile(batch.LockPath(report)); err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(holder) {
		t.Errorf("after the kill the lock file holds %q (%v), want the dead pid %d", b, err, holder)
	}
	stdio, _, errOut = testIO(env)
	if code := run(context.Background(), append([]string{"import", "--resume", "--no-progress"}, args...), stdio); code != exitOK {
		t.Fatalf("resume after the kill: exit %d; stderr:\n%s", code, errOut)
	}
	checkOnePerRow(t, "resume after a killed holder", url, "lock", n, report)
	if _, err := os.Stat(batch.LockPath(report)); !os.IsNotExist(err) {
		t.Errorf("the finished resume left the lock behind (%v)", err)
	}
}
