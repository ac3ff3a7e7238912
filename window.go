package main

import (
	"flag"
	"fmt"
	"log/slog"

	"aivabatch/batch"
	"aivabatch/formats"
)

// windowFlags are --skip and --limit of import and validate: a first try
// on a few rows before the whole file goes.
type windowFlags struct{ skip, limit int }

func (w *windowFlags) register(fs *flag.FlagSet, command string) {
	left := "the rows left out are in the report as not_attempted, so that --resume without it finishes the file"
	if command == "validate" {
		left = "the rows left out are not checked and not in the report; the summary counts them"
	}
	fs.IntVar(&w.skip, "skip", 0, "leave out the first N data rows (e.g. --skip 100 --limit 10); "+left)
	fs.IntVar(&w.limit, "limit", 0, "take at most N data rows, after --skip (e.g. --limit 5 for a first try); "+left)
}

// apply checks the values and sets them on cfg.
func (w *windowFlags) apply(cfg *batch.InputConfig) error {
	if w.skip < 0 {
		return usagef("--skip %d: give a number of rows, 0 or more", w.skip)
	}
	if w.limit < 0 {
		return usagef("--limit %d: give a number of rows, 1 or more (0, the default, takes every row)", w.limit)
	}
	cfg.Skip, cfg.Limit = w.skip, w.limit
	return nil
}

// printLeftOut says how many rows --skip and --limit left out, and how
// to take them.
func printLeftOut(io *IO, sum *batch.Summary) {
	if sum == nil || sum.LeftOut == 0 {
		return
	}
	var msg string
	switch sum.Command {
	case "validate":
		msg = fmt.Sprintf("left out: %d rows by --skip/--limit were not checked and are not in the report; run validate without them to check every row", sum.LeftOut)
	case "import --dry-run":
		msg = fmt.Sprintf("left out: %d rows by --skip/--limit are not_attempted in the report (not planned)", sum.LeftOut)
	default:
		msg = fmt.Sprintf("left out: %d rows by --skip/--limit are not_attempted in the report; to send them, run the same command again with --resume and without --skip/--limit", sum.LeftOut)
	}
	io.logger().info(msg, slog.Int("left_out", sum.LeftOut))
}

// printSheets is validate --list-sheets: each sheet's name and row count
// on a line of stdout, tab-separated, so that a script can cut it.
func printSheets(io *IO, path string) error {
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
			fmt.Fprintf(io.Out, "%s\tchart (no cells)\n", s.Name)
		case s.Rows == 0:
			fmt.Fprintf(io.Out, "%s\tempty\n", s.Name)
		default:
			fmt.Fprintf(io.Out, "%s\t%d rows (a header and %d data rows)\n", s.Name, s.Rows, s.Rows-1)
		}
	}
	return nil
}
