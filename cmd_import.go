package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"aivabatch/batch"
	"aivabatch/formats"
)

const importExample = `  aivabatch import --sandbox samples/customers.csv
  aivabatch import --sandbox samples/customers.csv --limit 5    (a first try; then --resume for the rest)
  aivabatch import --sandbox samples/crm-export.xlsx --map "Lifetime Value=value" --map "Customer Since=-" --undo undo.csv
  AIVA_TOKEN=aiva_… aivabatch import - --format ndjson < customers.ndjson
  aivabatch import --sandbox --job crm.toml samples/crm-export.xlsx --workers 2   (flags from crm.toml; the command line wins)
  aivabatch import --job crm.toml samples/crm-export.xlsx --log-format json --progress-every 30s 2>> import.log
  Rows are created or updated through rate-limited workers; every row gets a line in
  customers.report.csv (open it, fix the failed rows, import it again, or re-run with --resume).`

// importOptions is what the import command's flags say: the flags →
// options layer, tested without running anything (see cmd_options_test.go).
type importOptions struct {
	cfg    batch.ImportConfig // without Client, Notice and the callbacks
	in     inputFlags
	conn   connFlags
	undo   string
	mirror mirrorFlags
}

func runImport(ctx context.Context, cmd *Command, stdio *IO, args []string) (*batch.Summary, error) {
	o, err := parseImport(cmd, args, stdio)
	if err != nil {
		return nil, err
	}
	stdio.tune(importTuning)
	return o.run(ctx, stdio)
}

// parseImport reads the import command's flags into options; it reads no
// file and makes no connection.
func parseImport(cmd *Command, args []string, stdio *IO) (*importOptions, error) {
	var (
		f                inputFlags
		win              windowFlags
		cf               connFlags
		blank, maxErrors string
		dryRun, resume   bool
		undo             string
		settle           time.Duration
		overwrite        multiFlag
		mf               mirrorFlags
	)
	c := cmd.flags(stdio)
	f.register(c.fs)
	f.registerControls(c)
	mf.register(c.fs)
	win.register(c.fs, "import")
	cf.register(c.fs, true)
	c.fs.StringVar(&blank, "blank", "keep", "blank cells of an update: keep (leave the current value) or clear (send an empty value)")
	registerOverwrite(c.fs, &overwrite, false)
	c.fs.BoolVar(&dryRun, "dry-run", false, "validate and plan every row against the API without writing anything (results would_create, would_update, …)")
	c.fs.BoolVar(&resume, "resume", false, "continue a previous run: rows it confirmed (from the report or journal at the report path) are skipped")
	c.fs.StringVar(&maxErrors, "max-errors", "", "stop after N failed rows, or N% of the rows sent (e.g. 50 or 5%)")
	c.fs.DurationVar(&settle, "settle", 0, "with --resume: how long after the interrupted run's last request to wait before checking which of its in-flight creates landed (default: that run's --timeout)")
	c.fs.StringVar(&undo, "undo", "", "write, as the run goes, an import file that reverses it (import it with --blank clear)")
	c.jobFlags(false)
	c.logFlags()
	pos, err := c.parse(args)
	if err != nil {
		return nil, err
	}
	if len(pos) != 1 {
		return nil, usagef("%s needs exactly one FILE (or - for stdin with --format); see aivabatch %s --help", c.Name, c.Name)
	}
	in, err := f.config(pos[0], stdio)
	if err != nil {
		return nil, err
	}
	in.Inputs = c.inputs(cf.tokenFile)
	if err := win.apply(&in); err != nil {
		return nil, err
	}
	if dryRun {
		stdio.setNotice(signalNotice{
			first:  "interrupted; stopping, then writing the dry-run report (press Ctrl-C again to stop at once)",
			second: "stopped at once; the dry-run report is incomplete and nothing was changed: run the dry run again",
		})
	} else if cf.useSandbox {
		// The embedded sandbox saves its state only when it stops.
		stdio.setNotice(signalNotice{
			first:  "interrupted; finishing the requests in flight, then writing the report (press Ctrl-C again to stop at once)",
			second: "stopped at once; the embedded sandbox did not save this run's changes, so --resume would skip customers it no longer has: delete the report and its .journal and import again",
		})
	} else {
		stdio.setNotice(signalNotice{
			first:  "interrupted; finishing the requests in flight, then writing the report (press Ctrl-C again to stop at once)",
			second: "stopped at once; the journal beside the report holds every confirmed result: run the same command again with --resume",
		})
	}
	cfg := batch.ImportConfig{InputConfig: in, DryRun: dryRun, Resume: resume, Undo: undo, Retries: cf.retries, Drain: cf.timeout, Timeout: cf.timeout, Settle: -1}
	if flagSet(c.fs, "settle") {
		if settle < 0 {
			return nil, usagef("--settle must not be negative")
		}
		cfg.Settle = settle
	}
	switch strings.ToLower(blank) {
	case "keep":
	case "clear":
		cfg.BlankClear = true
	default:
		return nil, usagef("--blank %q: use keep or clear", blank)
	}
	if cfg.Overwrite, err = overwrites(overwrite); err != nil {
		return nil, err
	}
	if maxErrors != "" {
		if p, ok := strings.CutSuffix(maxErrors, "%"); ok {
			v, err := strconv.ParseFloat(p, 64)
			if err != nil || v <= 0 || v > 100 {
				return nil, usagef("--max-errors %q: give a count (50) or a percentage (5%%)", maxErrors)
			}
			cfg.MaxErrorsPercent = v
		} else {
			v, err := strconv.Atoi(maxErrors)
			if err != nil || v <= 0 {
				return nil, usagef("--max-errors %q: give a count (50) or a percentage (5%%)", maxErrors)
			}
			cfg.MaxErrors = v
		}
	}
	if cf.workers <= 0 {
		return nil, usagef("--workers must be at least 1")
	}
	cfg.Workers = cf.workers
	if err := mf.apply(c, &cfg); err != nil {
		return nil, err
	}
	return &importOptions{cfg: cfg, in: f, conn: cf, undo: undo, mirror: mf}, nil
}

