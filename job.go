package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"aivabatch/batch"
	"aivabatch/formats"
)

// A job file is a command's flags in TOML: each key is a flag's name
// (report = "out.csv", workers = 8, ignore-unknown = true), a
// repeatable flag is a list or, for NAME=VALUE flags such as --map, a
// table ([map] "Lifetime Value" = "value"). It is applied through the
// command's own flag.FlagSet, before the command line is parsed, so
// that every flag can be set without a list to keep in step and a flag
// on the command line wins (a repeatable one adds to the file's: a
// --map of a column the file maps too replaces the file's). A few keys
// are tables that the command reads itself (command.tables: validate's
// and import's [values.FIELD], the --value maps, and [rules], which has
// no flag); --write-job gives them back in the same shape.

const (
	jobFlag      = "job"
	writeJobFlag = "write-job"
)

// jobFlags registers --job and, when write is set, --write-job.
func (c *command) jobFlags(write bool) {
	c.fs.String(jobFlag, "", "read flags from this TOML job file, e.g. --job migration.toml; flags on the command line win, and the token is never read from it")
	if write {
		c.fs.String(writeJobFlag, "", "write the flags given (with --job's, value maps and rules included) to this TOML job file, for import --job or validate --job")
	}
}

// applyJob sets the flags of the job file named by the last --job of
// the command line, if any, through c.fs.Set: the command line's flags,
// set after, override them.
func (c *command) applyJob(flags []flagArg) error {
	if c.fs.Lookup(jobFlag) == nil {
		return nil
	}
	path := ""
	for _, fa := range flags {
		if fa.name == jobFlag && fa.set {
			path = fa.value
		}
	}
	if path == "" {
		return nil
	}
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		// A pipe would be waited on, a directory misread.
		return usagef("--job %s is not a regular file; give the path of a TOML job file (aivabatch validate --write-job PATH writes one)", path)
	}
	var doc map[string]any
	text, err := readJobFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return usagef("--job %s does not exist; give the path of a TOML job file (aivabatch validate --write-job PATH writes one)", path)
		}
		return err
	}
	md, err := toml.Decode(text, &doc)
	if err != nil {
		var pe toml.ParseError
		switch {
		case errors.As(err, &pe):
			return usagef("--job %s: line %d: %s", path, pe.Position.Line, redactTokens(pe.Message))
		}
		return usagef("--job %s: %v", path, redactTokens(err.Error()))
	}
	// Each top-level key once, in file order: a table ([map]) and dotted
	// keys (map."Nm" = "name", reprot.x = 1) are set, or refused by name,
	// through their first part, like a plain key.
	done := map[string]bool{}
	for _, key := range md.Keys() {
		if done[key[0]] {
			continue
		}
		done[key[0]] = true
		if err := c.setJobKey(path, key[0], doc[key[0]]); err != nil {
			return err
		}
	}
	return nil
}

// maxJobBytes is the largest job file read: a job file is a few flags.
const maxJobBytes = 1 << 20

// readJobFile reads a job file through a size limit, refusing what is not
// a regular file: /dev/zero, /dev/urandom or a FIFO must not be read for
// ever (or wait for ever on a writer).
func readJobFile(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		return "", usagef("--job %s: %v", path, err)
	}
	if !st.Mode().IsRegular() {
		return "", usagef("--job %s is not a regular file (it is %s); give the path of a TOML job file", path, batch.FileKind(st.Mode()))
	}
	f, err := os.Open(path)
	if err != nil {
		return "", usagef("--job %s: %v", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxJobBytes+1))
	if err != nil {
		return "", usagef("--job %s: %v", path, err)
	}
	if len(data) > maxJobBytes {
		return "", usagef("--job %s is larger than %d KiB; a job file holds a command's flags, a few lines", path, maxJobBytes>>10)
	}
	return string(data), nil
}

// tokenKeyWords are what a key that would hold the token looks like.
var tokenKeyWords = []string{"token", "apikey", "secret", "password", "bearer", "authorization", "credential"}

