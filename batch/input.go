package batch

import (
	"aivabatch/batch/customer"
	"aivabatch/formats"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
)

// InputConfig says which file to read and how (shared by validate and
// import).
type InputConfig struct {
	// Path of the input file, or "-" for Stdin.
	Path   string
	Stdin  io.Reader
	Reader formats.ReaderOptions
	Map    customer.MapOptions
	// Report is the report path; "" means DefaultReportPath(Path,
	// ReportSheet()).
	Report string
	// OptionName, when set, names an option in the sentences this
	// package writes for the caller to show as they are: the report's
	// _error cells and the notices (the command line gives its flags,
	// "--resume"). Without it an option is named in words (its String).
	OptionName func(Option) string
	// Mode is the default action (--mode); "" means upsert.
	Mode customer.Action
	// MatchEmail is --match email.
	MatchEmail bool
	// Values and Rules are the value maps and the tenant's rules, applied
	// by the row validator alike in validate and import.
	Values customer.ValueMaps
	Rules  *customer.Rules
	// OnRow, when set, is called from the report goroutine after each row
	// is reported, with the number of rows done.
	OnRow func(done int)
	// OnProblem, when set, is called like OnRow after each row that
	// ended badly (invalid or failed; not not_attempted), with the
	// numbers of invalid rows (the file's fault: fix the row) and of
	// failed rows (the API refused or did not answer) so far: progress
	// lines show both, never one under the other's name.
	OnProblem func(invalid, failed int)
	// Outputs are the caller's other files (--summary-json): none may be
	// the input, the report or one another (CheckDistinct).
	Outputs []NamedPath
	// Inputs are the other files the run reads (standard input when it
	// is a file, the token file, the job file): no output may be one.
	Inputs []NamedPath
	// Skip leaves out the first Skip data rows and Limit (0 = no limit)
	// takes at most that many after them (--skip, --limit): a first try
	// on a few rows. Import reports the rows left out as not_attempted,
	// so that a --resume without them finishes the file; validate leaves
	// them out of its report and counts them in Summary.LeftOut.
	Skip, Limit int

	// special is the pipe a named pipe or device input is read through
	// (openSpecial), or nil.
	special io.Reader
}

// window says why the data row at index seq (0-based, in file order) is
// left out by --skip or --limit, and by which, or "" when it is taken.
func (c *InputConfig) window(seq int) (string, Option) {
	switch {
	case seq < c.Skip:
		return fmt.Sprintf("before %s %d", c.option(OptSkip), c.Skip), OptSkip
	case c.Limit > 0 && seq >= c.Skip+c.Limit:
		return fmt.Sprintf("beyond %s %d", c.option(OptLimit), c.Limit), OptLimit
	}
	return "", 0
}

// option names o in a sentence for the caller to show (OptionName).
func (c *InputConfig) option(o Option) string {
	if c.OptionName != nil {
		return c.OptionName(o)
	}
	return o.String()
}

// validatorOptions are the options of the row validator of validate and
// import: one code path checks a row for both.
func (cfg *InputConfig) validatorOptions() customer.ValidatorOptions {
	return customer.ValidatorOptions{Mode: cfg.Mode, MatchEmail: cfg.MatchEmail, JSON: cfg.isJSON(), Workbook: cfg.isXLSX(),
		Values: cfg.Values, Rules: cfg.Rules, OptionName: cfg.Map.OptionName}
}

// reportReader are the options that read back a report of the run: the
// defaults, with the caller's names of options in messages.
func (cfg *InputConfig) reportReader() formats.ReaderOptions {
	return formats.ReaderOptions{OptionName: cfg.Reader.OptionName}
}

// unusedValueMaps are the warnings of value maps of fields that no
// column of the input feeds: they change nothing (a --map is missing).
func (cfg *InputConfig) unusedValueMaps(m *customer.Mapping) []string {
	var out []string
	t := cfg.Values.Table()
	for _, f := range customer.Fields {
		if _, ok := t[f]; ok && !m.Has(f) {
			out = append(out, fmt.Sprintf("the value map of %s changes nothing: no column of the input is read as %s", f, f))
		}
	}
	return out
}

// isJSON tells an NDJSON input, by --format or the file's extension.
func (cfg *InputConfig) isJSON() bool { return cfg.format() == formats.FormatNDJSON }

// isXLSX tells an XLSX input, by --format or the file's extension.
func (cfg *InputConfig) isXLSX() bool { return cfg.format() == formats.FormatXLSX }

// ReportSheet is the sheet whose name goes into a default report path:
// --sheet of a workbook, as the workbook spells it (--sheet is matched
// ignoring case, and "sheet2" and "Sheet2" are one sheet with one report),
// or "" for the first sheet and for text formats.
func (cfg *InputConfig) ReportSheet() string {
	if cfg.Reader.Sheet == "" || strings.TrimSpace(cfg.Reader.Sheet) == "" || !cfg.isXLSX() {
		return ""
	}
	if cfg.Path == "-" {
		return strings.TrimSpace(cfg.Reader.Sheet)
	}
	return formats.SheetName(cfg.Path, cfg.Reader.Sheet)
}