// run connects and imports as the options say.
func (o *importOptions) run(ctx context.Context, stdio *IO) (*batch.Summary, error) {
	cfg, f, cf, undo, in := o.cfg, o.in, o.conn, o.undo, o.cfg.InputConfig
	cfg.Notice = func(msg string) {
		if !f.quiet {
			notice(stdio.log(), slog.LevelInfo, msg)
		}
	}
	conn, err := cf.connect(ctx, stdio)
	if err != nil {
		return nil, err
	}
	defer conn.close()
	cfg.Client = conn.client

	var warnings readerWarnings
	cfg.Reader.Warn = warnings.add
	// Rows done against the file's line count (a close upper bound: quoted
	// line breaks count too), so the bar shows rows/s and an ETA; a
	// spinner with rows/s where lines say nothing (XLSX, stdin).
	total := int64(-1)
	if in.Path != "-" && !isXLSX(in.Path) && !formats.IsGzip(in.Path) && in.Reader.Format != "xlsx" && stdio.ErrTTY && !f.quiet && !f.noProgress {
		total = countDataLines(in.Path)
	}
	if err := o.mirror.askRows(ctx, stdio, cfg); err != nil {
		return nil, err
	}
	bar := newProgress(stdio, f.quiet, f.noProgress, total, "importing", false)
	o.mirror.askMirror(stdio, &cfg, bar)
	cfg.OnRow = func(n int) { bar.set(int64(n)) }
	cfg.OnProblem = bar.problems
	sum, err := batch.Import(ctx, cfg)
	err = o.mirror.word(sum, err)
	bar.done()
	wordSummary(sum, err)
	warnings.attach(stdio, sum, f.quiet)
	if sum != nil {
		if !f.quiet {
			printSummary(stdio, sum, err)
			printLeftOut(stdio, sum)
			if undo != "" && sum.Rows > 0 && sum.UndoError == "" {
				stdio.log().Info(fmt.Sprintf("undo: %s (to reverse this run: aivabatch import %s --blank clear%s)", undo, undo, conn.flagHint), slog.String("undo", undo))
			}
		}
		if jerr := writeSummaryJSON(f.summaryJSON, sum); jerr != nil && err == nil {
			err = jerr
		}
	}
	return sum, err
}
