package main

import (
	"errors"
	"strings"
	"testing"
)

// TestSandboxSaveFailureWarns: when the embedded sandbox cannot save its
// customers at the end of a run, the run says so (the next --sandbox
// run would not find them) and close returns the error.
func TestSandboxSaveFailureWarns(t *testing.T) {
	stdio, _, errOut := testIO(nil)
	saveErr := errors.New("no space left on device")
	conn := &connection{stop: func() error { return saveErr }, log: stdio.log()}
	if err := conn.close(); !errors.Is(err, saveErr) {
		t.Errorf("close: %v, want the save error", err)
	}
	if got := errOut.String(); !strings.Contains(got, "the sandbox could not save its customers (no space left on device)") {
		t.Errorf("no warning on stderr:\n%s", got)
	}
}
