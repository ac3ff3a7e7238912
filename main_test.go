package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"aivabatch/apiclient"
	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
	"aivabatch/batch"
	"aivabatch/formats"
)

// TestMain lets the test binary act as the aivabatch binary when
// AIVABATCH_AS_MAIN is set, so that tests can run it as a process (and
// kill it) without a separate build.
//
// The tests of this package mostly wait (on the processes they run and
// on the sandbox's latency), so that -parallel's default, GOMAXPROCS,
// would leave the machine idle: unless -parallel is given, eight
// parallel tests run at once.
func TestMain(m *testing.M) {
	if os.Getenv("AIVABATCH_AS_MAIN") == "1" {
		if n, err := strconv.ParseUint(os.Getenv("AIVABATCH_TEST_FSIZE"), 10, 64); err == nil {
			// No file may grow past n bytes (EFBIG): a full disk, for
			// the files that grow largest.
			syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: n, Max: n})
		}
		main()
		return
	}
	flag.Parse()
	parallelGiven := false
	flag.Visit(func(f *flag.Flag) { parallelGiven = parallelGiven || f.Name == "test.parallel" })
	if !parallelGiven {
		flag.Set("test.parallel", strconv.Itoa(max(8, runtime.GOMAXPROCS(0))))
	}
	os.Exit(m.Run())
}

// testIO returns an IO with buffers and the given environment.
func testIO(env map[string]string) (*IO, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &IO{In: strings.NewReader(""), Out: &out, ErrOut: &errOut,
		Getenv: func(k string) string { return env[k] }}, &out, &errOut
}

func writeLines(t *testing.T, path string, lines ...string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestExitCodes(t *testing.T) {
	t.Parallel()
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	dir := t.TempDir()
	good := writeLines(t, filepath.Join(dir, "good.csv"), "name,email", "Ana,ana@example.com", "Bo,bo@example.com")
	bad := writeLines(t, filepath.Join(dir, "bad.csv"), "name,email", "Cy,cy@example.com", ",nope")
	unknown := writeLines(t, filepath.Join(dir, "unknown.csv"), "name,email,Company", "Di,di@example.com,X")
	fresh := writeLines(t, filepath.Join(dir, "fresh.csv"), "name,email", "Fi,fi@example.com")
	rw := map[string]string{"AIVA_API_URL": sb.URL, "AIVA_TOKEN": sandbox.TokenReadWrite}
	ro := map[string]string{"AIVA_API_URL": sb.URL, "AIVA_TOKEN": sandbox.TokenReadOnly}
	interrupted, cancel := context.WithCancelCause(context.Background())
	cancel(errInterrupted)
	tests := []struct {
		name    string
		ctx     context.Context
		env     map[string]string
		args    []string
		stdin   string
		want    int
		wantErr string // substring of stderr
	}{
		{name: "all rows created", env: rw, args: []string{"import", good, "--no-progress"}, want: exitOK},
		{name: "validate clean file", args: []string{"validate", good}, want: exitOK},
		{name: "some rows invalid", env: rw, args: []string{"import", bad}, want: exitRowProblems, wantErr: `email: "nope" is not a valid email address`},
		{name: "validate invalid rows", args: []string{"validate", bad}, want: exitRowProblems},
		{name: "unknown column", args: []string{"validate", unknown}, want: exitInput, wantErr: `--map "Company=-"`},
		{name: "missing token", args: []string{"import", good}, want: exitInput, wantErr: "set AIVA_TOKEN or pass --token-file"},
		{name: "bad flag", args: []string{"import", good, "--workers", "x"}, want: exitInput, wantErr: "aivabatch:"},
		{name: "timeout not positive", env: rw, args: []string{"import", good, "--timeout", "-1s"}, want: exitInput, wantErr: "--timeout must be more than 0, e.g. 30s"},
		{name: "plain http refused", env: map[string]string{"AIVA_API_URL": "http://example.com/api", "AIVA_TOKEN": "aiva_x"}, args: []string{"import", good}, want: exitInput, wantErr: "https"},
		{name: "read-only token aborts", env: ro, args: []string{"import", fresh, "--report", filepath.Join(dir, "ro.report.csv")}, want: exitAborted, wantErr: "customers:write"},
		{name: "interrupted", ctx: interrupted, env: rw, args: []string{"import", good, "--report", filepath.Join(dir, "int.report.csv")}, want: exitInterrupted, wantErr: "interrupted"},
		{name: "help", args: []string{"import", "--help"}, want: exitOK},
		{name: "stdin needs --format", env: rw, args: []string{"import", "-"}, want: exitInput, wantErr: "--format"},
		{name: "stdin ndjson", env: rw, stdin: `{"name":"Eve","email":"eve@example.com","autoPayment":true}` + "\n", args: []string{"import", "-", "--format", "ndjson", "--report", filepath.Join(dir, "stdin.report.csv")}, want: exitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := tt.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			stdio, _, errOut := testIO(tt.env)
			stdio.In = strings.NewReader(tt.stdin)
			if got := run(ctx, tt.args, stdio); got != tt.want {
				t.Errorf("exit %d, want %d; stderr:\n%s", got, tt.want, errOut)
			}
			if !strings.Contains(errOut.String(), tt.wantErr) {
				t.Errorf("stderr does not contain %q:\n%s", tt.wantErr, errOut)
			}
			if strings.Contains(errOut.String(), sandbox.TokenReadWrite) || strings.Contains(errOut.String(), sandbox.TokenReadOnly) {
				t.Errorf("stderr shows the token:\n%s", errOut)
			}
		})
	}
	// The interrupted run still wrote a complete report.
	rows := 0
	r, err := formats.OpenReader(filepath.Join(dir, "int.report.csv"), formats.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for {
		row, err := r.Next()
		if err != nil {
			break
		}
		rows++
		if row.Cells[1] != string(batch.ResultNotAttempted) {
			t.Errorf("interrupted before start: row %s is %s", row.Cells[0], row.Cells[1])
		}
	}
	if rows != 2 {
		t.Errorf("interrupted report has %d rows, want 2", rows)
	}
}

// startSandbox runs `aivabatch sandbox` as a process on a free loopback
// port and returns its base URL; it is stopped with SIGINT when the test
// ends.
func startSandbox(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"sandbox", "--addr", "127.0.0.1:0", "--reset",
		"--data", filepath.Join(t.TempDir(), "sandbox.json")}, args...)...)
	cmd.Env = append(os.Environ(), "AIVABATCH_AS_MAIN=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if url, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "base URL:"); ok {
			go func() {
				for sc.Scan() {
				}
			}()
			return strings.TrimSpace(url)
		}
	}
	t.Fatal("the sandbox printed no base URL")
	return ""
}

