package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"aivabatch/batch"
	"aivabatch/formats"
)

const exportExample = `  aivabatch export --sandbox -o customers.xlsx
  aivabatch export -o active.csv --status active,blocked --updated-since 24h
  aivabatch export --format ndjson > customers.ndjson
  aivabatch export --job nightly.toml   (every flag can be set in the TOML job file; the command line wins)
  aivabatch export -o all.csv --log-format json --progress-every 30s   (JSON lines on stderr, a progress line every 30s)
  aivabatch export --sandbox --state nightly.state -o changed.csv    (only what changed since the last successful run)
  The file is written beside its final name and renamed into place only when the whole
  list was read: a failed export leaves the previous file as it was.`

// exportOptions is what the export command's flags say (the flags →
// options layer; see cmd_options_test.go).
type exportOptions struct {
	cfg               batch.ExportConfig // without Client and OnRow
	conn              connFlags
	quiet, noProgress bool
	summaryJSON       string
}

func runExport(ctx context.Context, cmd *Command, stdio *IO, args []string) (*batch.Summary, error) {
	o, err := parseExport(cmd, args, stdio, time.Now())
	if err != nil {
		return nil, err
	}
	stdio.tune(streamTuning(o.cfg.Format == formats.FormatXLSX || isXLSX(o.cfg.Output)))
	return o.run(ctx, stdio)
}

// parseExport reads the export command's flags into options; durations
// back from now (--updated-since 24h) count from now. It makes no
// connection.
func parseExport(cmd *Command, args []string, stdio *IO, now time.Time) (*exportOptions, error) {
	var (
		cf                               connFlags
		output, format, columns          string
		status, types, created, updated  string
		noEscape, bom, quiet, noProgress bool
		summaryJSON                      string
		state                            string
		full                             bool
	)
	c := cmd.flags(stdio)
	cf.register(c.fs, false)
	c.fs.StringVar(&output, "o", "-", `output file; its extension picks the format ("-" = stdout)`)
	c.alias(&output, "output", "o")
	c.fs.StringVar(&format, "format", "", "csv, tsv, xlsx or ndjson (default: from the -o extension; csv for stdout)")
	c.fs.StringVar(&columns, "columns", "", "comma-separated columns, in order (default: "+strings.Join(batch.DefaultExportColumns, ",")+"; NDJSON: whole objects)")
	c.fs.StringVar(&status, "status", "", "only customers with one of these statuses (comma-separated)")
	c.fs.StringVar(&types, "type", "", "only customers of one of these types (comma-separated)")
	c.fs.StringVar(&created, "created-since", "", "only customers created at or after T: RFC 3339, a date, or a duration back from now (24h, 7d)")
	c.fs.StringVar(&updated, "updated-since", "", "only customers updated at or after T (same forms)")
	c.fs.BoolVar(&noEscape, "no-escape-formulas", false, "CSV: do not prefix cells that a spreadsheet would run as formulas with '")
	c.fs.BoolVar(&bom, "bom", false, "CSV: start with a UTF-8 byte order mark so that Excel reads accents right")
	c.fs.StringVar(&summaryJSON, "summary-json", "", "also write the summary as JSON to this path")
	c.fs.StringVar(&state, "state", "", "incremental export: only customers updated after the watermark in this file (all on the first run); the new watermark is written once the output is in place (e.g. --state nightly.state)")
	c.fs.BoolVar(&full, "full", false, "with --state: export every customer this once, then write the new watermark")
	c.fs.BoolVar(&quiet, "quiet", false, "print nothing but errors")
	c.fs.BoolVar(&noProgress, "no-progress", false, "no progress display")
	c.jobFlags(false)
	c.logFlags()
	pos, err := c.parse(args)
	if err != nil {
		return nil, err
	}
	if len(pos) > 0 {
		return nil, usagef("export takes no FILE argument; use -o %s", pos[0])
	}
	switch output {
	case "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1":
		output = "-" // the same stream, whatever it is (a file, a pipe)
	}
	paths := append([]batch.NamedPath{{Name: "-o", Path: output, Flag: "-o", Direct: true},
		{Name: "--summary-json", Path: summaryJSON, Flag: "--summary-json"},
		{Name: "--state", Path: state, Flag: "--state"}, {Name: "the --state lock", Path: lockPath(state), Flag: "--state"}},
		c.inputs(cf.tokenFile)...)
	if err := batch.CheckDistinct(paths...); err != nil {
		return nil, err
	}
	if err := batch.CheckOutputs(paths...); err != nil {
		return nil, err
	}
	if full && state == "" {
		return nil, usagef("--full goes with --state: it exports everything once and then writes the watermark there")
	}
	pf, err := formats.ParseFormat(format)
	if err != nil {
		return nil, usagef("--format: %v", err)
	}
	cfg := batch.ExportConfig{Output: output, Stdout: stdio.Out, Format: pf, EscapeFormulas: !noEscape, BOM: bom, State: state, Full: full}
	if cfg.Format == formats.FormatXLSX && (output == "-" || output == "") && stdio.ErrTTY {
		return nil, usagef("refusing to write XLSX to a terminal; pass -o FILE.xlsx")
	}
	if columns != "" {
		for _, col := range strings.Split(columns, ",") {
			if col = strings.TrimSpace(col); col != "" {
				cfg.Columns = append(cfg.Columns, col)
				if !batch.ExportColumnKnown(col) && !quiet {
					stdio.log().Warn(fmt.Sprintf("--columns %q is not a customer field (%s); it is filled from the fields the API returns, and empty where it has none", col, strings.Join(batch.DefaultExportColumns, ",")))
				}
			}
		}
	}
	cfg.Status, cfg.Types = splitList(status), splitList(types)
	if err := checkStatuses(cfg.Status); err != nil {
		return nil, err
	}
	if cfg.CreatedSince, err = parseSince(created, now); err != nil {
		return nil, usagef("--created-since: %v", err)
	}
	if cfg.UpdatedSince, err = parseSince(updated, now); err != nil {
		return nil, usagef("--updated-since: %v", err)
	}

	if output == "-" || output == "" {
		stdio.setNotice(signalNotice{
			first:  "interrupted; stopping the list (press Ctrl-C again to stop at once)",
			second: "stopped at once; what went to stdout is incomplete: run the export again",
		})
	} else {
		stdio.setNotice(signalNotice{
			first:  fmt.Sprintf("interrupted; stopping the list, %s is not replaced (press Ctrl-C again to stop at once)", output),
			second: fmt.Sprintf("stopped at once; %s was not replaced, but a temporary .%s.tmp-* file may be left beside it", output, filepath.Base(output)),
		})
	}
	return &exportOptions{cfg: cfg, conn: cf, quiet: quiet, noProgress: noProgress, summaryJSON: summaryJSON}, nil
}

