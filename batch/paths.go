package batch

import (
	"errors"
	"os"
	"path/filepath"
)

// NamedPath is a file a run reads or writes, for CheckDistinct: Name is
// what the user knows it by ("the input", "--summary-json", "the
// journal"), Flag the caller's word for the option that moves it, or
// Option, for the files this package names (the report: the journal
// too, the undo file, export's output), which the caller words. A file
// the run reads (the input, the token file, the job file) has neither.
// Info, when set, is the file itself for an input that has no path
// (standard input redirected from a file).
type NamedPath struct {
	Name, Path, Flag string
	Option           Option
	Info             os.FileInfo
	// Direct: the output may be a device or a named pipe, written in
	// place (export's -o); CheckOutputs refuses those otherwise.
	Direct bool
}

// written reports whether the run writes the file.
func (p NamedPath) written() bool { return p.Flag != "" || p.Option != 0 }

// label is how a message names the file: "the report r.csv", "standard
// input".
func (p NamedPath) label() string {
	if p.Path == "" || p.Path == "-" {
		return p.Name
	}
	return p.Name + " " + p.Path
}

// StdinPath is standard input as an input of CheckDistinct when it is a
// regular file (a < redirect): an output that is that file would destroy
// what is being read. Otherwise (a terminal, a pipe) ok is false.
func StdinPath(stdin any) (p NamedPath, ok bool) {
	f, isFile := stdin.(*os.File)
	if !isFile || f == nil {
		return p, false
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return p, false
	}
	return NamedPath{Name: "standard input", Info: fi}, true
}

// CheckDistinct returns an *InputError naming both paths when two of
// paths are the same file under different names: the same string,
// "./x" and "x", a symlink and its target, two hardlinks. Writing one
// would destroy the other (a report written over its input loses the
// input). Empty paths and "-" (stdin, stdout) are not files and are left
// out. The first path is usually the input; every pair is compared.
func CheckDistinct(paths ...NamedPath) error {
	var files []NamedPath
	for _, p := range paths {
		if p.Info != nil || p.Path != "" && p.Path != "-" {
			files = append(files, p)
		}
	}
	for i := range files {
		for j := i + 1; j < len(files); j++ {
			a, b := files[i], files[j]
			if !a.written() && !b.written() {
				continue // two files read: no harm
			}
			if !sameNamed(a, b) {
				continue
			}
			if !b.written() {
				a, b = b, a
			}
			if !a.written() {
				return &InputError{Err: &PathError{Problem: PathOverwritesInput, Path: b, Other: a}}
			}
			return &InputError{Err: &PathError{Problem: PathSameOutput, Path: b, Other: a}}
		}
	}
	return nil
}

// sameNamed is SameFile, also for a file known only by its FileInfo.
func sameNamed(a, b NamedPath) bool {
	if a.Info == nil && b.Info == nil {
		return SameFile(a.Path, b.Path)
	}
	ia, ib := a.Info, b.Info
	var err error
	if ia == nil {
		ia, err = os.Stat(followDangling(a.Path))
	}
	if ib == nil && err == nil {
		ib, err = os.Stat(followDangling(b.Path))
	}
	return err == nil && os.SameFile(ia, ib)
}

// CheckOutputs refuses, before any request, an output the run could
// not write or should not: one that is a directory, a device or a named
// pipe (writing the report into a pipe nobody reads would wait forever;
// a rename would replace it), or whose directory is missing or not
// writable. Inputs (Flag "") and stdout ("-") are left out; export's -o,
// which may be a device or a pipe, is marked Direct.
func CheckOutputs(paths ...NamedPath) error {
	for _, p := range paths {
		if !p.written() || p.Path == "" || p.Path == "-" {
			continue
		}
		if err := checkOutput(p, p.Direct); err != nil {
			return err
		}
	}
	return nil
}

