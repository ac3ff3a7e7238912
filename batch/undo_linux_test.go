//go:build linux

package batch

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
)

// TestUndoWriteFailureStops: when the undo file stops taking writes
// part way (its descriptor is made read-only under the run, as a failing
// disk would refuse them), the run stops (*AbortedError, exit 3) saying
// why, the rows not sent are not_attempted, Summary.UndoError is set (so
// the CLI does not offer the file as the way back) and the journal stays
// for --resume.
func TestUndoWriteFailureStops(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("needs /proc/self/fd")
	}
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	dir := t.TempDir()
	const n = 60
	in := customersCSV(t, dir, n)
	cfg := importCfg(in, newClient(t, sb.URL, sandbox.TokenReadWrite, nil))
	cfg.Workers = 1
	cfg.Undo = filepath.Join(dir, "undo.csv")
	broke := false
	cfg.OnRow = func(int) {
		if broke {
			return
		}
		broke = true
		ents, _ := os.ReadDir("/proc/self/fd")
		for _, e := range ents {
			if l, _ := os.Readlink("/proc/self/fd/" + e.Name()); l == cfg.Undo {
				ro, err := os.Open(cfg.Undo)
				if err != nil {
					t.Fatal(err)
				}
				fd, _ := strconv.Atoi(e.Name())
				if err := syscall.Dup3(int(ro.Fd()), fd, 0); err != nil {
					t.Fatal(err)
				}
				ro.Close()
				return
			}
		}
		t.Fatal("the undo file is not open")
	}
	sum, err := Import(context.Background(), cfg)
	if !IsAborted(err) || !strings.Contains(err.Error(), "could not write the undo file "+cfg.Undo) {
		t.Fatalf("err = %v, want the run aborted because of the undo file", err)
	}
	if sum.UndoError == "" {
		t.Errorf("Summary.UndoError is empty")
	}
	if sum.Counts[ResultNotAttempted] == 0 {
		t.Errorf("every row was sent after the undo file failed: %v", sum.Counts)
	}
	if _, err := os.Stat(JournalPath(filepath.Join(dir, "customers.report.csv"))); err != nil {
		t.Errorf("the journal is gone: %v", err)
	}
}
