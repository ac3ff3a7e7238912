package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"aivabatch/apiclient"
	"aivabatch/apiclient/sandbox"
)

// The command line against the embedded sandbox with each id style: the
// tool takes ids as the server gives them (the API document's are UUIDs,
// and promises no shape).

// sandboxRun runs the CLI with --sandbox state in cache and new ids of
// style, and returns the exit code and stderr.
func sandboxRun(t *testing.T, cache, style string, args ...string) (int, string) {
	t.Helper()
	stdio, _, errOut := testIO(map[string]string{"AIVA_SANDBOX_ID_STYLE": style})
	stdio.CacheDir = func() (string, error) { return cache, nil }
	code := run(context.Background(), args, stdio)
	return code, errOut.String()
}

// sandboxState reads what the --sandbox state in cache holds.
func sandboxState(t *testing.T, cache string) []apiclient.Customer {
	t.Helper()
	srv, err := sandbox.New(sandbox.Options{DataFile: filepath.Join(cache, "aivabatch", "sandbox.json")})
	if err != nil {
		t.Fatal(err)
	}
	return srv.Customers(sandbox.TenantDemo)
}

func readSummary(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestCLIRoundTripEveryIDStyle: import, export in each format, validate
// the export, import it back (default flags): every row unchanged and one
// request (the list); the tenant as it was.
func TestCLIRoundTripEveryIDStyle(t *testing.T) {
	t.Parallel()
	for _, style := range []string{sandbox.IDUUID, sandbox.IDNumeric, sandbox.IDPrefixed} {
		t.Run(style, func(t *testing.T) {
			cache, dir := t.TempDir(), t.TempDir()
			in := filepath.Join(dir, "customers.csv")
			b, err := os.ReadFile("samples/customers.csv")
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(in, b, 0o600)
			if code, errOut := sandboxRun(t, cache, style, "import", "--sandbox", in, "--no-progress", "--rate", "0"); code != exitOK {
				t.Fatalf("import: exit %d\n%s", code, errOut)
			}
			before := sandboxState(t, cache)
			if len(before) != 40 {
				t.Fatalf("%d customers", len(before))
			}
			for _, ext := range []string{"csv", "xlsx", "ndjson"} {
				out := filepath.Join(dir, "export."+ext)
				if code, errOut := sandboxRun(t, cache, style, "export", "--sandbox", "-o", out, "--no-progress"); code != exitOK {
					t.Fatalf("export %s: exit %d\n%s", ext, code, errOut)
				}
				if code, errOut := sandboxRun(t, cache, style, "validate", out); code != exitOK {
					t.Fatalf("validate %s: exit %d\n%s", ext, code, errOut)
				}
				js := filepath.Join(dir, ext+".json")
				if code, errOut := sandboxRun(t, cache, style, "import", "--sandbox", out, "--summary-json", js, "--no-progress"); code != exitOK {
					t.Fatalf("import %s: exit %d\n%s", ext, code, errOut)
				}
				sum := readSummary(t, js)
				if c := sum["counts"].(map[string]any); c["unchanged"] != 40.0 || len(c) != 1 || sum["requests"] != 1.0 {
					t.Errorf("%s: counts %v, %v requests; want 40 unchanged and the one list", ext, c, sum["requests"])
				}
			}
			if got := profilesOf(sandboxState(t, cache)); got != profilesOf(before) {
				t.Errorf("the tenant changed:\n%s\nwant\n%s", got, profilesOf(before))
			}
		})
	}
}

func profilesOf(cs []apiclient.Customer) string {
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "%s|%s|%s|%s|%s|%v|%v|%q\n", c.ID, c.Email, c.Name, c.Phone, c.Status, c.Value, c.AutoPayment, c.Notes)
	}
	return b.String()
}

// TestForeignKeysNeverSent: Outlook's ID (16 hex digits) and HubSpot's
// Contact ID never reach the API as ids: Outlook's stops the run before
// any write with a fix that matches by email; HubSpot's is an unknown
// column. The verbose log shows every request path.
func TestForeignKeysNeverSent(t *testing.T) {
	t.Parallel()
	cache := t.TempDir()
	if code, errOut := sandboxRun(t, cache, "", "import", "--sandbox", "samples/customers.csv", "--report", filepath.Join(t.TempDir(), "r.csv"), "--no-progress", "--rate", "0"); code != exitOK {
		t.Fatalf("seed: exit %d\n%s", code, errOut)
	}
	before := profilesOf(sandboxState(t, cache))
	dir := t.TempDir()
	code, errOut := sandboxRun(t, cache, "", "import", "--sandbox", "testdata/outlook-contacts.csv", "--ignore-unknown", "--verbose", "--report", filepath.Join(dir, "o.csv"))
	if code != exitInput || !strings.Contains(errOut, `the column "ID" holds no id of this tenant (0 of the first 2 found)`) || !strings.Contains(errOut, `--map "ID=-"`) {
		t.Fatalf("outlook: exit %d\n%s", code, errOut)
	}
	for _, v := range []string{"241a444f0b330b22", "527fbda08922b018", "POST", "PUT", "DELETE"} {
		if strings.Contains(errOut, v) {
			t.Errorf("outlook: the log shows %s:\n%s", v, errOut)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "o.csv")); err == nil {
		t.Error("a refused run wrote its report")
	}
	if got := profilesOf(sandboxState(t, cache)); got != before {
		t.Errorf("outlook: the tenant changed")
	}

	code, errOut = sandboxRun(t, cache, "", "import", "--sandbox", "testdata/hubspot-contacts.csv", "--ignore-unknown", "--verbose", "--report", filepath.Join(dir, "h.csv"), "--rate", "0")
	if code != exitOK && code != exitRowProblems {
		t.Fatalf("hubspot: exit %d\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "POST /customers") || strings.Contains(errOut, "CONT-") || strings.Contains(errOut, "PUT") {
		t.Errorf("hubspot: the creates are not logged, or a Contact ID reached the API:\n%.2000s", errOut)
	}
}
