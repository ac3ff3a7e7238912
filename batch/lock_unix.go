//go:build unix

package batch

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockFile takes the kernel lock (flock) on the file at lp, created if
// need be, and writes this process's pid into it. The kernel releases
// the lock when the process ends, however it ends (kill -9 included), so
// a killed run never leaves a lock that must be deleted by hand. When
// another process holds it, the error is a *LockedError naming its pid.
// unlock removes the file, then releases the lock.
func lockFile(lp string) (unlock func(), err error) {
	for range 20 {
		f, err := os.OpenFile(lp, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("cannot create the lock %s: %w", lp, err)
		}
		if err := flock(f); err != nil {
			pid := readLockPID(f)
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, &LockedError{Path: lp, PID: pid}
			}
			return nil, fmt.Errorf("cannot lock %s: %w", lp, err)
		}
		// The previous holder removes the file before it lets go: when
		// that happened between the open and the flock, this process
		// holds the lock of a file no other run can see. Start again.
		held, err1 := f.Stat()
		now, err2 := os.Stat(lp)
		if err1 != nil || err2 != nil || !os.SameFile(held, now) {
			f.Close()
			continue
		}
		if err := writeLockPID(f); err != nil {
			os.Remove(lp)
			f.Close()
			return nil, fmt.Errorf("cannot write the lock %s: %w", lp, err)
		}
		return func() {
			os.Remove(lp) // while still held: see above
			// Let go before the close: a child forked meanwhile (by a
			// program that runs this package) shares the descriptor
			// until it execs, and would hold the lock that long.
			syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
			f.Close()
		}, nil
	}
	return nil, fmt.Errorf("cannot lock %s: it keeps being replaced by other processes", lp)
}

func flock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// staleHint: the kernel lock cannot be stale, so there is nothing to add.
func staleHint(*LockedError) string { return "" }

// dirWritable tells whether this process may create files in dir.
func dirWritable(dir string) error {
	return syscall.Access(dir, 0x2) // W_OK
}