// tenantCustomers lists the customers through the API.
func tenantCustomers(t *testing.T, url string) []apiclient.Customer {
	t.Helper()
	c, err := apiclient.New(apiclient.Options{BaseURL: url, Token: sandbox.TokenReadWrite, Retries: 3})
	if err != nil {
		t.Fatal(err)
	}
	var out []apiclient.Customer
	for cu, err := range c.ListCustomers(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, cu)
	}
	return out
}

// TestKillAndResume runs the real command as a process against
// `aivabatch sandbox --latency` in another process, kills the import with
// SIGKILL part way through, and resumes: the tenant ends with exactly one
// customer per valid row and the final report is complete.
func TestKillAndResume(t *testing.T) {
	t.Parallel()
	url := startSandbox(t, "--latency", "2ms")
	dir := t.TempDir()
	const n = 3000
	lines := []string{"name,email,phone"}
	for i := 1; i <= n; i++ {
		lines = append(lines, fmt.Sprintf("Person %d,p%d@example.com,+1 555 %04d", i, i, i))
	}
	lines = append(lines, "No Email,,") // one invalid row
	in := writeLines(t, filepath.Join(dir, "big.csv"), lines...)
	report := filepath.Join(dir, "big.report.csv")

	// Kill once a good share of the creates went out (counted from the
	// verbose log, not by waiting for time to pass).
	cmd, _, done := startImport(t, url, []string{in, "--rate", "0", "--workers", "8", "--timeout", "2s"}, n/3, nil)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	<-done
	if got := len(tenantCustomers(t, url)); got == 0 || got >= n {
		t.Fatalf("after the kill the tenant has %d customers; want a partial import", got)
	}
	if _, err := os.Stat(batch.JournalPath(report)); err != nil {
		t.Fatalf("no journal after kill -9: %v", err)
	}

	stdio, _, errOut := testIO(map[string]string{"AIVA_API_URL": url, "AIVA_TOKEN": sandbox.TokenReadWrite})
	if code := run(context.Background(), []string{"import", in, "--rate", "0"}, stdio); code != exitInput || !strings.Contains(errOut.String(), "--resume") {
		t.Fatalf("a run over an unfinished one: exit %d, want 2 and a hint to --resume; stderr:\n%s", code, errOut)
	}
	if code := run(context.Background(), []string{"import", in, "--resume", "--rate", "0", "--workers", "8"}, stdio); code != exitRowProblems {
		t.Fatalf("resume exit %d, want 1 (one invalid row); stderr:\n%s", code, errOut)
	}
	custs := tenantCustomers(t, url)
	if len(custs) != n {
		t.Errorf("tenant has %d customers, want %d", len(custs), n)
	}
	seen := map[string]int{}
	for _, c := range custs {
		seen[c.Email]++
		if seen[c.Email] > 1 {
			t.Errorf("duplicate customer %s", c.Email)
		}
	}
	r, err := formats.OpenReader(report, formats.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rows := map[string]bool{}
	for {
		row, err := r.Next()
		if err != nil {
			break
		}
		if rows[row.Cells[0]] {
			t.Errorf("row %s twice in the report", row.Cells[0])
		}
		rows[row.Cells[0]] = true
		switch res := row.Cells[1]; res {
		case "created", "skipped":
			if row.Cells[2] == "" {
				t.Errorf("row %s %s without a customer id", row.Cells[0], res)
			}
		case "invalid":
			if row.Cells[0] != fmt.Sprint(n+2) {
				t.Errorf("row %s invalid", row.Cells[0])
			}
		default:
			t.Errorf("row %s: %s %s", row.Cells[0], res, row.Cells[4])
		}
	}
	if len(rows) != n+1 {
		t.Errorf("final report has %d rows, want %d", len(rows), n+1)
	}
}

// startImport runs the CLI as a process with --verbose and returns once
// it has sent n creates (counted from its log, not by waiting).
// noticed, when not nil, is closed once the command says it saw a signal.
func startImport(t *testing.T, apiURL string, args []string, n int, noticed chan struct{}) (*exec.Cmd, *bytes.Buffer, chan struct{}) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"import", "--verbose", "--no-progress"}, args...)...)
	cmd.Env = append(os.Environ(), "AIVABATCH_AS_MAIN=1", "AIVA_API_URL="+apiURL, "AIVA_TOKEN="+sandbox.TokenReadWrite)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	sc := bufio.NewScanner(stderr)
	posts := 0
	for posts < n && sc.Scan() {
		log.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "POST") {
			posts++
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if noticed != nil && strings.Contains(sc.Text(), "aivabatch: interrupted") {
				close(noticed)
				noticed = nil
			}
		}
	}()
	return cmd, &log, done
}

