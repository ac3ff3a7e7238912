package main

import (
	"path/filepath"
	"testing"

	"aivabatch/apiclient"
	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
	"aivabatch/batch"
)

// BenchmarkCheck runs aivabatch check (in its own process, peak RSS from
// its rusage: see launch) on a file whose rows are the tenant's
// customers. Target: ≤ 200 MiB peak RSS for a 1,000,000-row file against
// a 1,000,000-customer tenant. The default is quick (100,000 of each,
// scaled by AIVABATCH_BENCH_SCALE); the size is opt-in:
//
//	AIVABATCH_BENCH_TENANT=1000000 AIVABATCH_BENCH_ROWS=1000000 \
//	  go test -run '^$' -bench '^BenchmarkCheck$' -benchtime 1x -timeout 60m .
func BenchmarkCheck(b *testing.B) {
	benchNote(b)
	tenant := benchEnvInt(b, "AIVABATCH_BENCH_TENANT", scaled(100_000, 5_000))
	n := benchEnvInt(b, "AIVABATCH_BENCH_ROWS", scaled(100_000, 5_000))
	sb := sandboxtest.NewServer(b, sandbox.Options{})
	if err := sb.Seed(sandbox.TenantDemo, tenant, func(i int) apiclient.Customer {
		c := genCustomer(i)
		return apiclient.Customer{FirstName: c.first, LastName: c.last, Name: c.first + " " + c.last, Email: c.email,
			Phone: c.phone, Status: c.status, Type: c.typ, Value: c.valueNum, AutoPayment: c.autoPayBool, Notes: c.notes}
	}); err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	in := filepath.Join(dir, "customers.csv")
	writeBenchCSV(b, in, n, 0)
	env := []string{"AIVA_API_URL=" + sb.URL, "AIVA_TOKEN=" + sandbox.TokenReadWrite}
	var r procRun
	for b.Loop() {
		r = runCommand(b, env, []int{exitOK, exitRowProblems}, "check", in, "--no-progress", "--quiet")
	}
	c := r.sum.Counts
	if r.sum.Rows != n || c[string(batch.ResultSame)]+c[string(batch.ResultDiffers)]+c[string(batch.ResultMissing)] != n || c[string(batch.ResultExtra)] != max(tenant-n, 0) {
		b.Fatalf("check: %d rows, %v", r.sum.Rows, c)
	}
	floor := floorRSS(b)
	b.ReportMetric(r.rssMB, "check_rss_MB")
	b.ReportMetric(r.secs, "check_s")
	b.ReportMetric(floor, "version_rss_MB")
	b.Logf("check of %d rows against %d customers: %.1fs, peak RSS %.1f MiB [target ≤ 200: %s] (same %d, differs %d, missing %d, extra %d; aivabatch version: %.1f MiB)",
		n, tenant, r.secs, r.rssMB, verdict(r.rssMB <= 200), c[string(batch.ResultSame)], c[string(batch.ResultDiffers)], c[string(batch.ResultMissing)], c[string(batch.ResultExtra)], floor)
}
