package main

// Benchmarks of aivabatch against bare baselines measured in the same run.
//
// Each benchmark prints its figures and their ratio to the baseline with
// b.ReportMetric (one column per unit) and a b.Logf line that states the
// target and whether it was met. They are not run by a plain `go test`
// (only with -bench), write their data to b.TempDir(), and use no network
// beyond loopback. They are meant to run once per invocation:
//
//	go test -run '^$' -bench . -benchtime 1x -timeout 60m .
//
// One at a time:
//
//	go test -run '^$' -benchtime 1x -timeout 30m -bench '^BenchmarkValidateCSV$' .
//	go test -run '^$' -benchtime 1x -timeout 30m -bench '^BenchmarkValidateCSVControls$' .
//	go test -run '^$' -benchtime 1x -timeout 30m -bench '^BenchmarkValidateXLSX$' .
//	go test -run '^$' -benchtime 1x -timeout 30m -bench '^BenchmarkImport$' .          (all three parts)
//	go test -run '^$' -benchtime 1x -timeout 30m -bench '^BenchmarkImport$/^throughput$' .
//	go test -run '^$' -benchtime 1x -timeout 30m -bench '^BenchmarkImport$/^rate200$' .
//	go test -run '^$' -benchtime 1x -timeout 30m -bench '^BenchmarkImport$/^throttled$' .
//	go test -run '^$' -benchtime 1x -timeout 30m -bench '^BenchmarkExport$' .
//
// AIVABATCH_BENCH_SCALE=0.01 (any factor > 0) shrinks every size, to write
// and debug the benchmarks quickly; the targets are stated for scale 1.
// On a loaded machine, build once and run the binary:
//
//	go test -c -o /tmp/aivabatch.test . && /tmp/aivabatch.test -test.run '^$' -test.bench . -test.benchtime 1x -test.timeout 60m
//
// The subprocess figures run the real command: the test binary acts as
// aivabatch when AIVABATCH_AS_MAIN=1 (see TestMain), and its peak RSS is
// read from the child's rusage (Maxrss, KiB on Linux), through a launcher
// process so that the benchmark's own memory does not leak into the figure
// (see launch).

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"aivabatch/apiclient"
	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
	"aivabatch/batch"
)

// benchScale is AIVABATCH_BENCH_SCALE (default 1).
var benchScale = func() float64 {
	s := os.Getenv("AIVABATCH_BENCH_SCALE")
	if s == "" {
		return 1
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 || math.IsInf(f, 0) {
		panic(fmt.Sprintf("AIVABATCH_BENCH_SCALE=%q: want a number > 0", s))
	}
	return f
}()

// scaled returns n times the scale, at least lo.
func scaled(n, lo int) int {
	return max(lo, int(math.Round(float64(n)*benchScale)))
}

// benchEnvInt reads a size given in the environment (name), or def.
func benchEnvInt(b *testing.B, name string, def int) int {
	b.Helper()
	if s := os.Getenv(name); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			b.Fatalf("%s=%q: want a number > 0", name, s)
		}
		return n
	}
	return def
}

// verdict says whether a target was met, for the log lines.
func verdict(ok bool) string {
	if ok {
		return "MET"
	}
	return "MISSED"
}

func benchNote(b *testing.B) {
	b.Helper()
	if benchScale != 1 {
		b.Logf("AIVABATCH_BENCH_SCALE=%g: sizes are scaled; the targets apply to scale 1", benchScale)
	}
	if f := flag.Lookup("test.benchtime"); f != nil && f.Value.String() != "1x" {
		b.Logf("-benchtime %s: the measurements repeat until it is covered (the generated data is reused); -benchtime 1x runs them once", f.Value)
	}
	var load string
	if raw, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Join(strings.Fields(string(raw))[:3], " ")
	}
	b.Logf("GOMAXPROCS %d, load average %s", runtime.GOMAXPROCS(0), load)
}

// ---- generated customers -------------------------------------------------

var benchNames = []struct{ first, last, handle string }{
	{"Zoë", "Müller", "zoe.muller"},
	{"José", "García", "jose.garcia"},
	{"Ana", "Silva", "ana.silva"},
	{"Björn", "Ødegaard", "bjorn.odegaard"},
	{"Chloé", "Lefèvre", "chloe.lefevre"},
	{"John", "Smith", "john.smith"},
	{"Mei", "Chen", "mei.chen"},
	{"Łukasz", "Wójcik", "lukasz.wojcik"},
	{"Aoife", "O'Brien", "aoife.obrien"},
	{"Søren", "Kierkegaard", "soren.k"},
	{"Émilie", "Dubois-Roux", "emilie.dubois"},
	{"Noah", "Williams", "noah.williams"},
}

