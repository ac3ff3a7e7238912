package formats

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCreateAtomicMissingDir: an output in a directory that does not
// exist (export -o out/x.csv without out/, or out/ removed after the
// CLI's check) is named as given, with the missing directory, and never
// by its temporary .x.csv.tmp-* name.
func TestCreateAtomicMissingDir(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out", "x.csv")
	_, err := CreateAtomic(out)
	if err == nil {
		t.Fatal("CreateAtomic in a missing directory succeeded")
	}
	msg := err.Error()
	if !strings.Contains(msg, "cannot write "+out) || !strings.Contains(msg, "the directory "+filepath.Dir(out)+" does not exist") || strings.Contains(msg, ".tmp-") {
		t.Errorf("error = %q, want it to name %s and its missing directory, not the temporary file", msg, out)
	}
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error %q does not wrap os.ErrNotExist", msg)
	}
}
