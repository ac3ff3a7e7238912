package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	stdio "io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/schollz/progressbar/v3"

	"aivabatch/batch"
	"aivabatch/formats"
)

var errHelp = errors.New("help shown")

// command is one subcommand's flag set with its help text.
type command struct {
	fs      *flag.FlagSet
	io      *IO
	usage   string // first line: "aivabatch validate FILE [flags]"
	example string
	// aliases maps a long flag name to the short one it repeats
	// (output → o): help shows them on one line.
	aliases map[string]string
}

func newCommand(io *IO, name, usage, example string) *command {
	c := &command{fs: flag.NewFlagSet(name, flag.ContinueOnError), io: io, usage: usage, example: example}
	// The flag package's own messages and usage dump are replaced by
	// parse's: help goes to stdout, a mistake is one line on stderr.
	c.fs.SetOutput(stdio.Discard)
	c.fs.Usage = func() {}
	return c
}

// dashed is a flag's name as the user types it: -o, --sandbox.
func dashed(name string) string {
	if utf8.RuneCountInString(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// alias registers long as another name of the string flag short.
func (c *command) alias(p *string, long, short string) {
	c.fs.StringVar(p, long, c.fs.Lookup(short).DefValue, "same as "+dashed(short))
	if c.aliases == nil {
		c.aliases = map[string]string{}
	}
	c.aliases[long] = short
}

// printHelp writes the command's usage, flags and example to w.
func (c *command) printHelp(w stdio.Writer) {
	fmt.Fprintf(w, "Usage: %s\n\nFlags:\n", c.usage)
	longOf := map[string]string{}
	for long, short := range c.aliases {
		longOf[short] = long
	}
	c.fs.VisitAll(func(f *flag.Flag) {
		if _, ok := c.aliases[f.Name]; ok {
			return
		}
		arg, usage := flag.UnquoteUsage(f)
		if arg == "value" {
			arg = "string"
		}
		line := "  " + dashed(f.Name)
		if long, ok := longOf[f.Name]; ok {
			line += ", " + dashed(long)
		}
		if arg != "" {
			line += " " + arg
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "-" {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "%s\n      %s\n", line, usage)
	})
	fmt.Fprintf(w, "\nExample:\n%s\n", c.example)
}

// name is "aivabatch import".
func (c *command) name() string { return "aivabatch " + c.fs.Name() }

// parse parses flags that may come before or after the positional
// arguments (aivabatch validate FILE --map …), as users type them.
// --help prints the help to stdout and returns errHelp.
func (c *command) parse(args []string) ([]string, error) {
	c.presetLogFormat(args)
	if err := c.applyJob(args); err != nil {
		return nil, err
	}
	var pos []string
	for {
		if err := c.fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				c.printHelp(c.io.Out)
				return nil, errHelp
			}
			return nil, c.flagError(err)
		}
		rest := c.fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// flagError turns the flag package's error into one line that names the
// flag as the user types it and says what to do.
func (c *command) flagError(err error) error {
	msg := err.Error()
	hint := fmt.Sprintf("(%s --help lists the flags)", c.name())
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		name = strings.TrimPrefix(name, "-")
		if best := closestFlag(c.fs, name); best != "" {
			return usagef("unknown flag %s; did you mean %s? %s", dashed(name), dashed(best), hint)
		}
		return usagef("unknown flag %s %s", dashed(name), hint)
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return usagef("%s needs a value %s", dashed(strings.TrimPrefix(name, "-")), hint)
	}
	// invalid boolean value "maybe" for -dry-run: parse error
	if rest, ok := strings.CutPrefix(msg, "invalid boolean value "); ok {
		if val, name, ok := strings.Cut(rest, " for -"); ok {
			name, _, _ = strings.Cut(name, ":")
			return usagef("%s=%s: want true or false (or leave the value out) %s", dashed(name), strings.Trim(val, `"`), hint)
		}
	}
	// invalid value "x" for flag -workers: parse error
	if rest, ok := strings.CutPrefix(msg, "invalid value "); ok {
		if val, name, ok := strings.Cut(rest, " for flag -"); ok {
			name, reason, _ := strings.Cut(name, ": ")
			want := "a valid value"
			if reason != "" && reason != "parse error" && reason != "value out of range" {
				want = reason // the flag's own Value says what it takes
			}
			if f := c.fs.Lookup(name); f != nil {
				switch arg, _ := flag.UnquoteUsage(f); arg {
				case "int":
					want = "a whole number"
				case "float":
					want = "a number"
				case "duration":
					want = "a duration such as 500ms, 30s or 2m"
				}
			}
			return usagef("%s %s: want %s %s", dashed(name), val, want, hint)
		}
	}
	return usagef("%s %s", msg, hint)
}

// closestFlag is the defined flag nearest to name (see closestWord), or "".
func closestFlag(fs *flag.FlagSet, name string) string {
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	return closestWord(names, name)
}

// closestWord is the word nearest to w, at an edit distance of at most a
// third of its length (at least 2), or "".
func closestWord(words []string, w string) string {
	return nearest(words, w, max(2, utf8.RuneCountInString(w)/3)+1)
}

// nearest is the first of words at the least edit distance from w, if
// that is below limit, or "".
func nearest(words []string, w string, limit int) string {
	best, bestD := "", limit
	for _, c := range words {
		if d := formats.EditDistance(strings.ToLower(w), c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ", ") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

// inputFlags are the reading and mapping flags of validate and import.
type inputFlags struct {
	format, sheet, delimiter, encoding string
	headerRow                          int
	footerRows                         string
	maps                               multiFlag
	ignoreUnknown                      bool
	report, summaryJSON                string
	quiet, noProgress                  bool
	mode, match                        string
}

func (f *inputFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.format, "format", "", "input format: csv, tsv, xlsx or ndjson (default: from the file extension; required for stdin)")
	fs.StringVar(&f.sheet, "sheet", "", "XLSX sheet to read, matched ignoring case (default: the first sheet; a notice names the other sheets with data)")
	fs.StringVar(&f.delimiter, "delimiter", "", `CSV delimiter: one character, or "tab" (default: sniffed from the header among , ; tab |)`)
	fs.StringVar(&f.encoding, "encoding", "auto", "CSV encoding: auto, utf-8, windows-1252 or latin1 (auto falls back to windows-1252 when the file is not UTF-8)")
	fs.IntVar(&f.headerRow, "header-row", 0, "CSV line or XLSX sheet row that holds the header; the lines before it are left out (default: the first line, or for CSV the first line naming fields after a preamble of one-cell lines)")
	fs.StringVar(&f.footerRows, "footer-rows", "auto", `CSV lines at the end that are a footer, left out: a number (0: none), or "auto" for one-cell lines after a blank line`)
	fs.Var(&f.maps, "map", `rename a column: "Source Column=field", "Source Column=-" to ignore it, or "Phone,Mobile=phone" to take the first non-blank of several columns (repeatable)`)
	fs.BoolVar(&f.ignoreUnknown, "ignore-unknown", false, "ignore columns that match no customer field instead of stopping")
	fs.StringVar(&f.report, "report", "", "report path; its extension picks the format (default: <input dir>/<input stem>.report.<input ext>; validate: <stem>.validate.<ext>; with --sheet NAME: <stem>.NAME.report.<ext>)")
	fs.StringVar(&f.summaryJSON, "summary-json", "", "also write the summary as JSON to this path")
	fs.BoolVar(&f.quiet, "quiet", false, "print nothing but errors (no progress, no summary)")
	fs.BoolVar(&f.noProgress, "no-progress", false, "no progress bar")
	fs.StringVar(&f.mode, "mode", "upsert", "default action per row: create, update, upsert, delete or skip (an action column overrides it)")
	fs.StringVar(&f.match, "match", "email", `"email": rows without an id find their customer by email (a create whose email the tenant holds is refused); "none": every such row creates (for tenants that allow several customers per email)`)
}

func (f *inputFlags) config(path string, io *IO) (batch.InputConfig, error) {
	cfg := batch.InputConfig{Path: path, Stdin: io.In, Report: f.report,
		Outputs: []batch.NamedPath{{Name: "--summary-json", Path: f.summaryJSON, Flag: "--summary-json"}}}
	if err := checkPaths(path, f.report, f.format != ""); err != nil {
		return cfg, err
	}
	format, err := formats.ParseFormat(f.format)
	if err != nil {
		return cfg, usagef("--format: %v", err)
	}
	cfg.Reader.Format = format
	cfg.Reader.Sheet = f.sheet
	if f.headerRow < 0 {
		return cfg, usagef("--header-row %d: give the line number of the header, 1 or more", f.headerRow)
	}
	cfg.Reader.HeaderRow = f.headerRow
	switch n, err := strconv.Atoi(strings.TrimSpace(f.footerRows)); {
	case strings.EqualFold(strings.TrimSpace(f.footerRows), "auto"):
	case err != nil || n < 0:
		return cfg, usagef(`--footer-rows %q: give a number of lines (0 for none), or "auto"`, f.footerRows)
	case n == 0:
		cfg.Reader.FooterRows = -1
	default:
		cfg.Reader.FooterRows = n
	}
	switch d := f.delimiter; {
	case d == "":
	case strings.EqualFold(d, "tab") || d == `\t`:
		cfg.Reader.Delimiter = '\t'
	case utf8.RuneCountInString(d) == 1:
		cfg.Reader.Delimiter, _ = utf8.DecodeRuneInString(d)
	default:
		return cfg, usagef(`--delimiter %q: give one character, or "tab"`, d)
	}
	switch e := strings.ToLower(f.encoding); e {
	case "auto", "utf-8", "utf8", "windows-1252", "cp1252", "latin1", "iso-8859-1":
		cfg.Reader.Encoding = map[string]string{"utf8": "utf-8", "cp1252": "windows-1252", "iso-8859-1": "latin1"}[e]
		if cfg.Reader.Encoding == "" {
			cfg.Reader.Encoding = e
		}
	default:
		return cfg, usagef("--encoding %q: use auto, utf-8, windows-1252 or latin1", f.encoding)
	}
	if len(f.maps) > 0 {
		cfg.Map.Map = make(map[string]string, len(f.maps))
		for _, m := range f.maps {
			src, dst, ok := strings.Cut(m, "=")
			if !ok || strings.TrimSpace(src) == "" {
				return cfg, usagef(`--map %q: write "Source Column=field" or "Source Column=-"`, m)
			}
			cfg.Map.Map[strings.TrimSpace(src)] = strings.TrimSpace(dst)
		}
	}
	cfg.Map.IgnoreUnknown = f.ignoreUnknown
	mode, ok := batch.ParseAction(f.mode)
	if !ok {
		return cfg, usagef("--mode %q: use create, update, upsert, delete or skip", f.mode)
	}
	cfg.Mode = mode
	switch strings.ToLower(strings.TrimSpace(f.match)) {
	case "email", "":
		cfg.MatchEmail = true
	case "none":
	default:
		return cfg, usagef(`--match %q: use email (the default) or none`, f.match)
	}
	return cfg, nil
}

// reportExtensions are the extensions a report may have: its format
// follows its extension.
const reportExtensions = ".csv, .tsv, .xlsx, .ndjson or .jsonl (or .csv.gz, .tsv.gz, .ndjson.gz, .jsonl.gz)"

// checkPaths catches what the readers and writers would misreport: a
// directory given as the input, and a report whose extension picks no
// format (--format is the input's, so it is not the fix).
func checkPaths(input, report string, formatGiven bool) error {
	if input != "-" {
		if st, err := os.Stat(input); err == nil && st.IsDir() {
			return usagef("%s is a directory; give one file in it%s", input, filesIn(input))
		}
	}
	if report != "" {
		if st, err := os.Stat(report); err == nil && st.IsDir() {
			return usagef("--report %s is a directory; give a file path such as %s", report, filepath.Join(report, "report.csv"))
		}
		if _, err := formats.DetectFormat(report); err != nil {
			return usagef("--report %s: the report's format follows its extension; use %s", report, reportExtensions)
		}
		return nil
	}
	if input != "-" && formatGiven && filepath.Ext(input) != "" {
		if _, err := formats.DetectFormat(input); err != nil {
			return usagef("the default report is named after the input %s, whose extension %s picks no report format; pass --report PATH ending in %s", input, filepath.Ext(input), reportExtensions)
		}
	}
	return nil
}

// filesIn suggests up to three input files in dir: ", e.g. dir/a.csv".
func filesIn(dir string) string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	var names []string
	for _, e := range ents {
		if _, err := formats.DetectFormat(e.Name()); err == nil && !e.IsDir() && len(names) < 3 {
			names = append(names, filepath.Join(dir, e.Name()))
		}
	}
	if len(names) == 0 {
		return ""
	}
	return ", e.g. " + strings.Join(names, " or ")
}

// progress draws a bar on stderr when it is a terminal; elsewhere (a
// cron or CI log), and with --log-format json, it writes a progress line
// every --progress-every instead (startLines).
type progress struct {
	bar *progressbar.ProgressBar
	// bytes: set counts bytes read, and rows come from rowsDone.
	bytes bool
	// invalid and failed are the rows so far with those results; the
	// lines show those the command can have (importing: both;
	// validating: invalid; exporting: neither).
	rows, invalid, failed   atomic.Int64
	withInvalid, withFailed bool
	stop, stopped           chan struct{}
}

func newProgress(io *IO, quiet, off bool, total int64, desc string, bytes bool) *progress {
	if quiet || off {
		return &progress{}
	}
	if !io.ErrTTY || io.logger().isJSON() {
		p := &progress{bytes: bytes, withInvalid: desc != "exporting", withFailed: desc == "importing"}
		p.startLines(io, desc)
		return p
	}
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(io.ErrOut),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("rows"),
		progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionClearOnFinish(),
	}
	if bytes {
		opts = []progressbar.Option{
			progressbar.OptionSetWriter(io.ErrOut),
			progressbar.OptionSetDescription(desc),
			progressbar.OptionShowBytes(true),
			progressbar.OptionThrottle(100 * time.Millisecond),
			progressbar.OptionClearOnFinish(),
		}
	}
	return &progress{bar: progressbar.NewOptions64(total, opts...), bytes: bytes}
}

// set is the bar's position: rows done, or bytes read when bytes.
func (p *progress) set(n int64) {
	if p.bar != nil {
		p.bar.Set64(n)
	}
	if !p.bytes {
		p.rows.Store(n)
	}
}

// rowsDone is the number of rows done, for the progress lines.
func (p *progress) rowsDone(n int) { p.rows.Store(int64(n)) }

// problems takes the numbers of invalid and of failed rows so far.
func (p *progress) problems(invalid, failed int) {
	p.invalid.Store(int64(invalid))
	p.failed.Store(int64(failed))
}

// done clears the bar, or stops the progress lines (none is written
// after it returns, so none comes after the summary).
func (p *progress) done() {
	if p.bar != nil {
		p.bar.Finish()
	}
	if p.stop != nil {
		close(p.stop)
		<-p.stopped
		p.stop = nil
	}
}

func fileSize(path string) int64 {
	if path == "-" {
		return -1
	}
	st, err := os.Stat(path)
	if err != nil {
		return -1
	}
	return st.Size()
}

// printSummary writes the human summary to stderr, through the
// logger (in json, one record with the summary's fields). runErr is the
// run's error, if any: when it stopped the report part way (a full
// disk), the summary says so, and what to do.
func printSummary(io *IO, s *batch.Summary, runErr error) {
	lg := io.logger()
	if lg.isJSON() {
		lg.summaryJSON(s, runErr)
		return
	}
	var b strings.Builder
	w := &b
	cause := writeFailure(runErr)
	fmt.Fprintln(w, summaryLine(s, runErr))
	for _, warning := range s.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warning)
	}
	if s.Report != "" {
		if cause == "" {
			fmt.Fprintf(w, "report: %s\n", s.Report)
		} else {
			inReport := s.Rows
			if s.ReportRows > 0 {
				inReport = s.ReportRows
			}
			fmt.Fprintf(w, "report: %s is INCOMPLETE: writing stopped (%s), so it holds at most the first %d rows\n", s.Report, cause, inReport)
			switch jp := batch.JournalPath(s.Report); {
			case s.Command == "import" && fileExists(jp):
				fmt.Fprintf(w, "journal: %s keeps the confirmed results it could write: once that is fixed, run the same command again with --resume (a create not in it is looked up by email before it is sent again)\n", jp)
			default:
				fmt.Fprintf(w, "once that is fixed, run the same command again (%s changed nothing to keep)\n", s.Command)
			}
		}
	}
	if s.Output != "" {
		fmt.Fprintf(w, "output: %s\n", s.Output)
	}
	if len(s.FirstErrors) > 0 {
		fmt.Fprintln(w, "first problems:")
		for _, e := range s.FirstErrors {
			fmt.Fprintf(w, "  %s\n", e)
		}
		if n := s.Problems() - s.Counts[batch.ResultNotAttempted]; n > len(s.FirstErrors) {
			fmt.Fprintf(w, "  … and %d more rows; see the report\n", n-len(s.FirstErrors))
		}
	}
	// Why a run stopped comes last, as the "aivabatch: …" error line.
	lg.print(slog.LevelInfo, b.String(), "")
}

