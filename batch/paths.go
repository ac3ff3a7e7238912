package batch

import (
	"os"
	"path/filepath"
)

// NamedPath is a file a run reads or writes, for CheckDistinct: Name is
// what the user knows it by ("the input", "--report", "the journal"),
// Flag the option that moves it ("--report" for the journal too; "" for
// the input).
type NamedPath struct {
	Name, Path, Flag string
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
		if p.Path != "" && p.Path != "-" {
			files = append(files, p)
		}
	}
	for i := range files {
		for j := i + 1; j < len(files); j++ {
			a, b := files[i], files[j]
			if !SameFile(a.Path, b.Path) {
				continue
			}
			fix := b.Flag
			if fix == "" {
				a, b = b, a
				fix = b.Flag
			}
			if a.Flag == "" {
				return inputErr("%s %s is the same file as %s %s: writing it would overwrite %s; give %s another path", b.Name, b.Path, a.Name, a.Path, a.Name, fix)
			}
			return inputErr("%s %s and %s %s are the same file: one would overwrite the other; give %s another path", a.Name, a.Path, b.Name, b.Path, fix)
		}
	}
	return nil
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

// checkImportPaths is CheckDistinct over every file an import reads or
// writes, once the report path is settled.
func checkImportPaths(cfg *ImportConfig, report string) error {
	paths := []NamedPath{{"the input", cfg.Path, ""}, {"the report", report, "--report"},
		{"the journal", JournalPath(report), "--report"}, {"the run record", RunsPath(report), "--report"},
		{"the report's lock", LockPath(report), "--report"},
		{"--undo", cfg.Undo, "--undo"}}
	return CheckDistinct(append(paths, cfg.Outputs...)...)
}

// checkInputPaths is CheckDistinct over the input, the report and the
// caller's other outputs (validate; import adds more in checkImportPaths).
func checkInputPaths(cfg *InputConfig, report string) error {
	return CheckDistinct(append([]NamedPath{{"the input", cfg.Path, ""}, {"the report", report, "--report"}}, cfg.Outputs...)...)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
