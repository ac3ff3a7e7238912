package formats

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// AtomicFile writes a file that appears at its path only when complete:
// the data goes to a temporary file (mode 0600) in the same directory,
// renamed into place by Commit. A failed or interrupted export therefore
// never leaves a truncated file, and the previous file survives. It is
// single-goroutine code.
type AtomicFile struct {
	path string
	f    *os.File
	bw   *bufio.Writer
	done bool
}

// CreateAtomic starts an atomic write of path. The directory must exist
// and be writable. Call Commit to put the file in place; defer Abort to
// clean up on every other path (Abort after Commit does nothing).
func CreateAtomic(path string) (*AtomicFile, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		// The message names the file the user asked for, never the
		// temporary name, which means nothing to them.
		cause, dir := err, filepath.Clean(dir)
		var pe *os.PathError
		if errors.As(err, &pe) {
			cause = pe.Err
		}
		switch {
		case errors.Is(err, os.ErrNotExist):
			return nil, fmt.Errorf("cannot write %s: the directory %s does not exist; create it or give another path: %w", path, dir, os.ErrNotExist)
		case errors.Is(err, os.ErrPermission):
			return nil, fmt.Errorf("cannot write %s: no permission to create files in the directory %s; give another path: %w", path, dir, os.ErrPermission)
		}
		return nil, fmt.Errorf("cannot write %s: cannot create a file in the directory %s: %v", path, dir, cause)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &AtomicFile{path: path, f: f, bw: bufio.NewWriterSize(f, 64<<10)}, nil
}

// Write buffers p for the temporary file.
func (a *AtomicFile) Write(p []byte) (int, error) {
	if a.done {
		return 0, os.ErrClosed
	}
	return a.bw.Write(p)
}

// Commit flushes and syncs the temporary file, closes it, renames it over
// path and syncs the directory so that the rename survives a crash. On
// failure the temporary file is removed and path is left as it was.
func (a *AtomicFile) Commit() error {
	if a.done {
		return os.ErrClosed
	}
	a.done = true
	name := a.f.Name()
	err := a.bw.Flush()
	if err == nil {
		err = a.f.Sync()
	}
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(name, a.path)
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("cannot write %s: %w", a.path, err)
	}
	return SyncDir(filepath.Dir(a.path))
}

// Abort closes and removes the temporary file, leaving path untouched. It
// does nothing after Commit or a previous Abort, so it is safe to defer.
func (a *AtomicFile) Abort() error {
	if a.done {
		return nil
	}
	a.done = true
	name := a.f.Name()
	cerr := a.f.Close()
	if err := os.Remove(name); err != nil {
		return err
	}
	return cerr
}

// SyncDir syncs the directory dir, so that the names in it survive a
// power cut; file systems that cannot sync a directory are let be.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return fmt.Errorf("cannot sync %s: %w", dir, err)
	}
	return nil
}

// CreateFile creates or truncates path for writing with mode 0600 (the
// files this tool writes hold personal data), tightening the mode of a
// file that already existed.
func CreateFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
