//go:build unix

package batch

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestFIFOInputEndsOnCancel: a named pipe given as the input, with no
// writer yet, blocks an open for ever; a run cancelled then (Ctrl-C,
// SIGTERM) still ends, and a writer that comes later is read like stdin.
func TestFIFOInputEndsOnCancel(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "in.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := Validate(ctx, ValidateConfig{InputConfig{Path: fifo, Report: filepath.Join(dir, "r.csv")}})
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(20 * time.Second): // a failure bound, not a synchronisation
		t.Fatal("a cancelled run on a named pipe with no writer did not end")
	}
	// The open blocked in the background ends when a writer comes
	// (O_RDWR never blocks on Linux).
	if w, err := os.OpenFile(fifo, os.O_RDWR, 0); err == nil {
		w.Close()
	}

	// A writer: read like stdin.
	fifo2 := filepath.Join(dir, "in2.csv")
	if err := syscall.Mkfifo(fifo2, 0o600); err != nil {
		t.Fatal(err)
	}
	go func() {
		w, err := os.OpenFile(fifo2, os.O_WRONLY, 0)
		if err == nil {
			w.WriteString("name,email\nA,a@example.com\n")
			w.Close()
		}
	}()
	sum, err := Validate(context.Background(), ValidateConfig{InputConfig{Path: fifo2, Report: filepath.Join(dir, "r2.csv")}})
	if err != nil || sum.Counts[ResultValid] != 1 {
		t.Fatalf("through the pipe: %v %v", sum, err)
	}
}