// format is the input's format, by --format or the file's extension.
func (cfg *InputConfig) format() string {
	f, _ := formats.ParseFormat(cfg.Reader.Format)
	if f == "" && cfg.Path != "-" {
		f, _ = formats.DetectFormat(cfg.Path)
	}
	return f
}

// reportProblem calls OnProblem after a row with result r was added to
// sum, when r is a problem.
func (cfg *InputConfig) reportProblem(sum *Summary, r Result) {
	if cfg.OnProblem != nil && !r.Good() && r != ResultNotAttempted {
		cfg.OnProblem(sum.Counts[ResultInvalid], sum.Counts[ResultFailed])
	}
}

type input struct {
	r      formats.RowReader
	m      *customer.Mapping
	report string
}

// openInput opens the reader, maps the header and settles the report path.
// Every error is an *InputError.
func openInput(cfg *InputConfig) (*input, error) {
	var (
		r   formats.RowReader
		err error
	)
	// The readers know no customer field: the customer vocabulary tells
	// them the header names (a CSV preamble ends at one) and the phone
	// columns (an XLSX phone stored as a number is warned about).
	opts := cfg.Reader
	if opts.KnownColumn == nil {
		opts.KnownColumn = customer.KnownColumn
	}
	if opts.TextColumn == nil {
		opts.TextColumn = customer.TextColumn
	}
	switch {
	case cfg.Path == "-":
		if opts.Format == "" {
			return nil, &InputError{Err: &NeedsOptionError{Option: OptFormat, What: "reading from stdin"}}
		}
		r, err = formats.NewReader(cfg.Stdin, opts)
	case cfg.special != nil:
		if opts.Format == "" {
			if opts.Format, err = formats.DetectFormat(cfg.Path); err != nil {
				return nil, &InputError{Err: err}
			}
		}
		r, err = formats.NewReader(cfg.Stdin, opts)
	default:
		r, err = formats.OpenReader(cfg.Path, opts)
	}
	if err != nil {
		return nil, &InputError{Err: err}
	}
	mapOpts := cfg.Map
	if mapOpts.Warn == nil {
		mapOpts.Warn = cfg.Reader.Warn
	}
	m, r2, err := customer.MapReader(r, mapOpts)
	if err != nil {
		r.Close()
		return nil, &InputError{Err: err}
	}
	r = r2 // gives back the rows MapReader looked at
	report := cfg.Report
	if report == "" {
		report = DefaultReportPath(cfg.Path, cfg.ReportSheet())
	}
	if err := checkInputPaths(cfg, report); err != nil {
		r.Close()
		return nil, err
	}
	return &input{r: r, m: m, report: report}, nil
}

// closeStdinOn makes a read of standard input (when it is the input)
// end as soon as ctx is done: a read blocked on a pipe or a terminal that
// sends nothing would otherwise keep the run from seeing Ctrl-C or
// SIGTERM, and closing os.Stdin does not wake a blocked read. The input
// is read through a pipe fed by a goroutine; cancelling ctx closes the
// pipe, and the goroutine, if still blocked on stdin, ends with the
// process. It returns the function that ends the watch.
func (cfg *InputConfig) closeStdinOn(ctx context.Context) func() {
	if cfg.Path != "-" && cfg.special == nil || cfg.Stdin == nil {
		return func() {}
	}
	pr, pw := io.Pipe()
	src := cfg.Stdin
	go func() {
		_, err := io.Copy(pw, src)
		pw.CloseWithError(err)
	}()
	cfg.Stdin = pr
	stop := context.AfterFunc(ctx, func() { pr.CloseWithError(context.Cause(ctx)) })
	return func() {
		stop()
		pr.Close()
	}
}

// openSpecial makes a named pipe or a device given as the input read
// like stdin: opened and copied by a goroutine into a pipe that
// closeStdinOn closes when ctx ends. Opening a named pipe blocks until a
// writer comes, and a blocked open or read cannot be cancelled; through
// the pipe, Ctrl-C and SIGTERM still end the run at once.
func (cfg *InputConfig) openSpecial() {
	if cfg.Path == "-" || cfg.special != nil || formats.IsGzip(cfg.Path) {
		return
	}
	fi, err := os.Stat(cfg.Path)
	if err != nil || fi.Mode().IsRegular() || fi.IsDir() {
		return
	}
	pr, pw := io.Pipe()
	go func() {
		f, err := os.Open(cfg.Path)
		if err == nil {
			_, err = io.Copy(pw, f)
			f.Close()
		}
		pw.CloseWithError(err)
	}()
	cfg.special, cfg.Stdin = pr, pr
}

// openInputCtx is openInput for a run under ctx: a read of stdin ends
// when ctx does (closeStdinOn), and an open that fails because of that
// returns ctx's error. release closes the reader and ends the watch.
func openInputCtx(ctx context.Context, cfg *InputConfig) (in *input, release func(), err error) {
	cfg.openSpecial()
	stop := cfg.closeStdinOn(ctx)
	in, err = openInput(cfg)
	if err != nil {
		stop()
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, err
	}
	return in, func() { in.r.Close(); stop() }, nil
}
