package batch

import (
	"os"
	"path/filepath"

	"aivabatch/formats"
)

// What survives what (package doc; README "Never a customer twice"): a file handed to the OS
// (write) survives a kill -9 of this process; only a file synced to the
// disk (fsync), and the directory entry that names it (fsync of the
// directory), survive a power cut or a kernel crash. The report, the run
// record (.runs) and the undo file are synced, file then directory,
// before the journal is removed: the journal is what --resume falls back
// on, so it may go only once what replaces it is on the disk.

// syncClose syncs f to the disk and closes it.
func syncClose(f *os.File) error {
	err := f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDirOf syncs the directory holding path, so that the file's name
// (its creation, a rename) survives a power cut. File systems that
// cannot sync a directory (EINVAL, ENOTSUP) are left as they are.
func syncDirOf(path string) error { return formats.SyncDir(filepath.Dir(path)) }
