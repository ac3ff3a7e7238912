package batch

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
)

// LockPath is the lock file beside path: a report (one import or resume
// at a time) or an incremental export's state file (one export at a
// time).
func LockPath(path string) string { return path + ".lock" }

// LockedError says that another process holds a lock: PID is the pid it
// wrote into the lock file (0 when it was not written yet).
type LockedError struct {
	Path string
	PID  int
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("%s is held by %s", e.Path, e.holder())
}

// holder names the process that holds the lock.
func (e *LockedError) holder() string {
	if e.PID <= 0 {
		return "another aivabatch process (its pid is not written yet)"
	}
	return fmt.Sprintf("another aivabatch process (pid %d)", e.PID)
}

// lockReport takes the lock of the report at path for an import or a
// resume: a second run on the same report refuses at once (*InputError)
// naming the pid of the first.
func lockReport(report string) (func(), error) {
	unlock, err := lockFile(LockPath(report))
	var le *LockedError
	if errors.As(err, &le) {
		return nil, &InputError{Err: &BusyError{Option: OptReport, Path: report, Lock: le}}
	}
	if err != nil {
		return nil, &InputError{Err: &FileError{Option: OptReport, Problem: FileLockFailed, Err: err}}
	}
	return unlock, nil
}

// readLockPID reads the pid a holder wrote into the lock file (0 if none).
func readLockPID(f *os.File) int {
	b := make([]byte, 32)
	n, err := f.ReadAt(b, 0)
	if err != nil && err != io.EOF {
		return 0
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b[:n])))
	if err != nil {
		return 0
	}
	return pid
}

// writeLockPID puts this process's pid into the lock file it holds, for
// the message of a run that finds it taken.
func writeLockPID(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return err
}
