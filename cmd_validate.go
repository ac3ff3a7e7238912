package main

import (
	"context"

	"aivabatch/batch"
)

func runValidate(ctx context.Context, args []string, io *IO) (*batch.Summary, error) {
	var f inputFlags
	c := newCommand(io, "validate", "aivabatch validate FILE [flags]",
		`  aivabatch validate samples/crm-export.xlsx --map "Lifetime Value=value" --map "Customer Since=-"
  Reads and checks every row offline (no token, no network) and writes samples/crm-export.validate.xlsx
  with _result valid or invalid and, for invalid rows, every problem by column.`)
	f.register(c.fs)
	pos, err := c.parse(args)
	if err != nil {
		return nil, err
	}
	if len(pos) != 1 {
		return nil, usagef("validate needs exactly one FILE (or - for stdin with --format); see aivabatch validate --help")
	}
	in, err := f.config(pos[0], io)
	if err != nil {
		return nil, err
	}
	io.setNotice(notice{
		first:  "interrupted; stopping, then closing the report (press Ctrl-C again to stop at once)",
		second: "stopped at once; the report is incomplete (validate keeps no journal): run validate again",
	})
	var warnings []string
	in.Reader.Warn = func(msg string) { warnings = append(warnings, msg) }
	bar := newProgress(io, f.quiet, f.noProgress, fileSize(pos[0]), "validating", in.Reader.Format != "xlsx" && !isXLSX(pos[0]))
	if isXLSX(pos[0]) || in.Reader.Format == "xlsx" {
		in.OnRow = func(n int) { bar.set(int64(n)) }
	} else {
		in.Reader.Progress = bar.set
	}
	sum, err := batch.Validate(ctx, batch.ValidateConfig{InputConfig: in})
	bar.done()
	if sum != nil {
		sum.Warnings = append(sum.Warnings, warnings...)
		if !f.quiet {
			printSummary(io, sum, err)
		}
		if jerr := writeSummaryJSON(f.summaryJSON, sum); jerr != nil && err == nil {
			err = jerr
		}
	} else if len(warnings) > 0 && !f.quiet {
		for _, w := range warnings {
			io.ErrOut.Write([]byte("warning: " + w + "\n"))
		}
	}
	return sum, err
}
