package main

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"aivabatch/batch"
	"aivabatch/batch/customer"
	"aivabatch/formats"
)

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
	values                             multiFlag  // --value
	rules                              rulesTable // the job file's [rules]
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

func (f *inputFlags) config(path string, stdio *IO) (batch.InputConfig, error) {
	cfg := batch.InputConfig{Path: path, Stdin: stdio.In, Report: f.report, OptionName: optionFlag,
		Reader:  formats.ReaderOptions{OptionName: formatsFlag},
		Map:     customer.MapOptions{OptionName: customerFlag},
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
	if err := f.controls(&cfg); err != nil {
		return cfg, err
	}
	mode, ok := customer.ParseAction(f.mode)
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

func isXLSX(path string) bool { return strings.EqualFold(filepath.Ext(path), ".xlsx") }

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