// looksLikeTokenKey reports whether a job file key would hold a secret
// (token, api_token, api-key…); token-file, a path, is allowed.
func looksLikeTokenKey(key string) bool {
	k := strings.NewReplacer("-", "", "_", "", " ", "", ".", "").Replace(strings.ToLower(key))
	if k == "tokenfile" {
		return false
	}
	for _, w := range tokenKeyWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

const tokenHowTo = "the token is never read from a job file: set AIVA_TOKEN, or pass --token-file PATH (a file readable only by you)"

// setJobKey sets one top-level key of a job file.
func (c *command) setJobKey(path, key string, v any) error {
	if looksLikeTokenKey(key) {
		return usagef("--job %s: key %q looks like a token; %s", path, key, tokenHowTo)
	}
	if t, ok := c.tables[key]; ok {
		return t.set(path, v)
	}
	name := strings.ReplaceAll(key, "_", "-")
	if name == jobFlag || name == writeJobFlag {
		return usagef("--job %s: %s cannot be set in a job file; give it on the command line", path, key)
	}
	f := c.fs.Lookup(name)
	if f == nil {
		return usagef("--job %s: unknown key %q; the closest is %q (the keys are the flags of %s, see %s --help)", path, key, nearestFlag(c.fs, name), c.name(), c.name())
	}
	_, repeatable := f.Value.(*multiFlag)
	var vals []string
	switch v := v.(type) {
	case []any:
		if !repeatable {
			return usagef("--job %s: %s takes one value, not a list", path, key)
		}
		for _, e := range v {
			s, err := jobScalar(path, key, e)
			if err != nil {
				return err
			}
			vals = append(vals, s)
		}
	case map[string]any:
		if !repeatable {
			return usagef("--job %s: %s takes one value, not a table", path, key)
		}
		cols := make([]string, 0, len(v))
		for col := range v {
			cols = append(cols, col)
		}
		sort.Strings(cols)
		for _, col := range cols {
			s, err := jobScalar(path, key+"."+strconv.Quote(col), v[col])
			if err != nil {
				return err
			}
			if strings.Contains(col, "=") {
				return usagef("--job %s: [%s] %q: a name cannot hold '='", path, key, col)
			}
			vals = append(vals, col+"="+s)
		}
	default:
		s, err := jobScalar(path, key, v)
		if err != nil {
			return err
		}
		vals = append(vals, s)
	}
	for _, s := range vals {
		if err := c.fs.Set(name, s); err != nil {
			return usagef("--job %s: %s = %s: want %s", path, key, strconv.Quote(s), wantValue(f))
		}
	}
	return nil
}

// jobScalar is a job file value as a flag's text.
func jobScalar(path, key string, v any) (string, error) {
	switch v := v.(type) {
	case string:
		if looksLikeToken(v) {
			return "", usagef("--job %s: %s holds a value shaped like a token (not shown); %s", path, key, tokenHowTo)
		}
		return v, nil
	case bool:
		return strconv.FormatBool(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), nil
	case time.Time:
		return "", usagef("--job %s: %s: write the time as a quoted string, e.g. %s = \"2026-01-31\"", path, key, key)
	}
	return "", usagef("--job %s: %s: want a string, a number or true/false", path, key)
}

// wantValue says what a flag takes, for a job file value it refused.
func wantValue(f *flag.Flag) string {
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return "true or false"
	}
	switch arg, _ := flag.UnquoteUsage(f); arg {
	case "int":
		return "a whole number"
	case "float":
		return "a number"
	case "duration":
		return `a duration such as "500ms", "30s" or "2m"`
	}
	return "a valid value (" + dashed(f.Name) + ": " + f.Usage + ")"
}

// nearestFlag is the flag closest to name, however far (the job file
// error always names one); --job and --write-job are left out.
func nearestFlag(fs *flag.FlagSet, name string) string {
	var names []string
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name != jobFlag && f.Name != writeJobFlag {
			names = append(names, f.Name)
		}
	})
	return nearest(names, name, math.MaxInt)
}

