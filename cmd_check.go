package main

import (
	"context"
	"fmt"
	"strings"

	"aivabatch/batch"
	"aivabatch/formats"
)

const checkExample = `  aivabatch check --sandbox samples/customers.csv
  aivabatch check --job nightly.toml erp.csv    (the import's job file: the same mapping, rules and filters)
  Lists the tenant once and compares it with the file, writing nothing to the API: each row is
  same, differs (_changes: tenant → file) or missing, and each customer in no row is extra, in
  samples/customers.check.csv. Exit 0 when the tenant matches the file, 1 when it does not.`

// runCheck is aivabatch check: it takes import's flags, so that one job
// file serves both; those that only concern writing have no effect.
func runCheck(ctx context.Context, cmd *Command, stdio *IO, args []string) (*batch.Summary, error) {
	o, err := parseImport(cmd, args, stdio)
	if err != nil {
		return nil, err
	}
	if o.cfg.Skip > 0 || o.cfg.Limit > 0 {
		return nil, usagef("check compares every row with the tenant: drop --skip and --limit")
	}
	stdio.setNotice(signalNotice{
		first:  "interrupted; stopping the check (press Ctrl-C again to stop at once)",
		second: "stopped at once; the check changed nothing: run it again",
	})
	stdio.tune(importTuning)
	cfg, f := o.cfg, o.in
	conn, err := o.conn.connect(ctx, stdio)
	if err != nil {
		return nil, err
	}
	defer conn.close()
	cfg.Client = conn.client
	var warnings readerWarnings
	cfg.Reader.Warn = warnings.add
	bar := newProgress(stdio, f.quiet, f.noProgress, -1, "checking", false)
	cfg.OnRow = func(n int) { bar.set(int64(n)) }
	cfg.OnProblem = bar.problems
	sum, err := batch.Check(ctx, cfg)
	bar.done()
	warnings.attach(stdio, sum, f.quiet)
	if sum != nil {
		if !f.quiet {
			printSummary(stdio, sum, err)
			if err == nil {
				stdio.log().Info(checkLines(sum))
			}
		}
		if jerr := writeSummaryJSON(f.summaryJSON, sum); jerr != nil && err == nil {
			err = jerr
		}
	}
	return sum, err
}

// checkLines is what a check found: the counts, and the first
// difference of each field.
func checkLines(s *batch.Summary) string {
	var b strings.Builder
	c := s.Counts
	fmt.Fprintf(&b, "same %d, differ %d, only in the file %d, only in the tenant %d", c[batch.ResultSame], c[batch.ResultDiffers], c[batch.ResultMissing], c[batch.ResultExtra])
	if n := c[batch.ResultInvalid]; n > 0 {
		fmt.Fprintf(&b, ", invalid %d", n)
	}
	if s.Problems() == 0 {
		b.WriteString(": the tenant matches the file")
	}
	if len(s.Differences) > 0 {
		b.WriteString("\nfirst differences by field (tenant → file):")
		for _, d := range s.Differences {
			fmt.Fprintf(&b, "\n  %s: %s, first %s", d.Field, formats.Plural(d.Rows, "row"), d.First)
		}
	}
	return b.String()
}
