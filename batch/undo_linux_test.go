//go:build linux

package batch

import (
	"context"
	"errors"
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
		if !broke {
			broke = true
			readOnly(t, cfg.Undo)
		}
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

// TestMirrorUndoWriteFailureStops: a mirror's delete whose undo line
// cannot be written stops the run like a row's would: its fix is
// resuming (FixResume), which the library says in words and the command
// line with its flag, never spelled into the reason.
func TestMirrorUndoWriteFailureStops(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("needs /proc/self/fd")
	}
	sb := mirrorTenant(t, 10, nil)
	dir := t.TempDir()
	in := mirrorFile(t, dir, "in.csv", without(10, 2, 5, 8))
	cfg := mirrorCfg(in, newClient(t, sb.URL, sandbox.TokenReadWrite, nil))
	cfg.Workers, cfg.DeleteMissing, cfg.MaxDelete = 1, true, 3
	cfg.Undo = filepath.Join(dir, "undo.csv")
	broke := false
	// The file's rows change nothing, so the undo file is first written
	// by the mirror's deletes, after them.
	cfg.OnRow = func(int) {
		if !broke {
			broke = true
			readOnly(t, cfg.Undo)
		}
	}
	_, err := Import(context.Background(), cfg)
	var ae *AbortedError
	if !errors.As(err, &ae) || ae.Fix != FixResume || !strings.Contains(err.Error(), "could not write the undo file "+cfg.Undo) {
		t.Fatalf("err = %v, want the run aborted because of the undo file, to be resumed", err)
	}
	if !strings.HasSuffix(ae.Reason, "free space or fix the path") {
		t.Errorf("the reason spells its fix: %q", ae.Reason)
	}
	noFlags(t, err)
}

// readOnly makes the process's descriptor of path read-only, as a failing
// disk would refuse writes.
func readOnly(t *testing.T, path string) {
	ents, _ := os.ReadDir("/proc/self/fd")
	for _, e := range ents {
		if l, _ := os.Readlink("/proc/self/fd/" + e.Name()); l == path {
			ro, err := os.Open(path)
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
	t.Fatal(path + " is not open")
}