// summaryLine is the summary's first line: "import: 3 rows: 2 created,
// 1 failed in 1.2s (2 rows/s)".
func summaryLine(s *batch.Summary, runErr error) string {
	keys := make([]string, 0, len(s.Counts))
	for r := range s.Counts {
		keys = append(keys, string(r))
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d %s", s.Counts[batch.Result(k)], k))
	}
	counts := strings.Join(parts, ", ")
	if counts == "" {
		counts = "no rows"
	}
	rows := fmt.Sprintf("%d rows", s.Rows)
	if writeFailure(runErr) != "" {
		rows = fmt.Sprintf("stopped part way: %d rows before writing failed", s.Rows)
		if s.ReportRows > 0 {
			rows = fmt.Sprintf("stopped part way when writing failed: %d rows", s.Rows)
		}
	}
	rate := ""
	if done := s.Rows - s.Counts[batch.ResultNotAttempted]; done > 0 && s.Elapsed > 0 {
		rate = fmt.Sprintf(" (%.0f rows/s)", float64(done)/s.Elapsed.Seconds())
	}
	return fmt.Sprintf("%s: %s: %s in %s%s", s.Command, rows, counts, s.Elapsed.Round(time.Millisecond), rate)
}

// writeFailure is the cause, in a few words, of a run that stopped
// because a file could not be written (a full disk, an I/O error); ""
// for every other outcome (finished, aborted, interrupted, bad input).
func writeFailure(err error) string {
	if err == nil || batch.IsAborted(err) || batch.IsInputError(err) || batch.IsReadError(err) || errors.Is(err, context.Canceled) || errors.Is(err, errInterrupted) {
		return ""
	}
	cause := err
	for u := errors.Unwrap(cause); u != nil; u = errors.Unwrap(cause) {
		cause = u
	}
	return cause.Error()
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func writeSummaryJSON(path string, s *batch.Summary) error {
	if path == "" || s == nil {
		return nil
	}
	var b bytes.Buffer
	if err := s.WriteJSON(&b); err != nil {
		return fmt.Errorf("--summary-json: %w", err)
	}
	f, err := formats.CreateAtomic(path)
	if err != nil {
		return fmt.Errorf("--summary-json: %w", err)
	}
	defer f.Abort()
	// Token-shaped words (a token pasted into a cell, echoed by an
	// error) are hidden here as on stderr.
	if _, err := f.Write([]byte(redactTokens(b.String()))); err != nil {
		return fmt.Errorf("--summary-json: %w", err)
	}
	return f.Commit()
}

func isXLSX(path string) bool { return strings.EqualFold(filepath.Ext(path), ".xlsx") }

// countDataLines counts the lines of a text file after the header, or -1
// when it cannot be read. It reads at memory speed, once, before a run.
func countDataLines(path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return -1
	}
	defer f.Close()
	buf := make([]byte, 256<<10)
	var n int64
	last := byte('\n')
	for {
		m, err := f.Read(buf)
		if m > 0 {
			n += int64(bytes.Count(buf[:m], []byte{'\n'}))
			last = buf[m-1]
		}
		if err != nil {
			break
		}
	}
	if last != '\n' {
		n++
	}
	return max(n-1, 1)
}
