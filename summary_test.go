package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"aivabatch/apiclient"
	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
	"aivabatch/batch"
)

// TestMaxErrorsLineAgreesWithSummary: rows in flight when --max-errors
// is reached still fail; the closing line counts them as the summary
// does.
func TestMaxErrorsLineAgreesWithSummary(t *testing.T) {
	t.Parallel()
	sb := sandboxtest.NewServer(t, sandbox.Options{Latency: 20 * time.Millisecond})
	sb.Seed(sandbox.TenantDemo, 64, func(i int) apiclient.Customer {
		return apiclient.Customer{Name: fmt.Sprintf("P %d", i), Email: fmt.Sprintf("p%d@example.com", i)}
	})
	dir := t.TempDir()
	lines := []string{"id,name,email"}
	for i, c := range sb.Customers(sandbox.TenantDemo) {
		lines = append(lines, fmt.Sprintf("%s,Q %d,p%d@example.com", c.ID, i, i))
	}
	in := writeLines(t, filepath.Join(dir, "in.csv"), lines...)
	stdio, _, errOut := testIO(map[string]string{"AIVA_API_URL": sandboxtest.GoneOnWrite(t, sb), "AIVA_TOKEN": sandbox.TokenReadWrite})
	code := run(context.Background(), []string{"import", in, "--mode", "update", "--max-errors", "2", "--workers", "8", "--rate", "0", "--no-progress"}, stdio)
	if code != exitAborted {
		t.Fatalf("exit %d, want 3; stderr:\n%s", code, errOut)
	}
	sum := regexp.MustCompile(`(\d+) failed`).FindStringSubmatch(errOut.String())
	line := regexp.MustCompile(`aivabatch: --max-errors 2 reached: (\d+) rows failed`).FindStringSubmatch(errOut.String())
	if sum == nil || line == nil || sum[1] != line[1] {
		t.Fatalf("the --max-errors line and the summary disagree:\n%s", errOut)
	}
	if n, _ := strconv.Atoi(sum[1]); n > 2 && !strings.Contains(errOut.String(), "requests already in flight finished") {
		t.Errorf("%d failed against a limit of 2, not explained:\n%s", n, errOut)
	}
	if !strings.Contains(lastLine(errOut.String()), "--resume") {
		t.Errorf("the closing line does not say what to do:\n%s", errOut)
	}
}

// TestRateCountsRowsProcessed: rows never sent do not count in rows/s.
func TestRateCountsRowsProcessed(t *testing.T) {
	t.Parallel()
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	dir := t.TempDir()
	in := writeLines(t, filepath.Join(dir, "in.csv"), "name,email", "A,a@example.com", "B,b@example.com")
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errInterrupted)
	stdio, _, errOut := testIO(map[string]string{"AIVA_API_URL": sb.URL, "AIVA_TOKEN": sandbox.TokenReadWrite})
	js := filepath.Join(dir, "sum.json")
	if code := run(ctx, []string{"import", in, "--summary-json", js, "--no-progress"}, stdio); code != exitInterrupted {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	if !strings.Contains(errOut.String(), "2 not_attempted") || strings.Contains(errOut.String(), "rows/s") {
		t.Errorf("no row was sent, yet a rate is shown:\n%s", errOut)
	}
	var s batch.Summary
	b, err := os.ReadFile(js)
	must(t, err)
	must(t, json.Unmarshal(b, &s))
	if s.RowsPerSec != 0 {
		t.Errorf("rows_per_second %v, want 0", s.RowsPerSec)
	}

	// The printer counts only processed rows, whatever the summary holds.
	stdio, _, errOut = testIO(nil)
	printSummary(stdio, &batch.Summary{Command: "import", Rows: 950, Elapsed: 10 * time.Second,
		Counts: map[batch.Result]int{batch.ResultCreated: 24, batch.ResultNotAttempted: 926}}, nil)
	if !strings.Contains(errOut.String(), "(2 rows/s)") {
		t.Errorf("24 rows in 10s:\n%s", errOut)
	}
}

// TestReportWriteFails: a report that cannot be written part way (the
// real command, as a process that may not grow a file past 400 kB, as
// a full disk would refuse it; the report, with its wide rows, is the
// largest file) stops the run; the summary says the report is
// incomplete, why, and what to do. (A report that is a device, such as
// /dev/full, is refused before the run.)
func TestReportWriteFails(t *testing.T) {
	t.Parallel()
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	dir := t.TempDir()
	lines := []string{"name,email,notes"}
	wide := strings.Repeat("n", 1000)
	for i := range 3000 {
		lines = append(lines, fmt.Sprintf("Person %d,p%d@example.com,%s", i, i, wide))
	}
	in := writeLines(t, filepath.Join(dir, "in.csv"), lines...)
	for _, cmd := range []string{"import", "validate"} {
		t.Run(cmd, func(t *testing.T) {
			report := filepath.Join(dir, cmd+".report.csv")
			args := []string{cmd, in, "--report", report, "--no-progress"}
			if cmd == "import" {
				args = append(args, "--rate", "0")
			}
			c := aivabatchCmd(sb.URL, args...)
			c.Env = append(c.Env, "AIVABATCH_TEST_FSIZE=400000")
			var errOut strings.Builder
			c.Stderr = &errOut
			c.Run()
			if code := c.ProcessState.ExitCode(); code != exitAborted {
				t.Fatalf("exit %d, want 3; stderr:\n%s", code, errOut.String())
			}
			got := errOut.String()
			for _, want := range []string{"stopped part way", "report: " + report + " is INCOMPLETE", "file too large", "run the same command again"} {
				if !strings.Contains(got, want) {
					t.Errorf("stderr does not say %q:\n%s", want, got)
				}
			}
			if cmd == "import" && !strings.Contains(got, "--resume") {
				t.Errorf("import: no --resume advice:\n%s", got)
			}
			if cmd == "validate" && strings.Contains(got, "--resume") {
				t.Errorf("validate has no --resume:\n%s", got)
			}
			if cmd == "validate" {
				m := regexp.MustCompile(`stopped part way: (\d+) rows .*: (\d+) valid`).FindStringSubmatch(got)
				if m == nil || m[1] != m[2] {
					t.Errorf("the counts do not add up:\n%s", got)
				}
				return
			}
			// Import counts every row, and every customer the server
			// holds, also those created after the report failed.
			m := regexp.MustCompile(`stopped part way when writing failed: (\d+) rows: (\d+) created`).FindStringSubmatch(got)
			if m == nil || m[1] != "3000" || m[2] != fmt.Sprint(sb.Count(sandbox.TenantDemo)) {
				t.Errorf("the summary does not count what happened (the server holds %d):\n%s", sb.Count(sandbox.TenantDemo), got)
			}
		})
	}
}
