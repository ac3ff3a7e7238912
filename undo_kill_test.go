package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"aivabatch/apiclient"
	"aivabatch/apiclient/sandbox"
	"aivabatch/batch"
)

// TestUndoAcrossKill: an import with --undo (the real command, against
// a slow sandbox in its own process) is killed with SIGKILL part way.
// Every outcome the journal holds has its row in the undo file already;
// the --resume appends to the same undo file; importing that file puts
// the tenant back exactly as it was (updated customers as before,
// created ones gone).
func TestUndoAcrossKill(t *testing.T) {
	t.Parallel()
	url := startSandbox(t, "--latency", "20ms")
	env := map[string]string{"AIVA_API_URL": url, "AIVA_TOKEN": sandbox.TokenReadWrite}
	c, err := apiclient.New(apiclient.Options{BaseURL: url, Token: sandbox.TokenReadWrite, Retries: 3})
	must(t, err)
	var ids []string
	for i := range 5 {
		cu, err := c.CreateCustomer(context.Background(), apiclient.Fields{"name": fmt.Sprintf("Old %d", i), "email": fmt.Sprintf("old%d@example.com", i), "notes": "before"}, "")
		must(t, err)
		ids = append(ids, cu.ID)
	}
	snapshot := func() string {
		var b strings.Builder
		m := map[string]string{}
		for _, c := range tenantCustomers(t, url) {
			m[c.Email] = fmt.Sprintf("%s|%s|%s|%s|%v|%s", c.Name, c.Phone, c.Status, c.Type, c.Value, c.Notes)
		}
		fmt.Fprint(&b, m)
		return b.String()
	}
	before := snapshot()

	dir := t.TempDir()
	lines := []string{"id,name,email,notes"}
	for i, id := range ids {
		lines = append(lines, fmt.Sprintf("%s,Changed %d,,after", id, i))
	}
	const n = 300
	for i := 1; i <= n; i++ {
		lines = append(lines, fmt.Sprintf(",New %d,undo%d@example.com,", i, i))
	}
	in := writeLines(t, filepath.Join(dir, "u.csv"), lines...)
	report := filepath.Join(dir, "u.report.csv")
	undo := filepath.Join(dir, "undo.csv")
	args := []string{in, "--undo", undo, "--rate", "0", "--workers", "4", "--timeout", "2s"}

	cmd, _, done := startImport(t, url, args, 60, nil)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	<-done

	// Whatever the journal knows, the undo file knows.
	undoRows, err := os.ReadFile(undo)
	must(t, err)
	jf, err := os.Open(batch.JournalPath(report))
	must(t, err)
	journaled := 0
	sc := bufio.NewScanner(jf)
	for sc.Scan() {
		var e struct {
			Result, ID string
		}
		if json.Unmarshal(sc.Bytes(), &e) != nil || e.ID == "" {
			continue
		}
		var want string
		switch e.Result {
		case "created":
			want = "delete," + e.ID + ","
		case "updated":
			want = "update," + e.ID + ","
		default:
			continue
		}
		journaled++
		if !strings.Contains(string(undoRows), "\n"+want) {
			t.Errorf("the journal holds %s %s, the undo file has no %q", e.Result, e.ID, want)
		}
	}
	jf.Close()
	if journaled == 0 {
		t.Fatalf("the journal holds no outcome after the kill: the test did not try what it is for")
	}

	stdio, _, errOut := testIO(env)
	if code := run(context.Background(), append([]string{"import", "--resume", "--no-progress"}, args...), stdio); code != exitOK {
		t.Fatalf("resume: exit %d; stderr:\n%s", code, errOut)
	}
	if got := len(tenantCustomers(t, url)); got != 5+n {
		t.Fatalf("after the resume the tenant holds %d customers, want %d", got, 5+n)
	}
	stdio, _, errOut = testIO(env)
	if code := run(context.Background(), []string{"import", undo, "--blank", "clear", "--rate", "0", "--no-progress"}, stdio); code != exitOK {
		t.Fatalf("importing the undo file: exit %d; stderr:\n%s", code, errOut)
	}
	if after := snapshot(); after != before {
		t.Errorf("after the undo the tenant is\n%s\nwant\n%s", after, before)
	}
}