// jobDoc is the job file of the flags set so far (command line and
// --job), without --job and --write-job.
func (c *command) jobDoc() (map[string]any, error) {
	doc := map[string]any{}
	var err error
	c.fs.Visit(func(f *flag.Flag) {
		if f.Name == jobFlag || f.Name == writeJobFlag || oneRunFlags[f.Name] || err != nil {
			return
		}
		if f.Name == valueFlag && c.tables[valuesKey] != nil {
			doc[valuesKey] = valuesDoc(*f.Value.(*multiFlag))
			return
		}
		if m, ok := f.Value.(*multiFlag); ok {
			table := map[string]string{}
			list := []string{}
			for _, e := range *m {
				if k, v, ok := strings.Cut(e, "="); ok && strings.TrimSpace(k) != "" {
					table[strings.TrimSpace(k)] = strings.TrimSpace(v)
				} else {
					list = append(list, e)
				}
			}
			if len(list) > 0 {
				doc[f.Name] = []string(*m)
			} else {
				doc[f.Name] = table
			}
			return
		}
		s := f.Value.String()
		if looksLikeToken(s) {
			err = usagef("--write-job: %s holds a value shaped like a token (not shown); it is not written to a job file, and %s", dashed(f.Name), tokenHowTo)
			return
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			doc[f.Name], _ = strconv.ParseBool(s)
			return
		}
		switch arg, _ := flag.UnquoteUsage(f); arg {
		case "int":
			if n, perr := strconv.ParseInt(s, 10, 64); perr == nil {
				doc[f.Name] = n
				return
			}
		case "float":
			if x, perr := strconv.ParseFloat(s, 64); perr == nil {
				doc[f.Name] = x
				return
			}
		}
		doc[f.Name] = s
	})
	for key, t := range c.tables {
		if v := t.doc(); v != nil {
			doc[key] = v
		}
	}
	return doc, err
}

// checkWriteJob refuses, before a run, a --write-job path that is one
// of the run's other files (the input above all).
func (c *command) checkWriteJob(paths ...batch.NamedPath) error {
	path := c.fs.Lookup(writeJobFlag).Value.String()
	if path == "" {
		return nil
	}
	if path == "-" {
		return usagef("--write-job needs a file path (the job file is written atomically, mode 0600)")
	}
	paths = append(append(paths, c.inputs("")...), batch.NamedPath{Name: "--write-job", Path: path, Flag: "--write-job"})
	if err := batch.CheckDistinct(paths...); err != nil {
		return err
	}
	return batch.CheckOutputs(paths...)
}

// inputs are the files a command reads besides its input: standard
// input when it is a file (a < redirect), the job file and the token
// file. No output may be one of them (CheckDistinct).
func (c *command) inputs(tokenFile string) []batch.NamedPath {
	var in []batch.NamedPath
	if p, ok := batch.StdinPath(c.stdio.In); ok {
		in = append(in, p)
	}
	if f := c.fs.Lookup(jobFlag); f != nil && f.Value.String() != "" {
		in = append(in, batch.NamedPath{Name: "the job file", Path: f.Value.String()})
	}
	if tokenFile != "" {
		in = append(in, batch.NamedPath{Name: "the token file", Path: tokenFile})
	}
	return in
}

// oneRunFlags are validate's flags that are about this one run, not the
// job: --write-job leaves them out, so that the import it suggests sends
// every row (not the first try's --limit) and writes its own report
// (not validate's). A job file may still set them by hand.
var oneRunFlags = map[string]bool{"limit": true, "skip": true, "list-sheets": true, "report": true, "summary-json": true}

// writeJob writes the job file of the flags given, if --write-job was,
// atomically and with mode 0600, and returns its path.
func (c *command) writeJob() (string, error) {
	path := c.fs.Lookup(writeJobFlag).Value.String()
	if path == "" {
		return "", nil
	}
	doc, err := c.jobDoc()
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# aivabatch job file, written by %s --write-job.\n# Run it with: aivabatch import --job %s FILE (flags on the command line win).\n# The token is never read from here: set AIVA_TOKEN or pass --token-file.\n\n", c.name(), path)
	enc := toml.NewEncoder(&buf)
	enc.Indent = ""
	if err := enc.Encode(doc); err != nil {
		return "", fmt.Errorf("--write-job %s: %w", path, err)
	}
	f, err := formats.CreateAtomic(path)
	if err != nil {
		return "", fmt.Errorf("--write-job: %w", err)
	}
	defer f.Abort()
	if _, err := f.Write(buf.Bytes()); err != nil {
		return "", fmt.Errorf("--write-job %s: %w", path, err)
	}
	if err := f.Commit(); err != nil {
		return "", fmt.Errorf("--write-job %s: %w", path, err)
	}
	return path, nil
}