var (
	benchStatuses = []string{"active", "active", "inactive", "blocked"}
	benchTypes    = []string{"individual", "individual", "business", "reseller"}
	benchBools    = []string{"yes", "no", "true", "false"}
)

// benchCustomer is row i of every generated file and of the seeded sandbox.
type benchCustomer struct {
	first, last, email, phone, status, typ, value, autoPay, notes string
	phoneNum                                                      int64
	valueNum                                                      float64
	autoPayBool                                                   bool
}

func genCustomer(i int) benchCustomer {
	n := benchNames[i%len(benchNames)]
	c := benchCustomer{
		first:  n.first,
		last:   n.last,
		email:  fmt.Sprintf("%s.%07d@example.com", n.handle, i),
		phone:  fmt.Sprintf("+1 555 %07d", i%10_000_000),
		status: benchStatuses[i%len(benchStatuses)],
		typ:    benchTypes[(i/4)%len(benchTypes)],
		value:  fmt.Sprintf("%d.%02d", (i*37)%100_000, i%100),

		autoPay:  benchBools[(i/3)%len(benchBools)],
		phoneNum: 18_001_000_000 + int64(i%1_000_000),
	}
	c.valueNum, _ = strconv.ParseFloat(c.value, 64)
	c.autoPayBool = c.autoPay == "yes" || c.autoPay == "true"
	switch {
	case i%25 == 0:
		c.notes = "Called twice, left a message:\n\"please ring back after 5pm, not before\"\nFollow up next week."
	case i%10 == 0:
		c.notes = `Prefers "email" contact, never phone; VIP since 2019, ask for Zoë`
	case i%7 == 0:
		c.notes = "Migrated from the old CRM, account 7731; invoices by post"
	default:
		c.notes = "Signed up through the web form; newsletter opt-in, standard terms"
	}
	return c
}

var benchHeader = []string{"id", "First Name", "Last Name", "Email", "Phone", "Status", "Type", "Value", "Auto Payment", "Notes"}

// writeBenchCSV writes n customer rows; with invalidEvery > 0, every
// invalidEvery-th row has a bad email (so the report has some errors).
func writeBenchCSV(tb testing.TB, path string, n, invalidEvery int) int64 {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := csv.NewWriter(f)
	if err := w.Write(benchHeader); err != nil {
		tb.Fatal(err)
	}
	rec := make([]string, len(benchHeader))
	for i := range n {
		c := genCustomer(i)
		email := c.email
		if invalidEvery > 0 && i%invalidEvery == invalidEvery-1 {
			email = "not an email"
		}
		rec[0], rec[1], rec[2], rec[3], rec[4] = "", c.first, c.last, email, c.phone
		rec[5], rec[6], rec[7], rec[8], rec[9] = c.status, c.typ, c.value, c.autoPay, c.notes
		if err := w.Write(rec); err != nil {
			tb.Fatal(err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		tb.Fatal(err)
	}
	st, err := f.Stat()
	if err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return st.Size()
}

func writeBenchXLSX(tb testing.TB, path string, n, invalidEvery int) int64 {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		tb.Fatal(err)
	}
	head := make([]any, len(benchHeader))
	for i, h := range benchHeader {
		head[i] = h
	}
	if err := sw.SetRow("A1", head); err != nil {
		tb.Fatal(err)
	}
	row := make([]any, len(benchHeader))
	for i := range n {
		c := genCustomer(i)
		var email any = c.email
		if invalidEvery > 0 && i%invalidEvery == invalidEvery-1 {
			email = "not an email"
		}
		row[0], row[1], row[2], row[3], row[4] = nil, c.first, c.last, email, c.phoneNum
		row[5], row[6], row[7], row[8], row[9] = c.status, c.typ, c.valueNum, c.autoPayBool, c.notes
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row); err != nil {
			tb.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.SaveAs(path); err != nil {
		tb.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return st.Size()
}

// ---- running the real command -------------------------------------------

type procRun struct {
	secs  float64
	rssMB float64 // peak RSS in MiB
	sum   benchSummary
}

type benchSummary struct {
	Rows   int            `json:"rows"`
	Counts map[string]int `json:"counts"`
}

// Peak RSS of a child. Go starts children with vfork (CLONE_VM), and
// Linux folds the hiwater RSS of the address space a process leaves at
// exec into its Maxrss: a child started straight from the benchmark
// process would report at least the benchmark's own RSS (with a seeded
// sandbox, hundreds of MB). So the command is started through a launcher
// (this test binary with AIVABATCH_BENCH_LAUNCH=1, see init), whose own
// RSS is that of a fresh process; the launcher runs the command, and
// writes its wall time, exit code and Maxrss to AIVABATCH_BENCH_RESULT.

type launchResult struct {
	Secs      float64 `json:"secs"`
	Exit      int     `json:"exit"`
	MaxRSSKiB int64   `json:"maxrss_kib"`
	Err       string  `json:"err,omitempty"`
}

func init() {
	if os.Getenv("AIVABATCH_BENCH_LAUNCH") == "1" {
		os.Exit(benchLaunch())
	}
}

func benchLaunch() int {
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AIVABATCH_BENCH_LAUNCH=") && !strings.HasPrefix(kv, "AIVABATCH_BENCH_RESULT=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "AIVABATCH_AS_MAIN=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	var res launchResult
	start := time.Now()
	err := cmd.Run()
	res.Secs = time.Since(start).Seconds()
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		res.Exit = ee.ExitCode()
	} else if err != nil {
		res.Exit, res.Err = -1, err.Error()
	}
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			res.MaxRSSKiB = ru.Maxrss
		}
	}
	raw, _ := json.Marshal(res)
	if err := os.WriteFile(os.Getenv("AIVABATCH_BENCH_RESULT"), raw, 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "launcher:", err)
		return 1
	}
	return 0
}

