package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"aivabatch/apiclient/sandbox"
)

// openPTY opens a pseudo-terminal: its master, and the slave a command
// sees as its terminal.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("no pseudo-terminal: %v", err)
	}
	var n int
	rc, err := m.SyscallConn()
	if err == nil {
		cerr := rc.Control(func(fd uintptr) {
			if err = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); err == nil {
				n, err = unix.IoctlGetInt(int(fd), unix.TIOCGPTN)
			}
		})
		if err == nil {
			err = cerr
		}
	}
	if err != nil {
		m.Close()
		t.Fatalf("unlocking the pseudo-terminal: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Fatalf("opening /dev/pts/%d: %v", n, err)
	}
	return m, s
}

// runOnTerminal runs aivabatch with a pseudo-terminal as its standard
// input and error. When the terminal shows a question ending in
// "[y/N] ", answer is typed. It returns the exit code and what the
// terminal showed.
func runOnTerminal(t *testing.T, env map[string]string, answer string, args ...string) (int, string) {
	t.Helper()
	master, slave := openPTY(t)
	defer master.Close()
	shown := make(chan string)
	go func() {
		var seen bytes.Buffer
		buf := make([]byte, 4096)
		answered := false
		for {
			n, err := master.Read(buf)
			seen.Write(buf[:n])
			if !answered && strings.Contains(seen.String(), "[y/N] ") {
				answered = true
				master.Write([]byte(answer + "\n"))
			}
			if err != nil { // the slave was closed: the command ended
				shown <- seen.String()
				return
			}
		}
	}()
	stdio, out, _ := testIO(env)
	stdio.In, stdio.ErrOut = slave, slave
	code := run(context.Background(), args, stdio)
	slave.Close()
	return code, <-shown + out.String()
}

// TestConfirmDeletesOnATerminal: on a terminal, a mirror says how many
// customers it will delete and asks: "n" deletes nothing (exit 3), "y"
// deletes them, --yes asks nothing; rows that delete (mode delete) are
// counted and asked about before anything is sent.
func TestConfirmDeletesOnATerminal(t *testing.T) {
	sb := seedMirror(t, 100)
	dir := t.TempDir()
	in := mirrorCSV(t, filepath.Join(dir, "in.csv"), 100, map[int]bool{7: true, 8: true})
	env := map[string]string{"AIVA_API_URL": sb.URL, "AIVA_TOKEN": sandbox.TokenReadWrite}

	code, shown := runOnTerminal(t, env, "n", "import", in, "--delete-missing")
	if code != exitAborted || sb.Count(sandbox.TenantDemo) != 100 || sb.Stats().Requests.Delete != 0 {
		t.Fatalf(`answered "n": exit %d, %d customers; terminal:\n%s`, code, sb.Count(sandbox.TenantDemo), shown)
	}
	if !strings.Contains(shown, "2 customers of the tenant in no row of "+in+" will be deleted. Delete them? [y/N] ") || !strings.Contains(shown, "nothing was deleted: the deletes were not confirmed") {
		t.Errorf("the question or the answer to no:\n%s", shown)
	}

	code, shown = runOnTerminal(t, env, "y", "import", in, "--delete-missing")
	if code != exitOK || sb.Count(sandbox.TenantDemo) != 98 {
		t.Fatalf(`answered "y": exit %d, %d customers; terminal:\n%s`, code, sb.Count(sandbox.TenantDemo), shown)
	}

	rows := writeLines(t, filepath.Join(dir, "del.csv"), "email", "m10@example.com", "m11@example.com", "m12@example.com")
	code, shown = runOnTerminal(t, env, "no", "import", rows, "--mode", "delete")
	if code != exitAborted || sb.Count(sandbox.TenantDemo) != 98 || !strings.Contains(shown, "3 rows of "+rows+" delete customers. Delete them? [y/N] ") {
		t.Fatalf(`mode delete, answered "no": exit %d, %d customers; terminal:\n%s`, code, sb.Count(sandbox.TenantDemo), shown)
	}
	mixed := writeLines(t, filepath.Join(dir, "mixed.csv"), "name,email,action", "Mirror 20,m20@example.com,upsert", ",m21@example.com,delete")
	code, shown = runOnTerminal(t, env, "", "import", mixed)
	if code != exitAborted || sb.Count(sandbox.TenantDemo) != 98 || !strings.Contains(shown, "1 row of "+mixed+" deletes a customer. Delete it? [y/N] ") {
		t.Fatalf(`an action delete row, answered "": exit %d, %d customers; terminal:\n%s`, code, sb.Count(sandbox.TenantDemo), shown)
	}
	code, shown = runOnTerminal(t, env, "", "import", rows, "--mode", "delete", "--yes")
	if code != exitOK || sb.Count(sandbox.TenantDemo) != 95 || strings.Contains(shown, "[y/N]") {
		t.Fatalf("--yes: exit %d, %d customers; terminal:\n%s", code, sb.Count(sandbox.TenantDemo), shown)
	}
	// No terminal: nothing is asked, and the cap still holds.
	stdio, _, errOut := testIO(env)
	few := mirrorCSV(t, filepath.Join(dir, "few.csv"), 50, map[int]bool{7: true, 8: true, 10: true, 11: true, 12: true})
	deletes := sb.Stats().Requests.Delete
	if code := run(context.Background(), []string{"import", few, "--delete-missing"}, stdio); code != exitAborted || sb.Stats().Requests.Delete != deletes || strings.Contains(errOut.String(), "[y/N]") {
		t.Fatalf("no terminal, over the cap: exit %d, %d deletes:\n%s", code, sb.Stats().Requests.Delete-deletes, errOut)
	}
}
