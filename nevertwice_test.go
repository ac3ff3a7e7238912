package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"aivabatch/apiclient"
	"aivabatch/apiclient/sandbox"
)

// Sequences users type that used to create customers twice, run with the
// real binary against `aivabatch sandbox` in its own process, with
// latency, and judged by what the server holds: one customer per email,
// each with its row's data.

// wantTenant checks that the tenant holds exactly the customers of rows
// (email → phone), once each.
func wantTenant(t *testing.T, what, url string, rows map[string]string) {
	t.Helper()
	per := map[string][]apiclient.Customer{}
	for _, c := range tenantCustomers(t, url) {
		per[strings.ToLower(c.Email)] = append(per[strings.ToLower(c.Email)], c)
	}
	if len(per) != len(rows) {
		t.Errorf("%s: the tenant holds %d emails, want %d", what, len(per), len(rows))
	}
	for email, phone := range rows {
		cs := per[email]
		switch {
		case len(cs) != 1:
			t.Errorf("%s: %d customers with %s", what, len(cs), email)
		case cs[0].Phone != phone:
			t.Errorf("%s: %s has phone %q, want %q", what, email, cs[0].Phone, phone)
		}
	}
}

func runCLI(t *testing.T, url string, args ...string) (int, string) {
	t.Helper()
	cmd := aivabatchCmd(url, args...)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	err := cmd.Run()
	code := 0
	if err != nil {
		code = cmd.ProcessState.ExitCode()
	}
	return code, errOut.String()
}

// TestRenamedCopyAndExportHint: the same file again under a browser's
// second-download name, with default flags, creates nobody; an export
// imported into the same tenant with the tool's printed hint for another
// tenant's ids (--map "id=-") creates nobody either.
func TestRenamedCopyAndExportHint(t *testing.T) {
	t.Parallel()
	url := startSandbox(t, "--latency", "5ms")
	dir := t.TempDir()
	lines := []string{"name,email,phone"}
	want := map[string]string{}
	for i := 1; i <= 30; i++ {
		lines = append(lines, fmt.Sprintf("Member %d,m%d@example.com,+1 555 %04d", i, i, i))
		want[fmt.Sprintf("m%d@example.com", i)] = fmt.Sprintf("+1 555 %04d", i)
	}
	in := writeLines(t, filepath.Join(dir, "members.csv"), lines...)
	if code, errOut := runCLI(t, url, "import", in, "--rate", "0", "--no-progress"); code != exitOK {
		t.Fatalf("first import: exit %d\n%s", code, errOut)
	}
	copyPath := filepath.Join(dir, "members (1).csv")
	b, _ := os.ReadFile(in)
	os.WriteFile(copyPath, b, 0o600)
	code, errOut := runCLI(t, url, "import", copyPath, "--rate", "0", "--no-progress")
	if code != exitOK || !strings.Contains(errOut, "30 unchanged") {
		t.Fatalf("renamed copy: exit %d\n%s", code, errOut)
	}
	wantTenant(t, "after the renamed copy", url, want)

	exp := filepath.Join(dir, "export.csv")
	if code, errOut := runCLI(t, url, "export", "-o", exp, "--no-progress"); code != exitOK {
		t.Fatalf("export: exit %d\n%s", code, errOut)
	}
	code, errOut = runCLI(t, url, "import", exp, "--map", "id=-", "--rate", "0", "--no-progress")
	if code != exitOK || !strings.Contains(errOut, "30 unchanged") {
		t.Fatalf("export with --map id=-: exit %d\n%s", code, errOut)
	}
	wantTenant(t, "after the export with the hint", url, want)
}