// TestSignals sends SIGINT to the running command: it finishes the
// requests in flight, writes a complete report and exits 130. Two signals
// stop it at once, still exit 130, and leave the journal for --resume.
func TestSignals(t *testing.T) {
	t.Parallel()
	for _, twice := range []bool{false, true} {
		t.Run(fmt.Sprintf("twice=%v", twice), func(t *testing.T) {
			// With two signals, requests in flight must still be running
			// when the second arrives: a long latency makes sure of it.
			latency, posts := 2*time.Millisecond, 200
			if twice {
				latency, posts = 500*time.Millisecond, 8
			}
			sb := sandboxtest.NewServer(t, sandbox.Options{Latency: latency})
			dir := t.TempDir()
			lines := []string{"name,email"}
			for i := 1; i <= 2000; i++ {
				lines = append(lines, fmt.Sprintf("P %d,p%d@example.com", i, i))
			}
			in := writeLines(t, filepath.Join(dir, "in.csv"), lines...)
			seen := make(chan struct{})
			cmd, log, done := startImport(t, sb.URL, []string{in, "--rate", "0", "--workers", "4"}, posts, seen)
			cmd.Process.Signal(os.Interrupt)
			if twice {
				// Signals do not queue: send the second once the first
				// was seen.
				<-seen
				cmd.Process.Signal(os.Interrupt)
			}
			cmd.Wait()
			<-done
			if code := cmd.ProcessState.ExitCode(); code != exitInterrupted {
				t.Fatalf("exit %d, want 130; log tail:\n%s", code, tail(log.String()))
			}
			if strings.Contains(log.String(), sandbox.TokenReadWrite) {
				t.Error("the verbose log shows the token")
			}
			report := filepath.Join(dir, "in.report.csv")
			if twice {
				if _, err := os.Stat(batch.JournalPath(report)); err != nil {
					t.Errorf("no journal after a second signal: %v", err)
				}
				return
			}
			r, err := formats.OpenReader(report, formats.ReaderOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			rows, created := 0, 0
			for {
				row, err := r.Next()
				if err != nil {
					break
				}
				rows++
				if row.Cells[1] == "created" {
					created++
				}
			}
			if rows != 2000 || created != sb.Count(sandbox.TenantDemo) {
				t.Errorf("report: %d rows, %d created; server: %d customers", rows, created, sb.Count(sandbox.TenantDemo))
			}
			if _, err := os.Stat(batch.JournalPath(report)); err == nil {
				t.Error("journal left although the report is complete")
			}
		})
	}
}

func tail(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}