// run connects and exports as the options say.
func (o *exportOptions) run(ctx context.Context, stdio *IO) (*batch.Summary, error) {
	cfg, cf, quiet, noProgress, summaryJSON := o.cfg, o.conn, o.quiet, o.noProgress, o.summaryJSON
	conn, err := cf.connect(ctx, stdio)
	if err != nil {
		return nil, err
	}
	defer conn.close()
	cfg.Client = conn.client

	bar := newProgress(stdio, quiet, noProgress, -1, "exporting", false)
	cfg.OnRow = func(n int) { bar.set(int64(n)) }
	sum, err := batch.Export(ctx, cfg)
	bar.done()
	if sum != nil && !quiet && err == nil {
		printSummary(stdio, sum, nil)
	}
	if sum != nil && err == nil {
		if jerr := writeSummaryJSON(summaryJSON, sum); jerr != nil {
			err = jerr
		}
	}
	return sum, err
}

// checkStatuses refuses a --status that is none of the API's.
func checkStatuses(list []string) error {
	for _, s := range list {
		switch strings.ToLower(s) {
		case "active", "inactive", "blocked":
		default:
			return usagef("--status %q: use active, inactive or blocked (comma-separated)", s)
		}
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parseSince reads an RFC 3339 time or a duration back from now (24h, 7d).
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(d); err == nil && n >= 0 {
			return now.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time (2026-01-31T00:00:00Z), a date (2026-01-31) nor a duration back from now (24h, 7d)", s)
}

func lockPath(state string) string {
	if state == "" {
		return ""
	}
	return batch.LockPath(state)
}
