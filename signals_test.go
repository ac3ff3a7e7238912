package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
	"aivabatch/batch"
	"aivabatch/formats"
)

// TestInterruptMessages: what each command says on a first and a second
// signal, and when it exits on one, is true for that command: only a
// real import has a journal and --resume; validate's report is not
// complete; export's file is not replaced.
func TestInterruptMessages(t *testing.T) {
	t.Parallel()
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	env := map[string]string{"AIVA_API_URL": sb.URL, "AIVA_TOKEN": sandbox.TokenReadWrite}
	dir := t.TempDir()
	in := writeLines(t, filepath.Join(dir, "in.csv"), "name,email", "Ana,ana@example.com", "Bo,bo@example.com")
	out := filepath.Join(dir, "out.csv")
	tests := []struct {
		name string
		args []string
		// want and wantNot are substrings of the three messages: first
		// signal, exit on the signal, second signal.
		want, wantNot [3]string
	}{
		{"import", []string{"import", in, "--report", filepath.Join(dir, "i.csv")},
			[3]string{"finishing the requests in flight", "report " + filepath.Join(dir, "i.csv") + " is complete", "journal"},
			[3]string{"\x00", "incomplete", "\x00"}},
		{"import --resume hint", []string{"import", in, "--report", filepath.Join(dir, "j.csv")},
			[3]string{"Ctrl-C again", "--resume", "--resume"}, [3]string{"\x00", "\x00", "\x00"}},
		{"import --dry-run", []string{"import", in, "--dry-run"},
			[3]string{"dry-run report", "dry-run report", "nothing was changed"},
			[3]string{"--resume", "--resume", "journal"}},
		{"validate", []string{"validate", in, "--report", filepath.Join(dir, "v.csv")},
			[3]string{"closing the report", "report " + filepath.Join(dir, "v.csv") + " is incomplete", "incomplete"},
			[3]string{"--resume", "--resume", "journal holds"}},
		{"export to a file", []string{"export", "-o", out},
			[3]string{out + " is not replaced", out + " was not written", out + " was not replaced"},
			[3]string{"report", "report", "journal"}},
		{"export to stdout", []string{"export"},
			[3]string{"stopping the list", "stdout is incomplete", "stdout is incomplete"},
			[3]string{"report", "--resume", "journal"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancelCause(context.Background())
			cancel(errInterrupted)
			stdio, _, errOut := testIO(env)
			if code := run(ctx, append(tt.args, "--no-progress"), stdio); code != exitInterrupted {
				t.Fatalf("exit %d, want 130; stderr:\n%s", code, errOut)
			}
			exitMsg := lastLine(errOut.String())
			errOut.Reset()
			sigs := make(chan os.Signal, 2)
			sigs <- os.Interrupt
			sigs <- syscall.SIGTERM
			exited := -1
			handleSignals(sigs, stdio, func(error) {}, func(code int) { exited = code })
			if exited != exitInterrupted {
				t.Errorf("second signal exits %d, want 130", exited)
			}
			lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
			if len(lines) != 2 {
				t.Fatalf("want two signal lines, got:\n%s", errOut)
			}
			msgs := [3]string{lines[0], exitMsg, lines[1]}
			for i, m := range msgs {
				if !strings.HasPrefix(m, "aivabatch: ") {
					t.Errorf("%q does not start with aivabatch:", m)
				}
				if !strings.Contains(m, tt.want[i]) {
					t.Errorf("message %d %q does not say %q", i, m, tt.want[i])
				}
				if strings.Contains(m, tt.wantNot[i]) {
					t.Errorf("message %d %q says %q", i, m, tt.wantNot[i])
				}
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was written by an interrupted export", out)
			}
		})
	}
	if n := sb.Count(sandbox.TenantDemo); n != 0 {
		t.Errorf("interrupted runs created %d customers", n)
	}
}

// TestSandboxSecondSignal: the sandbox says that a second signal loses
// what it has not saved.
func TestSandboxSecondSignal(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errInterrupted)
	stdio, _, errOut := testIO(nil)
	run(ctx, []string{"sandbox", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "s.json")}, stdio)
	errOut.Reset()
	sigs := make(chan os.Signal, 2)
	sigs <- os.Interrupt
	sigs <- os.Interrupt
	handleSignals(sigs, stdio, func(error) {}, func(int) {})
	if got := errOut.String(); !strings.Contains(got, "saving the sandbox state") || !strings.Contains(got, "without saving") || strings.Contains(got, "journal") {
		t.Errorf("sandbox signal lines:\n%s", got)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// TestHangup: an ssh session that drops sends SIGHUP and takes stderr
// with it. The import (the real command, as a process) winds down as on
// SIGTERM: requests in flight finish, the report is complete, exit 130,
// and the journal is gone.
func TestHangup(t *testing.T) {
	t.Parallel()
	sb := sandboxtest.NewServer(t, sandbox.Options{Latency: 2 * time.Millisecond})
	dir := t.TempDir()
	const n = 2000
	lines := []string{"name,email"}
	for i := 1; i <= n; i++ {
		lines = append(lines, fmt.Sprintf("P %d,p%d@example.com", i, i))
	}
	in := writeLines(t, filepath.Join(dir, "in.csv"), lines...)
	cmd := aivabatchCmd(sb.URL, "import", "--verbose", "--no-progress", in, "--rate", "0", "--workers", "4")
	stderr, err := cmd.StderrPipe()
	must(t, err)
	must(t, cmd.Start())
	sc := bufio.NewScanner(stderr)
	for posts := 0; posts < 200 && sc.Scan(); {
		if strings.Contains(sc.Text(), "POST") {
			posts++
		}
	}
	cmd.Process.Signal(syscall.SIGHUP)
	stderr.Close() // the session is gone: nobody reads stderr any more
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted {
		t.Fatalf("exit %d (%v), want 130", code, cmd.ProcessState)
	}
	report := filepath.Join(dir, "in.report.csv")
	r, err := formats.OpenReader(report, formats.ReaderOptions{})
	must(t, err)
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
	if rows != n || created == 0 || created != sb.Count(sandbox.TenantDemo) {
		t.Errorf("report: %d rows, %d created; server: %d customers", rows, created, sb.Count(sandbox.TenantDemo))
	}
	if _, err := os.Stat(batch.JournalPath(report)); err == nil {
		t.Error("journal left although the report is complete")
	}
}