// runCommand runs aivabatch (this test binary, through the launcher) with
// args plus --summary-json (when withSummary), and returns its wall time,
// peak RSS and summary. wantExit lists the acceptable exit codes.
func runCommand(b *testing.B, env []string, wantExit []int, args ...string) procRun {
	b.Helper()
	return launch(b, env, wantExit, true, args...)
}

func launch(b *testing.B, env []string, wantExit []int, withSummary bool, args ...string) procRun {
	b.Helper()
	tmp := b.TempDir()
	sumPath := filepath.Join(tmp, "summary.json")
	resPath := filepath.Join(tmp, "launch.json")
	if withSummary {
		args = append(args, "--summary-json", sumPath)
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "AIVABATCH_BENCH_LAUNCH=1", "AIVABATCH_BENCH_RESULT="+resPath)
	cmd.Env = append(cmd.Env, env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.Stdout = io.Discard
	if err := cmd.Run(); err != nil {
		b.Fatalf("launching aivabatch %s: %v; stderr:\n%s", strings.Join(args, " "), err, stderr.String())
	}
	var res launchResult
	raw, err := os.ReadFile(resPath)
	if err == nil {
		err = json.Unmarshal(raw, &res)
	}
	if err != nil || res.Err != "" {
		b.Fatalf("aivabatch %s: %v %s; stderr:\n%s", strings.Join(args, " "), err, res.Err, stderr.String())
	}
	okExit := false
	for _, c := range wantExit {
		okExit = okExit || c == res.Exit
	}
	if !okExit {
		b.Fatalf("aivabatch %s: exit %d, want %v; stderr:\n%s", strings.Join(args, " "), res.Exit, wantExit, stderr.String())
	}
	r := procRun{secs: res.Secs, rssMB: float64(res.MaxRSSKiB) / 1024}
	if !withSummary {
		return r
	}
	raw, err = os.ReadFile(sumPath)
	if err != nil {
		b.Fatalf("aivabatch %s: no summary: %v; stderr:\n%s", strings.Join(args, " "), err, stderr.String())
	}
	if err := json.Unmarshal(raw, &r.sum); err != nil {
		b.Fatalf("summary %s: %v", raw, err)
	}
	return r
}

// floorRSS is the peak RSS of "aivabatch version": what the process costs
// before it does any work.
func floorRSS(b *testing.B) float64 {
	b.Helper()
	return launch(b, nil, []int{exitOK}, false, "version").rssMB
}

// ---- 1. validate CSV -----------------------------------------------------

func BenchmarkValidateCSV(b *testing.B) {
	benchNote(b)
	dir := b.TempDir()
	n := scaled(1_000_000, 1000)
	nSmall := max(100, n/10)
	const invalidEvery = 1000
	big := filepath.Join(dir, "customers.csv")
	small := filepath.Join(dir, "customers-small.csv")
	size := writeBenchCSV(b, big, n, invalidEvery)
	writeBenchCSV(b, small, nSmall, invalidEvery)
	b.Logf("input: %d rows, %.1f MB; small input %d rows", n, float64(size)/1e6, nSmall)
	wantInvalid := n / invalidEvery
	exits := []int{exitOK, exitRowProblems}

	var bare, smallRun, prodRun procRun
	for b.Loop() {
		// (a) bare encoding/csv read loop, in process.
		start := time.Now()
		f, err := os.Open(big)
		if err != nil {
			b.Fatal(err)
		}
		r := csv.NewReader(f)
		r.ReuseRecord = true
		r.FieldsPerRecord = -1
		rows := 0
		for {
			_, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rows++
		}
		f.Close()
		bare.secs = time.Since(start).Seconds()
		if rows != n+1 {
			b.Fatalf("bare read %d records, want %d", rows, n+1)
		}

		// (b) the command on the big and the small file.
		prodRun = runCommand(b, nil, exits, "validate", big, "--report", filepath.Join(dir, "R.csv"), "--no-progress", "--quiet")
		if prodRun.sum.Rows != n || prodRun.sum.Counts["invalid"] != wantInvalid {
			b.Fatalf("validate: %d rows, %d invalid; want %d, %d", prodRun.sum.Rows, prodRun.sum.Counts["invalid"], n, wantInvalid)
		}
		smallRun = runCommand(b, nil, exits, "validate", small, "--report", filepath.Join(dir, "R-small.csv"), "--no-progress", "--quiet")
		if smallRun.sum.Rows != nSmall {
			b.Fatalf("validate small: %d rows, want %d", smallRun.sum.Rows, nSmall)
		}
	}
	ratio := prodRun.secs / bare.secs
	rssRatio := prodRun.rssMB / smallRun.rssMB
	floor := floorRSS(b)
	b.ReportMetric(floor, "version_rss_MB")
	b.ReportMetric(bare.secs, "bare_csv_s")
	b.ReportMetric(prodRun.secs, "validate_s")
	b.ReportMetric(ratio, "validate/bare_ratio")
	b.ReportMetric(float64(n)/prodRun.secs, "validate_rows/s")
	b.ReportMetric(prodRun.rssMB, "validate_rss_MB")
	b.ReportMetric(smallRun.rssMB, "validate_small_rss_MB")
	b.ReportMetric(rssRatio, "rss_big/small_ratio")
	b.Logf("validate CSV %d rows: bare encoding/csv %.2fs, aivabatch validate %.2fs (%.0f rows/s): ratio %.2f [target ≤ 3: %s]",
		n, bare.secs, prodRun.secs, float64(n)/prodRun.secs, ratio, verdict(ratio <= 3))
	b.Logf("validate CSV peak RSS %.1f MB [target ≤ 64: %s]; %d rows %.1f MB: ratio %.2f [target ≤ 1.25: %s] (aivabatch version: %.1f MB)",
		prodRun.rssMB, verdict(prodRun.rssMB <= 64), nSmall, smallRun.rssMB, rssRatio, verdict(rssRatio <= 1.25), floor)
}

// benchControlsJob holds five value maps and five rules that every row of
// writeBenchCSV's file meets (its invalid rows stay the bad emails).
const benchControlsJob = `[values.status]
blocked = "inactive"
[values.type]
reseller = "partner"
[values.autoPayment]
yes = "true"
no = "false"
[values.firstName]
"Zoë" = "Zoe"
[values.lastName]
"Müller" = "Mueller"

[rules]
required = ["phone", "email"]
type = { allowed = ["individual", "business", "partner"] }
status = { allowed = ["active", "inactive"] }
value = { min = 0, max = 1000000 }
email = { pattern = '@example\.com$' }
`

// BenchmarkValidateCSVControls validates the 1,000,000-row CSV of
// BenchmarkValidateCSV without, then with, five value maps and five rules
// (a job file), in the same run: the throughput with them over without,
// each the mean of two runs.
func BenchmarkValidateCSVControls(b *testing.B) {
	benchNote(b)
	dir := b.TempDir()
	n := scaled(1_000_000, 1000)
	const invalidEvery = 1000
	big := filepath.Join(dir, "customers.csv")
	writeBenchCSV(b, big, n, invalidEvery)
	job := filepath.Join(dir, "controls.toml")
	if err := os.WriteFile(job, []byte(benchControlsJob), 0o600); err != nil {
		b.Fatal(err)
	}
	wantInvalid := n / invalidEvery
	exits := []int{exitOK, exitRowProblems}
	var plain, controlled procRun
	for b.Loop() {
		// In the order A B B A, each twice: a machine whose load drifts
		// during the run weighs on both alike.
		plain, controlled = procRun{}, procRun{}
		for _, withControls := range []bool{false, true, true, false} {
			args := []string{"validate", big, "--report", filepath.Join(dir, "R.csv"), "--no-progress", "--quiet"}
			into := &plain
			if withControls {
				args, into = append(args, "--job", job), &controlled
			}
			r := runCommand(b, nil, exits, args...)
			if r.sum.Rows != n || r.sum.Counts["invalid"] != wantInvalid {
				b.Fatalf("validate %q: %d rows, %d invalid; want %d, %d", args, r.sum.Rows, r.sum.Counts["invalid"], n, wantInvalid)
			}
			into.secs += r.secs / 2
		}
	}
	ratio := plain.secs / controlled.secs
	b.ReportMetric(float64(n)/plain.secs, "validate_rows/s")
	b.ReportMetric(float64(n)/controlled.secs, "controls_rows/s")
	b.ReportMetric(ratio, "controls/plain_ratio")
	b.Logf("validate CSV %d rows: %.2fs (%.0f rows/s); with 5 value maps and 5 rules %.2fs (%.0f rows/s): ratio %.2f [target ≥ 0.8: %s]",
		n, plain.secs, float64(n)/plain.secs, controlled.secs, float64(n)/controlled.secs, ratio, verdict(ratio >= 0.8))
}

// ---- 2. validate XLSX ----------------------------------------------------

func BenchmarkValidateXLSX(b *testing.B) {
	benchNote(b)
	dir := b.TempDir()
	n := scaled(100_000, 500)
	const invalidEvery = 1000
	path := filepath.Join(dir, "customers.xlsx")
	size := writeBenchXLSX(b, path, n, invalidEvery)
	b.Logf("input: %d rows, %.1f MB", n, float64(size)/1e6)

	var bareSecs float64
	var prodRun procRun
	for b.Loop() {
		// (a) bare excelize Rows + Columns loop.
		start := time.Now()
		f, err := excelize.OpenFile(path)
		if err != nil {
			b.Fatal(err)
		}
		rows, err := f.Rows(f.GetSheetName(0))
		if err != nil {
			b.Fatal(err)
		}
		got := 0
		for rows.Next() {
			if _, err := rows.Columns(); err != nil {
				b.Fatal(err)
			}
			got++
		}
		if err := rows.Close(); err != nil {
			b.Fatal(err)
		}
		f.Close()
		bareSecs = time.Since(start).Seconds()
		if got != n+1 {
			b.Fatalf("bare read %d rows, want %d", got, n+1)
		}

		// (b) the command, with an XLSX report.
		prodRun = runCommand(b, nil, []int{exitOK, exitRowProblems}, "validate", path, "--report", filepath.Join(dir, "R.xlsx"), "--no-progress", "--quiet")
		if prodRun.sum.Rows != n || prodRun.sum.Counts["invalid"] != n/invalidEvery {
			b.Fatalf("validate: %d rows, %d invalid; want %d, %d", prodRun.sum.Rows, prodRun.sum.Counts["invalid"], n, n/invalidEvery)
		}
	}
	ratio := prodRun.secs / bareSecs
	floor := floorRSS(b)
	b.ReportMetric(floor, "version_rss_MB")
	b.ReportMetric(bareSecs, "bare_excelize_s")
	b.ReportMetric(prodRun.secs, "validate_s")
	b.ReportMetric(ratio, "validate/bare_ratio")
	b.ReportMetric(float64(n)/prodRun.secs, "validate_rows/s")
	b.ReportMetric(prodRun.rssMB, "validate_rss_MB")
	b.Logf("validate XLSX %d rows: bare excelize Rows/Columns %.2fs, aivabatch validate (XLSX report) %.2fs: ratio %.2f [target ≤ 1.3: %s]; peak RSS %.1f MB [target ≤ 100: %s] (aivabatch version: %.1f MB)",
		n, bareSecs, prodRun.secs, ratio, verdict(ratio <= 1.3), prodRun.rssMB, verdict(prodRun.rssMB <= 100), floor)
}

// ---- 3. import -------------------------------------------------------------

// benchClient is configured as the CLI configures it (conn.go) for
// --workers workers and --rate rate.
func benchClient(tb testing.TB, url string, workers int, rate float64) *apiclient.Client {
	tb.Helper()
	c, err := apiclient.New(apiclient.Options{
		BaseURL: url, Token: sandbox.TokenReadWrite,
		Retries: 5, Timeout: 30 * time.Second, UserAgent: "aivabatch/bench",
		MaxIdleConns: workers + 1,
		Limiter:      apiclient.NewLimiter(rate, 1),
	})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// benchFields is what the import sends to create row i (batch/plan.go
// createFields after validation).
func benchFields(i int) apiclient.Fields {
	c := genCustomer(i)
	return apiclient.Fields{
		"firstName": c.first, "lastName": c.last, "name": c.first + " " + c.last,
		"email": c.email, "phone": c.phone, "status": c.status, "type": c.typ,
		"value": c.valueNum, "autoPayment": c.autoPayBool, "notes": c.notes,
	}
}

type importRun struct {
	secs    float64
	sum     *batch.Summary
	sbStats sandbox.Stats
}

// bareCreates sends the creates from workers goroutines through a client
// configured as the CLI's, into a fresh sandbox, and returns the seconds.
func bareCreates(b *testing.B, fields []apiclient.Fields, workers int) float64 {
	b.Helper()
	n := len(fields)
	sb := sandboxtest.NewServer(b, sandbox.Options{})
	client := benchClient(b, sb.URL, workers, 0)
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if _, err := client.CreateCustomer(context.Background(), fields[i], "bench-"+strconv.Itoa(i)); err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	if failed.Load() > 0 || sb.Count(sandbox.TenantDemo) != n {
		b.Fatalf("bare creates: %d failed, %d customers, want %d", failed.Load(), sb.Count(sandbox.TenantDemo), n)
	}
	return secs
}

// benchImport imports a CSV into a fresh sandbox built from opts, with the
// client the CLI would build for --workers workers --rate rate.
func benchImport(b *testing.B, csvPath string, opts sandbox.Options, workers int, rate float64) importRun {
	b.Helper()
	sb := sandboxtest.NewServer(b, opts)
	client := benchClient(b, sb.URL, workers, rate)
	report := filepath.Join(b.TempDir(), "import.report.csv")
	start := time.Now()
	sum, err := batch.Import(context.Background(), batch.ImportConfig{
		InputConfig: batch.InputConfig{Path: csvPath, Report: report},
		Client:      client, Workers: workers,
	})
	secs := time.Since(start).Seconds()
	if err != nil {
		b.Fatalf("import: %v", err)
	}
	return importRun{secs: secs, sum: sum, sbStats: sb.Stats()}
}

func BenchmarkImport(b *testing.B) {
	const workers = 8

	b.Run("throughput", func(b *testing.B) {
		benchNote(b)
		n := scaled(20_000, 500)
		path := filepath.Join(b.TempDir(), "import.csv")
		writeBenchCSV(b, path, n, 0)
		fields := make([]apiclient.Fields, n)
		for i := range fields {
			fields[i] = benchFields(i)
		}
		// Warm up (connections, heap, CPU frequency) so that neither
		// measurement pays for being first.
		bareCreates(b, fields[:min(len(fields), 1000)], workers)
		var bareSecs float64
		var imp importRun
		for b.Loop() {
			// (a) bare: the same creates from 8 goroutines, same client config.
			bareSecs = bareCreates(b, fields, workers)

			// (b) batch.Import of the same rows.
			imp = benchImport(b, path, sandbox.Options{}, workers, 0)
			if imp.sum.Counts[batch.ResultCreated] != n {
				b.Fatalf("import: %v", imp.sum.Counts)
			}
		}
		bareRate, impRate := float64(n)/bareSecs, float64(n)/imp.secs
		ratio := impRate / bareRate
		b.ReportMetric(bareRate, "bare_rows/s")
		b.ReportMetric(impRate, "import_rows/s")
		b.ReportMetric(ratio, "import/bare_ratio")
		b.Logf("import %d rows, %d workers, no rate limit: bare creates %.0f rows/s (%.2fs), batch.Import %.0f rows/s (%.2fs): ratio %.2f [target ≥ 0.8: %s]",
			n, workers, bareRate, bareSecs, impRate, imp.secs, ratio, verdict(ratio >= 0.8))
	})

	b.Run("rate200", func(b *testing.B) {
		benchNote(b)
		n := scaled(4_000, 400)
		path := filepath.Join(b.TempDir(), "import.csv")
		writeBenchCSV(b, path, n, 0)
		var imp importRun
		for b.Loop() {
			imp = benchImport(b, path, sandbox.Options{Latency: 20 * time.Millisecond}, workers, 200)
			if imp.sum.Counts[batch.ResultCreated] != n {
				b.Fatalf("import: %v", imp.sum.Counts)
			}
		}
		got := float64(n) / imp.secs
		ratio := got / 200
		b.ReportMetric(got, "rows/s")
		b.ReportMetric(ratio, "achieved/rate_ratio")
		b.Logf("import %d rows, --rate 200, %d workers, 20ms server latency: %.1f rows/s in %.2fs: ratio to 200 %.3f [target ≥ 0.97: %s]",
			n, workers, got, imp.secs, ratio, verdict(ratio >= 0.97))
	})

	b.Run("throttled", func(b *testing.B) {
		benchNote(b)
		n := scaled(2_000, 300) // about 20 s at the server's 100 req/s
		path := filepath.Join(b.TempDir(), "import.csv")
		writeBenchCSV(b, path, n, 0)
		var imp importRun
		for b.Loop() {
			imp = benchImport(b, path, sandbox.Options{RateLimit: 100}, workers, 400)
		}
		total := imp.sbStats.Requests.Total()
		accepted := total - imp.sbStats.Throttled
		reqRate := float64(accepted) / imp.secs
		share := float64(imp.sbStats.Throttled) / float64(total)
		created := imp.sum.Counts[batch.ResultCreated]
		b.ReportMetric(reqRate, "accepted_req/s")
		b.ReportMetric(float64(total)/imp.secs, "sent_req/s")
		b.ReportMetric(100*share, "429_%")
		b.ReportMetric(float64(created)/imp.secs, "rows/s")
		b.Logf("import %d rows, --rate 400 against a 100 req/s server limit, %d workers: %.2fs, %d requests (%d answered 429), %d created, %d failed",
			n, workers, imp.secs, total, imp.sbStats.Throttled, created, imp.sum.Counts[batch.ResultFailed])
		b.Logf("accepted %.1f req/s [target ≥ 90: %s]; 429 share %.2f%% [target ≤ 5%%: %s]",
			reqRate, verdict(reqRate >= 90), 100*share, verdict(share <= 0.05))
		if created != n {
			b.Errorf("throttled import: %d of %d rows created: %v", created, n, imp.sum.Counts)
		}
	})
}

// ---- 4. export -------------------------------------------------------------

// bareCustomer mirrors the API object without apiclient's decoder.
type bareCustomer struct {
	ID          string  `json:"id"`
	FirstName   string  `json:"firstName"`
	LastName    string  `json:"lastName"`
	Name        string  `json:"name"`
	Email       string  `json:"email"`
	Phone       string  `json:"phone"`
	Status      string  `json:"status"`
	Type        string  `json:"type"`
	Value       float64 `json:"value"`
	AutoPayment bool    `json:"autoPayment"`
	Notes       string  `json:"notes"`
	CreatedAt   string  `json:"createdAt"`
	UpdatedAt   string  `json:"updatedAt"`
}

// bareList streams GET /customers through encoding/json.Decoder.
func bareList(b *testing.B, url string) int {
	b.Helper()
	req, err := http.NewRequest(http.MethodGet, url+"/customers", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+sandbox.TokenReadWrite)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("GET /customers: %s", resp.Status)
	}
	dec := json.NewDecoder(resp.Body)
	if _, err := dec.Token(); err != nil {
		b.Fatal(err)
	}
	n := 0
	var c bareCustomer
	for dec.More() {
		c = bareCustomer{}
		if err := dec.Decode(&c); err != nil {
			b.Fatal(err)
		}
		n++
	}
	if _, err := dec.Token(); err != nil {
		b.Fatal(err)
	}
	return n
}

func BenchmarkExport(b *testing.B) {
	benchNote(b)
	n := scaled(1<<20, 2000) // Excel's 1,048,576 rows a sheet: the XLSX goes on to a second one
	sb := sandboxtest.NewServer(b, sandbox.Options{})
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	seedStart := time.Now()
	err := sb.Seed(sandbox.TenantDemo, n, func(i int) apiclient.Customer {
		c := genCustomer(i)
		at := base.Add(time.Duration(i) * time.Second).Format(time.RFC3339Nano)
		return apiclient.Customer{
			FirstName: c.first, LastName: c.last, Name: c.first + " " + c.last, Email: c.email,
			Phone: c.phone, Status: c.status, Type: c.typ, Value: c.valueNum, AutoPayment: c.autoPayBool,
			Notes: c.notes, CreatedAt: at, UpdatedAt: at,
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("sandbox seeded with %d customers in %.1fs", n, time.Since(seedStart).Seconds())
	dir := b.TempDir()
	env := []string{"AIVA_API_URL=" + sb.URL, "AIVA_TOKEN=" + sandbox.TokenReadWrite}
	export := func(name string) procRun {
		out := filepath.Join(dir, name)
		r := runCommand(b, env, []int{exitOK}, "export", "-o", out, "--no-progress", "--quiet")
		if r.sum.Rows != n {
			b.Fatalf("export %s: %d rows, want %d", name, r.sum.Rows, n)
		}
		if _, err := os.Stat(out); err != nil {
			b.Fatal(err)
		}
		return r
	}

	var bareSecs float64
	var csvRun, ndRun, xlRun procRun
	for b.Loop() {
		start := time.Now()
		if got := bareList(b, sb.URL); got != n {
			b.Fatalf("bare list: %d customers, want %d", got, n)
		}
		bareSecs = time.Since(start).Seconds()
		csvRun = export("out.csv")
		ndRun = export("out.ndjson")
		xlRun = export("out.xlsx")
	}
	csvRatio, ndRatio := csvRun.secs/bareSecs, ndRun.secs/bareSecs
	xlRate := float64(n) / xlRun.secs
	floor := floorRSS(b)
	b.ReportMetric(floor, "version_rss_MB")
	b.ReportMetric(bareSecs, "bare_list_s")
	b.ReportMetric(csvRun.secs, "csv_s")
	b.ReportMetric(ndRun.secs, "ndjson_s")
	b.ReportMetric(xlRun.secs, "xlsx_s")
	b.ReportMetric(csvRatio, "csv/bare_ratio")
	b.ReportMetric(ndRatio, "ndjson/bare_ratio")
	b.ReportMetric(xlRun.secs/bareSecs, "xlsx/bare_ratio")
	b.ReportMetric(csvRun.rssMB, "csv_rss_MB")
	b.ReportMetric(ndRun.rssMB, "ndjson_rss_MB")
	b.ReportMetric(xlRun.rssMB, "xlsx_rss_MB")
	b.ReportMetric(xlRate, "xlsx_rows/s")
	b.Logf("export %d customers: bare json.Decoder list %.2fs; -o out.csv %.2fs ratio %.2f [target ≤ 1.3: %s]; -o out.ndjson %.2fs ratio %.2f [target ≤ 1.3: %s]",
		n, bareSecs, csvRun.secs, csvRatio, verdict(csvRatio <= 1.3), ndRun.secs, ndRatio, verdict(ndRatio <= 1.3))
	b.Logf("export peak RSS: csv %.1f MB [target ≤ 64: %s], ndjson %.1f MB [target ≤ 64: %s] (aivabatch version: %.1f MB)",
		csvRun.rssMB, verdict(csvRun.rssMB <= 64), ndRun.rssMB, verdict(ndRun.rssMB <= 64), floor)
	b.Logf("export -o out.xlsx %.2fs: %.0f rows/s [target ≥ 50000: %s], peak RSS %.1f MiB [target ≤ 256: %s]",
		xlRun.secs, xlRate, verdict(xlRate >= 50_000), xlRun.rssMB, verdict(xlRun.rssMB <= 256))
}
