package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"aivabatch/batch"
	"aivabatch/formats"
)

const validateExample = `  aivabatch validate samples/crm-export.xlsx --map "Lifetime Value=value" --map "Customer Since=-"
  Reads and checks every row offline (no token, no network) and writes samples/crm-export.validate.xlsx
  with _result valid or invalid and, for invalid rows, every problem by column.
  aivabatch validate samples/crm-export.xlsx --map "Lifetime Value=value" --map "Customer Since=-" --write-job crm.toml
  Keeps the flags that worked in crm.toml: aivabatch import --job crm.toml samples/crm-export.xlsx runs with them.
  aivabatch validate --job crm.toml samples/crm-export.xlsx --log-format json   (every stderr line one JSON object)
  aivabatch validate samples/customers.csv --skip 2 --limit 3    (checks data rows 3 to 5 only)
  aivabatch validate --list-sheets samples/crm-export.xlsx    (the sheets and their rows, for --sheet)`

// validateOptions is what the validate command's flags say (the flags →
// options layer; see cmd_options_test.go).
type validateOptions struct {
	cfg        batch.InputConfig
	in         inputFlags
	cmd        *command // for --write-job after the run
	path       string
	report     string // the report's path, given or not
	listSheets bool
}

func runValidate(ctx context.Context, cmd *Command, stdio *IO, args []string) (*batch.Summary, error) {
	o, err := parseValidate(cmd, args, stdio)
	if err != nil {
		return nil, err
	}
	if o.listSheets {
		return nil, printSheets(stdio, o.path)
	}
	stdio.tune(streamTuning(o.xlsx()))
	return o.run(ctx, stdio)
}

// xlsx reports whether the run reads or writes XLSX (see streamTuning).
func (o *validateOptions) xlsx() bool {
	return o.cfg.Reader.Format == formats.FormatXLSX || isXLSX(o.path) || isXLSX(o.report)
}

// parseValidate reads the validate command's flags into options; it
// reads no file.
func parseValidate(cmd *Command, args []string, stdio *IO) (*validateOptions, error) {
	var f inputFlags
	var win windowFlags
	var listSheets bool
	var overwrite multiFlag
	c := cmd.flags(stdio)
	f.register(c.fs)
	f.registerControls(c)
	win.register(c.fs, "validate")
	c.fs.BoolVar(&listSheets, "list-sheets", false, "print the sheets of an XLSX workbook with their row counts (one a line, on stdout) and stop: which one to give --sheet")
	registerOverwrite(c.fs, &overwrite, true)
	c.jobFlags(true)
	c.logFlags()
	pos, err := c.parse(args)
	if err != nil {
		return nil, err
	}
	if _, err := overwrites(overwrite); err != nil {
		return nil, err
	}
	if len(pos) != 1 {
		return nil, usagef("validate needs exactly one FILE (or - for stdin with --format); see aivabatch validate --help")
	}
	if listSheets {
		return &validateOptions{path: pos[0], listSheets: true}, nil
	}
	in, err := f.config(pos[0], stdio)
	if err != nil {
		return nil, err
	}
	in.Inputs = c.inputs("")
	report := in.Report
	if report == "" {
		report = batch.DefaultValidateReportPath(in.Path, in.ReportSheet())
	}
	if err := win.apply(&in); err != nil {
		return nil, err
	}
	if err := c.checkWriteJob(batch.NamedPath{Name: "the input", Path: in.Path}, batch.NamedPath{Name: "the report", Path: report, Flag: "--report"}, in.Outputs[0]); err != nil {
		return nil, err
	}
	stdio.setNotice(signalNotice{
		first:  "interrupted; stopping, then closing the report (press Ctrl-C again to stop at once)",
		second: "stopped at once; the report is incomplete (validate keeps no journal): run validate again",
	})
	return &validateOptions{cfg: in, in: f, cmd: c, path: pos[0], report: report}, nil
}

// run validates the file as the options say.
func (o *validateOptions) run(ctx context.Context, stdio *IO) (*batch.Summary, error) {
	in, f, c, pos := o.cfg, o.in, o.cmd, []string{o.path}
	var warnings readerWarnings
	in.Reader.Warn = warnings.add
	// Rows, not bytes, where the file's size says nothing of the text
	// read (XLSX, gzip).
	byRows := isXLSX(pos[0]) || in.Reader.Format == "xlsx" || formats.IsGzip(pos[0])
	bar := newProgress(stdio, f.quiet, f.noProgress, fileSize(pos[0]), "validating", !byRows)
	if byRows {
		in.OnRow = func(n int) { bar.set(int64(n)) }
	} else {
		in.Reader.Progress = bar.set
		in.OnRow = bar.rowsDone
	}
	in.OnProblem = bar.problems
	sum, err := batch.Validate(ctx, batch.ValidateConfig{InputConfig: in})
	bar.done()
	warnings.attach(stdio, sum, f.quiet)
	if sum != nil {
		if !f.quiet {
			printSummary(stdio, sum, err)
			printLeftOut(stdio, sum)
			if !stdio.jsonLogs() {
				var b strings.Builder
				if printInvalidValues(&b, sum, in.Rules); b.Len() > 0 {
					stdio.log().Info(strings.TrimSuffix(b.String(), "\n"))
				}
			}
		}
		if jerr := writeSummaryJSON(f.summaryJSON, sum); jerr != nil && err == nil {
			err = jerr
		}
		if err == nil {
			// The run read the whole file with these flags: keep them.
			if job, jerr := c.writeJob(); jerr != nil {
				err = jerr
			} else if job != "" && !f.quiet {
				stdio.log().Info(fmt.Sprintf("job: %s (run it with: aivabatch import --job %s %s)", job, job, pos[0]), slog.String("job", job))
			}
		}
	}
	return sum, err
}

// printSheets is validate --list-sheets: each sheet's name and row count
// on a line of stdout, tab-separated, so that a script can cut it.
func printSheets(stdio *IO, path string) error {
	if !isXLSX(path) {
		return usagef("--list-sheets reads an XLSX workbook; %s is not .xlsx", path)
	}
	sheets, err := formats.ListSheets(path)
	if err != nil {
		return &batch.InputError{Err: fmt.Errorf("%s: %w", path, err)}
	}
	for _, s := range sheets {
		switch {
		case s.Chart:
			fmt.Fprintf(stdio.Out, "%s\tchart (no cells)\n", s.Name)
		case s.Rows == 0:
			fmt.Fprintf(stdio.Out, "%s\tempty\n", s.Name)
		default:
			fmt.Fprintf(stdio.Out, "%s\t%d rows (a header and %d data rows)\n", s.Name, s.Rows, s.Rows-1)
		}
	}
	return nil
}