// checkOutput is CheckOutputs for one path; devices (and named pipes)
// are allowed when direct.
func checkOutput(p NamedPath, direct bool) error {
	st, err := os.Stat(p.Path)
	switch {
	case err == nil && st.IsDir():
		return &InputError{Err: &PathError{Problem: PathIsDir, Path: p}}
	case err == nil && !st.Mode().IsRegular():
		if direct {
			return nil
		}
		return &InputError{Err: &PathError{Problem: PathNotRegular, Path: p, Kind: FileKind(st.Mode())}}
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return &InputError{Err: &PathError{Problem: PathUnusable, Path: p, Err: err}}
	}
	dir := filepath.Dir(p.Path)
	ds, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return &InputError{Err: &PathError{Problem: PathNoDir, Path: p, Dir: dir}}
	case err != nil:
		return &InputError{Err: &PathError{Problem: PathUnusable, Path: p, Err: err}}
	case !ds.IsDir():
		return &InputError{Err: &PathError{Problem: PathDirNotDir, Path: p, Dir: dir}}
	}
	if err := dirWritable(dir); err != nil {
		return &InputError{Err: &PathError{Problem: PathDirUnwritable, Path: p, Dir: dir, Err: err}}
	}
	return nil
}

// FileKind names what a file that is not regular is, with its article
// ("a named pipe"), for a message.
func FileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a device"
	case m&os.ModeSocket != 0:
		return "a socket"
	}
	return "not a regular file"
}

// SameFile reports whether a and b name the same file. Existing files are
// compared by identity (os.SameFile after following symlinks, so a
// symlink or a hardlink is caught). A file not yet created is the same
// as another when both would be created in the same directory (compared
// by identity too) under the same base name; a dangling symlink counts as
// the path it points to.
func SameFile(a, b string) bool {
	a, b = followDangling(a), followDangling(b)
	sa, erra := os.Stat(a)
	sb, errb := os.Stat(b)
	switch {
	case erra == nil && errb == nil:
		return os.SameFile(sa, sb)
	case erra == nil || errb == nil:
		// One exists and the other would be created: two files.
		return false
	}
	if filepath.Base(a) != filepath.Base(b) {
		return false
	}
	da, erra := os.Stat(filepath.Dir(a))
	db, errb := os.Stat(filepath.Dir(b))
	if erra == nil && errb == nil {
		return os.SameFile(da, db)
	}
	aa, erra := filepath.Abs(a)
	bb, errb := filepath.Abs(b)
	return erra == nil && errb == nil && aa == bb
}

// followDangling resolves p while it is a symlink whose target does not
// exist (writing p creates the target); other paths are returned as
// they are.
func followDangling(p string) string {
	for range 40 {
		if _, err := os.Stat(p); err == nil {
			return p
		}
		fi, err := os.Lstat(p)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			return p
		}
		t, err := os.Readlink(p)
		if err != nil {
			return p
		}
		if !filepath.IsAbs(t) {
			t = filepath.Join(filepath.Dir(p), t)
		}
		p = t
	}
	return p
}

// checkImportPaths is CheckDistinct and CheckOutputs over every file an
// import reads or writes, once the report path is settled.
func checkImportPaths(cfg *ImportConfig, report string) error {
	paths := []NamedPath{{Name: "the input", Path: cfg.Path}, {Name: "the report", Path: report, Option: OptReport},
		{Name: "the journal", Path: JournalPath(report), Option: OptReport}, {Name: "the run record", Path: RunsPath(report), Option: OptReport},
		{Name: "the report's lock", Path: LockPath(report), Option: OptReport},
		{Name: "the undo file", Path: cfg.Undo, Option: OptUndo}}
	paths = append(append(paths, cfg.Outputs...), cfg.Inputs...)
	if err := CheckDistinct(paths...); err != nil {
		return err
	}
	return CheckOutputs(paths...)
}

// checkInputPaths is CheckDistinct and CheckOutputs over the input, the
// report and the caller's other files (validate; import adds more in
// checkImportPaths).
func checkInputPaths(cfg *InputConfig, report string) error {
	paths := append([]NamedPath{{Name: "the input", Path: cfg.Path}, {Name: "the report", Path: report, Option: OptReport}}, cfg.Outputs...)
	paths = append(paths, cfg.Inputs...)
	if err := CheckDistinct(paths...); err != nil {
		return err
	}
	return CheckOutputs(paths...)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// isDirect tells an output written in place rather than replaced: one
// that exists and is a device or a named pipe (-o /dev/null, a FIFO).
func isDirect(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir() && !st.Mode().IsRegular()
}
