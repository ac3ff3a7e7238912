package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"aivabatch/apiclient"
	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
)

// seedMirror seeds n customers m<i>@example.com.
func seedMirror(t *testing.T, n int) *sandboxtest.Server {
	t.Helper()
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	if err := sb.Seed(sandbox.TenantDemo, n, func(i int) apiclient.Customer {
		return apiclient.Customer{Name: fmt.Sprintf("Mirror %d", i), Email: fmt.Sprintf("m%d@example.com", i), Status: "active"}
	}); err != nil {
		t.Fatal(err)
	}
	return sb
}

// mirrorCSV writes the customers m<i>, i in [0, n), but those in drop.
func mirrorCSV(t *testing.T, path string, n int, drop map[int]bool) string {
	t.Helper()
	lines := []string{"name,email"}
	for i := range n {
		if !drop[i] {
			lines = append(lines, fmt.Sprintf("Mirror %d,m%d@example.com", i, i))
		}
	}
	return writeLines(t, path, lines...)
}

// TestMirrorAndCheckCommands: import --delete-missing without a terminal
// asks nothing and deletes the 5 customers no row holds; check then
// exits 0; after an edit on the server it exits 1 and names the field;
// over the cap nothing is deleted (exit 3); the filters need the mirror.
func TestMirrorAndCheckCommands(t *testing.T) {
	t.Parallel()
	sb := seedMirror(t, 100)
	dir := t.TempDir()
	in := mirrorCSV(t, filepath.Join(dir, "in.csv"), 100, map[int]bool{1: true, 2: true, 3: true, 4: true, 5: true})
	env := map[string]string{"AIVA_API_URL": sb.URL, "AIVA_TOKEN": sandbox.TokenReadWrite}
	cli := func(want int, args ...string) string {
		t.Helper()
		stdio, _, errOut := testIO(env)
		if code := run(context.Background(), args, stdio); code != want {
			t.Fatalf("%v: exit %d, want %d; stderr:\n%s", args, code, want, errOut)
		}
		return errOut.String()
	}
	cli(exitOK, "import", in, "--delete-missing", "--undo", filepath.Join(dir, "undo.csv"))
	if n := sb.Count(sandbox.TenantDemo); n != 95 {
		t.Fatalf("after the mirror: %d customers, want 95", n)
	}
	if out := cli(exitOK, "check", in); !strings.Contains(out, "same 95, differ 0, only in the file 0, only in the tenant 0: the tenant matches the file") {
		t.Errorf("check after the mirror:\n%s", out)
	}
	// One job file serves both: check takes import's flags (those that
	// only concern writing have no effect).
	job := writeLines(t, filepath.Join(dir, "nightly.toml"), `delete-missing = true`, `max-delete = "10%"`, `workers = 2`, `status = "active"`, fmt.Sprintf("undo = %q", filepath.Join(dir, "undo-nightly.csv")))
	if out := cli(exitOK, "check", "--job", job, in); !strings.Contains(out, "the tenant matches the file") {
		t.Errorf("check --job:\n%s", out)
	}
	cli(exitOK, "import", "--job", job, in)
	c := sb.Customers(sandbox.TenantDemo)[10]
	client, err := apiclient.New(apiclient.Options{BaseURL: sb.URL, Token: sandbox.TokenReadWrite, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.UpdateCustomer(context.Background(), c.ID, apiclient.Fields{"name": "Edited"}); err != nil {
		t.Fatal(err)
	}
	out := cli(exitRowProblems, "check", in)
	if !strings.Contains(out, "differ 1") || !strings.Contains(out, "name: 1 row, first row") || !strings.Contains(out, "Edited → "+c.Name) {
		t.Errorf("check after an edit on the server does not name the field:\n%s", out)
	}

	over := mirrorCSV(t, filepath.Join(dir, "over.csv"), 60, map[int]bool{1: true, 2: true, 3: true, 4: true, 5: true}) // 40 of 95 in no row
	out = cli(exitAborted, "import", over, "--delete-missing")
	if !strings.Contains(out, "40 of the tenant's 95 customers") || !strings.Contains(out, "--max-delete allows (by default 10% of the tenant, 9 customers)") || sb.Count(sandbox.TenantDemo) != 95 {
		t.Errorf("over the cap: %d customers, stderr:\n%s", sb.Count(sandbox.TenantDemo), out)
	}
	cli(exitAborted, "import", over, "--delete-missing", "--max-delete", "40%")
	cli(exitOK, "import", over, "--delete-missing", "--max-delete", "40", "--rate", "0")
	if n := sb.Count(sandbox.TenantDemo); n != 55 {
		t.Errorf("with --max-delete 40: %d customers, want 55", n)
	}
	cli(exitInput, "import", in, "--status", "active")
	cli(exitInput, "import", in, "--delete-missing", "--limit", "5")
	cli(exitInput, "import", in, "--delete-missing", "--max-delete", "0")
}
