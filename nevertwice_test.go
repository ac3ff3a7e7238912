package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"aivabatch/apiclient"
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
