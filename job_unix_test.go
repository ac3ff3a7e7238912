//go:build unix

package main

import (
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestJobFileNotRegular: a job file that is a device or a named pipe is
// refused at once, never read (/dev/zero would fill the memory, a FIFO
// without a writer would wait for ever).
func TestJobFileNotRegular(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := jobInput(t, dir)
	fifo := filepath.Join(dir, "job.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	for _, job := range []string{"/dev/zero", fifo, dir} {
		stdio, _, errOut := testIO(nil)
		if code := run(context.Background(), []string{"validate", "--job", job, in}, stdio); code != exitInput {
			t.Errorf("--job %s: exit %d, want 2; stderr:\n%s", job, code, errOut)
		}
		if !strings.Contains(errOut.String(), "is not a regular file") {
			t.Errorf("--job %s: stderr:\n%s", job, errOut)
		}
	}
}
