package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/term"

	"aivabatch/batch"
	"aivabatch/formats"
)

// mirrorFlags are import's --delete-missing, --max-delete, --status,
// --type and --yes (check reads --status and --type).
type mirrorFlags struct {
	deleteMissing bool
	maxDelete     string
	status, types string
	yes           bool
}

func (m *mirrorFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&m.deleteMissing, "delete-missing", false, "mirror the file: once every row is done, delete the customers no row matched by id or email (within --status and --type), at most --max-delete of them")
	fs.StringVar(&m.maxDelete, "max-delete", "", "with --delete-missing: delete at most N customers, or N% of the tenant (default 10%); over it nothing is deleted and the run exits 3")
	fs.StringVar(&m.status, "status", "", "with --delete-missing (and for check): only customers with one of these statuses are mirrored (comma-separated); the others are never deleted")
	fs.StringVar(&m.types, "type", "", "with --delete-missing (and for check): only customers of one of these types are mirrored (comma-separated)")
	fs.BoolVar(&m.yes, "yes", false, "delete without asking: on a terminal, a run that deletes (--delete-missing, mode or action delete) first asks; without a terminal nothing is asked")
}

// apply checks the flags and sets them on cfg; check takes the filters
// without --delete-missing.
func (m *mirrorFlags) apply(c *command, cfg *batch.ImportConfig) error {
	forCheck := c.Name == "check"
	cfg.Status, cfg.Types = splitList(m.status), splitList(m.types)
	if err := checkStatuses(cfg.Status); err != nil {
		return err
	}
	if forCheck {
		return nil
	}
	if !m.deleteMissing {
		for _, name := range []string{"max-delete", "status", "type"} {
			if flagSet(c.fs, name) {
				return usagef("--%s goes with --delete-missing: it says what a mirror may delete (export --%s filters what an export writes)", name, name)
			}
		}
		return nil
	}
	if cfg.Skip > 0 || cfg.Limit > 0 {
		return usagef("--delete-missing deletes the customers no row matched, so it reads every row: drop --skip and --limit")
	}
	cfg.DeleteMissing = true
	if s := strings.TrimSpace(m.maxDelete); s != "" {
		if p, ok := strings.CutSuffix(s, "%"); ok {
			v, err := strconv.ParseFloat(p, 64)
			if err != nil || v <= 0 || v > 100 {
				return usagef("--max-delete %q: give a count (50) or a share of the tenant (5%%)", m.maxDelete)
			}
			cfg.MaxDeletePercent = v
		} else {
			v, err := strconv.Atoi(s)
			if err != nil || v <= 0 {
				return usagef("--max-delete %q: give a count (50) or a share of the tenant (5%%)", m.maxDelete)
			}
			cfg.MaxDelete = v
		}
	}
	return nil
}

// canAsk says whether a question can be asked: standard input and
// standard error are a terminal (a scheduled job has none).
func canAsk(stdio *IO) bool {
	in, ok := stdio.In.(*os.File)
	errOut, ok2 := stdio.ErrOut.(*os.File)
	return ok && ok2 && term.IsTerminal(int(in.Fd())) && term.IsTerminal(int(errOut.Fd()))
}

// ask asks on the terminal, with what the run will delete, whether to go
// on; anything but y or yes is no.
func ask(stdio *IO, what string, n int) error {
	them := "them"
	if n == 1 {
		them = "it"
	}
	fmt.Fprintf(stdio.ErrOut, "%s Delete %s? [y/N] ", what, them)
	line, _ := bufio.NewReader(stdio.In).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return &batch.AbortedError{Reason: "nothing was deleted: the deletes were not confirmed (answer y, or pass --yes to delete without asking)"}
}

// askRows asks, before a run whose rows delete customers (mode delete,
// an action column), how many will go. Nothing is asked with --yes, in a
// dry run, without a terminal, or for standard input (it is the data).
func (m *mirrorFlags) askRows(ctx context.Context, stdio *IO, cfg batch.ImportConfig) error {
	if m.yes || cfg.DryRun || cfg.Path == "-" || !canAsk(stdio) {
		return nil
	}
	n, err := batch.CountDeletes(ctx, cfg)
	if err != nil || n == 0 {
		return err
	}
	what := fmt.Sprintf("%d rows of %s delete customers.", n, cfg.Path)
	if n == 1 {
		what = fmt.Sprintf("1 row of %s deletes a customer.", cfg.Path)
	}
	return ask(stdio, what, n)
}

// askMirror makes a --delete-missing run ask, once the rows are done,
// how many customers will go (the progress display is ended first).
func (m *mirrorFlags) askMirror(stdio *IO, cfg *batch.ImportConfig, bar *progress) {
	if !cfg.DeleteMissing || m.yes || cfg.DryRun || !canAsk(stdio) {
		return
	}
	cfg.ConfirmDeletes = func(n int) error {
		bar.done()
		return ask(stdio, fmt.Sprintf("%s of the tenant in no row of %s will be deleted.", formats.Plural(n, "customer"), cfg.Path), n)
	}
}

// word words a mirror's stop for the command line.
func (m *mirrorFlags) word(sum *batch.Summary, err error) error {
	var ce *batch.DeleteCapError
	if !errors.As(err, &ce) {
		return err
	}
	limit := fmt.Sprintf("%d", ce.Max)
	switch {
	case m.maxDelete == "":
		limit = fmt.Sprintf("by default %d%% of the tenant, %s", batch.DefaultMaxDeletePercent, formats.Plural(ce.Max, "customer"))
	case ce.Pct > 0:
		limit = fmt.Sprintf("%s of the tenant, %s", m.maxDelete, formats.Plural(ce.Max, "customer"))
	}
	msg := fmt.Sprintf("--delete-missing: %d of the tenant's %d customers are in no row of the file, more than --max-delete allows (%s); nothing was deleted. Check the file (--dry-run lists them as would_delete), then raise --max-delete if they should go", ce.Count, ce.Tenant, limit)
	if ce.DryRun {
		msg = fmt.Sprintf("--delete-missing: %d of the tenant's %d customers are in no row of the file (would_delete in the report), more than --max-delete allows (%s): the run would delete none of them; raise --max-delete if they should go", ce.Count, ce.Tenant, limit)
	}
	if sum != nil {
		sum.Aborted = msg
	}
	return &batch.AbortedError{Reason: msg}
}
