package main

import (
	"path/filepath"
	"testing"
	"time"

	"aivabatch/apiclient"
	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
	"aivabatch/batch"
)

// BenchmarkResumeMemory: `import --match email` of a 1,000,000-row file
// into a tenant that holds those 1,000,000 customers (every row
// unchanged), then `--resume` over its report: the peak RSS of each run
// (the real command in its own process) must stay ≤ 200 MiB.
func BenchmarkResumeMemory(b *testing.B) {
	benchNote(b)
	n := scaled(1_000_000, 2000)
	sb := sandboxtest.NewServer(b, sandbox.Options{})
	seedStart := time.Now()
	err := sb.Seed(sandbox.TenantDemo, n, func(i int) apiclient.Customer {
		c := genCustomer(i)
		return apiclient.Customer{
			FirstName: c.first, LastName: c.last, Name: c.first + " " + c.last, Email: c.email,
			Phone: c.phone, Status: c.status, Type: c.typ, Value: c.valueNum, AutoPayment: c.autoPayBool, Notes: c.notes,
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("sandbox seeded with %d customers in %.1fs", n, time.Since(seedStart).Seconds())
	dir := b.TempDir()
	in := filepath.Join(dir, "big.csv")
	writeBenchCSV(b, in, n, 0)
	env := []string{"AIVA_API_URL=" + sb.URL, "AIVA_TOKEN=" + sandbox.TokenReadWrite}
	args := []string{"import", in, "--match", "email", "--rate", "0", "--workers", "8", "--no-progress", "--quiet"}
	var match, resume procRun
	for b.Loop() {
		match = runCommand(b, env, []int{exitOK}, args...)
		resume = runCommand(b, env, []int{exitOK}, append(args, "--resume")...)
	}
	if got := match.sum.Counts[string(batch.ResultUnchanged)]; got != n {
		b.Errorf("--match email: %v, want %d unchanged", match.sum.Counts, n)
	}
	if got := resume.sum.Counts[string(batch.ResultSkipped)]; got != n {
		b.Errorf("--resume: %v, want %d skipped", resume.sum.Counts, n)
	}
	floor := floorRSS(b)
	b.ReportMetric(match.rssMB, "match_rss_MB")
	b.ReportMetric(resume.rssMB, "resume_rss_MB")
	b.ReportMetric(floor, "version_rss_MB")
	b.Logf("%d rows into %d customers: --match email %.1fs, peak RSS %.1f MB [target ≤ 200 MiB: %s]; --resume %.1fs, peak RSS %.1f MB [target ≤ 200 MiB: %s] (aivabatch version: %.1f MB)",
		n, n, match.secs, match.rssMB, verdict(match.rssMB <= 200*1.048576), resume.secs, resume.rssMB, verdict(resume.rssMB <= 200*1.048576), floor)
}
