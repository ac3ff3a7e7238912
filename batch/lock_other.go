//go:build !unix

package batch

import (
	"errors"
	"fmt"
	"os"
)

// lockFile creates the lock file at lp exclusively, with this process's
// pid in it. Without flock the lock of a killed run stays: the message
// names the file to delete once that run is gone.
func lockFile(lp string) (unlock func(), err error) {
	f, err := os.OpenFile(lp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		le := &LockedError{Path: lp}
		if g, err := os.Open(lp); err == nil {
			le.PID = readLockPID(g)
			g.Close()
		}
		return nil, le
	}
	if err != nil {
		return nil, fmt.Errorf("cannot create the lock %s: %w", lp, err)
	}
	if err := writeLockPID(f); err != nil {
		f.Close()
		os.Remove(lp)
		return nil, fmt.Errorf("cannot write the lock %s: %w", lp, err)
	}
	return func() {
		f.Close()
		os.Remove(lp)
	}, nil
}

// staleHint: here a killed run's lock stays behind.
func staleHint(le *LockedError) string {
	return fmt.Sprintf(" (if no aivabatch is running any more, the lock was left by a killed run: delete %s)", le.Path)
}

// dirWritable cannot be told here without writing: creating the file
// will say.
func dirWritable(string) error { return nil }