// TestSharedEmailNeverPicked: two customers of the tenant share an email;
// a row with that email (default flags) changes neither and names both.
func TestSharedEmailNeverPicked(t *testing.T) {
	t.Parallel()
	url := startSandbox(t, "--latency", "5ms")
	c, err := apiclient.New(apiclient.Options{BaseURL: url, Token: sandbox.TokenReadWrite, Retries: 3})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := c.CreateCustomer(t.Context(), apiclient.Fields{"name": "Twin A", "email": "twin@example.com", "phone": "+1 1"}, "")
	b, _ := c.CreateCustomer(t.Context(), apiclient.Fields{"name": "Twin B", "email": "twin@example.com", "phone": "+1 2"}, "")
	in := writeLines(t, filepath.Join(t.TempDir(), "in.csv"), "name,email,phone", "Twin,TWIN@example.com,+1 9")
	code, errOut := runCLI(t, url, "import", in, "--no-progress")
	if code != exitRowProblems || !strings.Contains(errOut, a.ID) || !strings.Contains(errOut, b.ID) {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	cs := tenantCustomers(t, url)
	if len(cs) != 2 || cs[0].Phone == "+1 9" || cs[1].Phone == "+1 9" {
		t.Errorf("tenant: %+v", cs)
	}
}

// TestNoIDAnswersStopTheRun: a server that lists customers without ids,
// or answers a create 201 without one, stops the run (exit 3) before a
// row is matched by guess or created twice; the undo file then holds no
// id-less delete.
func TestNoIDAnswersStopTheRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := writeLines(t, filepath.Join(dir, "in.csv"), "name,email", "A,a@example.com", "B,b@example.com")

	url := startSandbox(t, "--latency", "5ms", "--fault-list-no-id")
	c, _ := apiclient.New(apiclient.Options{BaseURL: url, Token: sandbox.TokenReadWrite, Retries: 3})
	c.CreateCustomer(t.Context(), apiclient.Fields{"name": "A", "email": "a@example.com"}, "")
	code, errOut := runCLI(t, url, "import", in, "--no-progress", "--report", filepath.Join(dir, "l.csv"))
	if code != exitAborted || !strings.Contains(errOut, `the server sent the customer "a@example.com" without an id`) {
		t.Fatalf("list without ids: exit %d\n%s", code, errOut)
	}
	if n := len(tenantCustomers(t, url)); n != 1 {
		t.Errorf("list without ids: %d customers, want 1", n)
	}

	url = startSandbox(t, "--latency", "5ms", "--fault-create-no-id")
	undo := filepath.Join(dir, "undo.csv")
	code, errOut = runCLI(t, url, "import", in, "--no-progress", "--workers", "1", "--undo", undo, "--report", filepath.Join(dir, "c.csv"))
	if code != exitAborted || !strings.Contains(errOut, "the answer to a create (201)") {
		t.Fatalf("201 without id: exit %d\n%s", code, errOut)
	}
	if n := len(tenantCustomers(t, url)); n != 1 {
		t.Errorf("201 without id: %d customers, want 1 (the run went on)", n)
	}
	if b, err := os.ReadFile(undo); err == nil && strings.Contains(string(b), ",delete") {
		t.Errorf("the undo file holds an id-less delete:\n%s", b)
	}
}

// TestKillThenTwoResumes: kill -9, then two --resume at once (a user and
// cron, two supervisors), 10 rounds: one resume runs, the other refuses
// at once naming it (or, when the first was already done, finds nothing
// left to do); the tenant holds each row's customer once.
func TestKillThenTwoResumes(t *testing.T) {
	t.Parallel()
	url := startSandbox(t, "--latency", "10ms", "--latency-jitter", "10ms")
	rounds := 10
	if testing.Short() {
		rounds = 2
	}
	const n = 120
	dir := t.TempDir()
	sem := make(chan struct{}, rounds)
	var wg sync.WaitGroup
	for r := range rounds {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			lines := []string{"name,email"}
			for i := 1; i <= n; i++ {
				lines = append(lines, fmt.Sprintf("R%d P%d,two%d.p%d@example.com", r, i, r, i))
			}
			in := writeLines(t, filepath.Join(dir, fmt.Sprintf("two%d.csv", r)), lines...)
			args := []string{in, "--rate", "0", "--workers", "8", "--timeout", "1s"}
			cmd, _, done := startImport(t, url, args, 10+5*r, nil)
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			<-done

			type result struct {
				code int
				err  string
			}
			results := make(chan result, 2)
			start := make(chan struct{})
			for range 2 {
				go func() {
					<-start
					code, errOut := runCLI(t, url, append([]string{"import", "--resume", "--no-progress"}, args...)...)
					results <- result{code, errOut}
				}()
			}
			close(start)
			a, b := <-results, <-results
			ran, refused := 0, 0
			for _, x := range []result{a, b} {
				switch {
				case x.code == exitOK:
					ran++
				case x.code == exitInput && strings.Contains(x.err, "wait for it to finish"):
					refused++
				default:
					t.Errorf("round %d: a resume ended %d:\n%s", r, x.code, x.err)
				}
			}
			if ran == 0 {
				t.Errorf("round %d: no resume ran (%d refused)", r, refused)
			}
			t.Logf("round %d: %d ran, %d refused", r, ran, refused)
			checkOnePerRow(t, fmt.Sprintf("round %d", r), url, fmt.Sprintf("two%d.", r), n, strings.TrimSuffix(in, ".csv")+".report.csv")
		}()
	}
	wg.Wait()
}
