package batch

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
)

// TestOneRunPerReport: while an import runs, a second import and a
// --resume on the same report refuse at once (an *InputError naming the
// first run's pid and saying to wait) and send nothing; the tenant holds
// each customer once. A dry run, which writes no journal, is not kept
// out. Once the first run ended, the lock is free again.
func TestOneRunPerReport(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	dir := t.TempDir()
	const n = 40
	in := customersCSV(t, dir, n)
	report := filepath.Join(dir, "customers.report.csv")
	c := newClient(t, sb.URL, sandbox.TokenReadWrite, nil)

	var second, resume, dry error
	cfg := importCfg(in, c)
	cfg.Workers = 2
	ran := false
	cfg.OnRow = func(done int) {
		if ran || done < n/4 {
			return
		}
		ran = true // the first run is part way: start the others now
		_, second = Import(context.Background(), importCfg(in, c))
		r := importCfg(in, c)
		r.Resume = true
		_, resume = Import(context.Background(), r)
		d := importCfg(in, c)
		d.DryRun = true
		_, dry = Import(context.Background(), d)
	}
	sum, err := Import(context.Background(), cfg)
	if err != nil || sum.Counts[ResultCreated] != n {
		t.Fatalf("first run: %v %v", sum.Counts, err)
	}
	pid := fmt.Sprintf("pid %d", os.Getpid())
	for name, err := range map[string]error{"second import": second, "--resume": resume} {
		if !IsInputError(err) || !strings.Contains(err.Error(), pid) || !strings.Contains(err.Error(), "wait for it to finish") || !strings.Contains(err.Error(), report) {
			t.Errorf("%s while the first runs: %v; want an input error naming %s and the report, and saying to wait", name, err, pid)
		}
	}
	if dry != nil {
		t.Errorf("a dry run while an import runs: %v", dry)
	}
	perEmail := map[string]int{}
	for _, cu := range sb.Customers(sandbox.TenantDemo) {
		perEmail[cu.Email]++
	}
	for email, k := range perEmail {
		if k != 1 {
			t.Errorf("%s is held %d times", email, k)
		}
	}
	if len(perEmail) != n {
		t.Errorf("the tenant holds %d customers, want %d", len(perEmail), n)
	}
	if _, err := os.Stat(LockPath(report)); !os.IsNotExist(err) {
		t.Errorf("the lock is left behind after the run (%v)", err)
	}
	// The lock is free: a resume of the finished run now runs (all skipped).
	r := importCfg(in, c)
	r.Resume = true
	if sum, err := Import(context.Background(), r); err != nil || sum.Counts[ResultSkipped] != n {
		t.Errorf("resume after the run: %v %v", sum.Counts, err)
	}
}
