package main

import (
	"context"
	"fmt"
	"log/slog"

	"aivabatch/batch"
	"aivabatch/formats"
)

// validateOptions is what the validate command's flags say (the flags →
// options layer; see cmd_options_test.go).
type validateOptions struct {
	cfg        batch.InputConfig
	in         inputFlags
	cmd        *command // for --write-job after the run
	path       string
	listSheets bool
}

func runValidate(ctx context.Context, args []string, io *IO) (*batch.Summary, error) {
	o, err := parseValidate(args, io)
	if err != nil {
		return nil, err
	}
	if o.listSheets {
		return nil, printSheets(io, o.path)
	}
	return o.run(ctx, io)
}

// parseValidate reads the validate command's flags into options; it
// reads no file.
func parseValidate(args []string, io *IO) (*validateOptions, error) {
	var f inputFlags
	var win windowFlags
	var listSheets bool
	c := newCommand(io, "validate", "aivabatch validate FILE [flags]",
		`  aivabatch validate samples/crm-export.xlsx --map "Lifetime Value=value" --map "Customer Since=-"
  Reads and checks every row offline (no token, no network) and writes samples/crm-export.validate.xlsx
  with _result valid or invalid and, for invalid rows, every problem by column.
  aivabatch validate samples/crm-export.xlsx --map "Lifetime Value=value" --map "Customer Since=-" --write-job crm.toml
  Keeps the flags that worked in crm.toml: aivabatch import --job crm.toml samples/crm-export.xlsx runs with them.
  aivabatch validate --job crm.toml samples/crm-export.xlsx --log-format json   (every stderr line one JSON object)
  aivabatch validate samples/customers.csv --skip 2 --limit 3    (checks data rows 3 to 5 only)
  aivabatch validate --list-sheets samples/crm-export.xlsx    (the sheets and their rows, for --sheet)`)
	f.register(c.fs)
	win.register(c.fs, "validate")
	c.fs.BoolVar(&listSheets, "list-sheets", false, "print the sheets of an XLSX workbook with their row counts (one a line, on stdout) and stop: which one to give --sheet")
	c.jobFlags(true)
	c.logFlags()
	pos, err := c.parse(args)
	if err != nil {
		return nil, err
	}
	if len(pos) != 1 {
		return nil, usagef("validate needs exactly one FILE (or - for stdin with --format); see aivabatch validate --help")
	}
	if listSheets {
		return &validateOptions{path: pos[0], listSheets: true}, nil
	}
	in, err := f.config(pos[0], io)
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
	io.setNotice(notice{
		first:  "interrupted; stopping, then closing the report (press Ctrl-C again to stop at once)",
		second: "stopped at once; the report is incomplete (validate keeps no journal): run validate again",
	})
	return &validateOptions{cfg: in, in: f, cmd: c, path: pos[0]}, nil
}

// run validates the file as the options say.
func (o *validateOptions) run(ctx context.Context, io *IO) (*batch.Summary, error) {
	in, f, c, pos := o.cfg, o.in, o.cmd, []string{o.path}
	var warnings []string
	in.Reader.Warn = func(msg string) { warnings = append(warnings, msg) }
	// Rows, not bytes, where the file's size says nothing of the text
	// read (XLSX, gzip).
	byRows := isXLSX(pos[0]) || in.Reader.Format == "xlsx" || formats.IsGzip(pos[0])
	bar := newProgress(io, f.quiet, f.noProgress, fileSize(pos[0]), "validating", !byRows)
	if byRows {
		in.OnRow = func(n int) { bar.set(int64(n)) }
	} else {
		in.Reader.Progress = bar.set
		in.OnRow = bar.rowsDone
	}
	in.OnProblem = bar.problems
	sum, err := batch.Validate(ctx, batch.ValidateConfig{InputConfig: in})
	bar.done()
	if sum != nil {
		sum.Warnings = append(sum.Warnings, warnings...)
		if !f.quiet {
			printSummary(io, sum, err)
			printLeftOut(io, sum)
		}
		if jerr := writeSummaryJSON(f.summaryJSON, sum); jerr != nil && err == nil {
			err = jerr
		}
		if err == nil {
			// The run read the whole file with these flags: keep them.
			if job, jerr := c.writeJob(); jerr != nil {
				err = jerr
			} else if job != "" && !f.quiet {
				io.logger().info(fmt.Sprintf("job: %s (run it with: aivabatch import --job %s %s)", job, job, pos[0]), slog.String("job", job))
			}
		}
	} else if len(warnings) > 0 && !f.quiet {
		for _, w := range warnings {
			io.logger().warn(w)
		}
	}
	return sum, err
}
