package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"aivabatch/apiclient/sandbox"
)

// TestIncrementalExportKilledBeforeRename: a nightly export killed with
// SIGKILL while it lists (the real command, against a slow sandbox in
// its own process) leaves the state and the previous output as they
// were; the next run takes over the dead run's lock and exports the
// same customers again.
func TestIncrementalExportKilledBeforeRename(t *testing.T) {
	t.Parallel()
	url := startSandbox(t, "--latency", "2s")
	env := map[string]string{"AIVA_API_URL": url, "AIVA_TOKEN": sandbox.TokenReadWrite}
	dir := t.TempDir()
	in := writeLines(t, filepath.Join(dir, "c.csv"), "name,email", "Ana,ana@example.com", "Bo,bo@example.com")
	stdio, _, errOut := testIO(env)
	if code := run(context.Background(), []string{"import", in, "--no-progress", "--rate", "0"}, stdio); code != exitOK {
		t.Fatalf("import: exit %d\n%s", code, errOut)
	}
	state, out := filepath.Join(dir, "nightly.state"), filepath.Join(dir, "changed.csv")
	must(t, os.WriteFile(out, []byte("yesterday's file\n"), 0o600))

	cmd := exec.Command(os.Args[0], "export", "-o", out, "--state", state, "--verbose", "--no-progress")
	cmd.Env = append(os.Environ(), "AIVABATCH_AS_MAIN=1", "AIVA_API_URL="+url, "AIVA_TOKEN="+sandbox.TokenReadWrite)
	stderr, err := cmd.StderrPipe()
	must(t, err)
	must(t, cmd.Start())
	sc := bufio.NewScanner(stderr)
	for sc.Scan() && !strings.Contains(sc.Text(), "GET") {
	} // the list request is on its way: the run is between lock and rename
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Errorf("the killed run wrote the state (%v)", err)
	}
	if b, _ := os.ReadFile(out); string(b) != "yesterday's file\n" {
		t.Errorf("the killed run replaced the output: %q", b)
	}
	if got := exportedEmails(t, env, out, "--state", state); strings.Join(got, " ") != "ana@example.com bo@example.com" {
		t.Errorf("the run after the kill exported %v, want both customers", got)
	}
	if _, err := os.Stat(state); err != nil {
		t.Errorf("no state after the good run: %v", err)
	}
}
