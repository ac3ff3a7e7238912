package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestValidateRealFilesGolden runs validate on every real-world file in
// testdata (copies of ../shared/data) and on a few broken ones, and
// compares what a user sees, the message on stderr with its suggested
// flags, and the report where validate gets that far, with golden copies
// in testdata/golden (go test . -run Golden -update rewrites them).
func TestValidateRealFilesGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file string
		args       []string // flags after the file
		wantExit   int
		report     bool // validate gets as far as the report
	}{
		{name: "customers-100", file: "customers-100.csv", wantExit: exitInput},
		{name: "customers-100.fixed", file: "customers-100.csv", args: []string{"--map", "Phone 1=phone", "--ignore-unknown"}, report: true},
		{name: "crm-export-libreoffice", file: "crm-export-libreoffice.xlsx", wantExit: exitInput},
		{name: "crm-export-libreoffice.fixed", file: "crm-export-libreoffice.xlsx", args: []string{"--map", "Lifetime Value=value", "--map", "Customer Since=-"}, wantExit: exitRowProblems, report: true},
		{name: "google-contacts", file: "google-contacts.csv", wantExit: exitInput},
		{name: "google-contacts.fixed", file: "google-contacts.csv", args: []string{"--map", "E-mail 1 - Value=email", "--ignore-unknown"}, report: true}, // row 3 (no name) is found by email, or invalid at import if it would create
		{name: "outlook-contacts", file: "outlook-contacts.csv", wantExit: exitInput},
		{name: "outlook-contacts.fixed", file: "outlook-contacts.csv", args: []string{"--ignore-unknown"}, wantExit: exitRowProblems, report: true},
		{name: "hubspot-contacts", file: "hubspot-contacts.csv", wantExit: exitInput},
		{name: "hubspot-contacts.fixed", file: "hubspot-contacts.csv", args: []string{"--ignore-unknown"}, report: true},
		// Lead Status as the status: its values listed, with a job file
		// table to fill; then with that table filled in.
		{name: "hubspot-contacts.lead-status", file: "hubspot-contacts.csv", args: []string{"--map", "Lead Status=status", "--ignore-unknown"}, wantExit: exitRowProblems, report: true},
		{name: "hubspot-contacts.lead-status-mapped", file: "hubspot-contacts.csv", args: []string{"--job", "testdata/hubspot-lead-status.toml"}, report: true},
		{name: "people-100", file: "people-100.csv", wantExit: exitInput},
		{name: "people-100.fixed", file: "people-100.csv", args: []string{"--ignore-unknown"}, wantExit: exitRowProblems, report: true}, // row 20: a \"-escaped quote
		{name: "shopify-customers-export", file: "shopify-customers-export.csv", wantExit: exitInput},
		{name: "shopify-customers-export.fixed", file: "shopify-customers-export.csv", args: []string{"--ignore-unknown"}, wantExit: exitRowProblems, report: true},
		{name: "messy", file: "messy.csv", wantExit: exitRowProblems, report: true},
		{name: "unnamed-column", file: "unnamed-column.csv", report: true},
		{name: "headerless", file: "headerless.csv", wantExit: exitInput},
		{name: "empty-first-sheet", file: "empty-first-sheet.xlsx", wantExit: exitInput},
		{name: "workbook-named-csv", file: "workbook-named.csv", wantExit: exitInput},
		// The seven layouts of issue 18: the first message, then its
		// printed flags followed.
		{name: "linkedin-connections", file: "linkedin-connections.csv", wantExit: exitInput},
		{name: "linkedin-connections.fixed", file: "linkedin-connections.csv", args: []string{"--ignore-unknown"}, wantExit: exitRowProblems, report: true},
		{name: "salesforce-contacts-report", file: "salesforce-contacts-report.csv", wantExit: exitInput},
		{name: "salesforce-contacts-report.fixed", file: "salesforce-contacts-report.csv", args: []string{"--map", "Phone,Mobile=phone", "--ignore-unknown"}, report: true},
		{name: "square-customers", file: "square-customers.csv", wantExit: exitInput},
		{name: "square-customers.fixed", file: "square-customers.csv", args: []string{"--ignore-unknown"}, wantExit: exitRowProblems, report: true},
		{name: "xero-contacts", file: "xero-contacts.csv", wantExit: exitInput},
		{name: "xero-contacts.fixed", file: "xero-contacts.csv", args: []string{"--map", "PhoneNumber,MobileNumber=phone", "--ignore-unknown"}, wantExit: exitRowProblems, report: true},
		{name: "excel-de-kunden", file: "excel-de-kunden.csv", wantExit: exitInput},
		{name: "excel-de-kunden.fixed", file: "excel-de-kunden.csv", args: []string{"--ignore-unknown"}, wantExit: exitRowProblems, report: true},
		{name: "zoho-contacts", file: "zoho-contacts.csv", wantExit: exitInput},
		{name: "zoho-contacts.fixed", file: "zoho-contacts.csv", args: []string{"--map", "Email,Secondary Email=email", "--map", "Phone,Mobile=phone", "--ignore-unknown"}, report: true},
		{name: "mailchimp-members", file: "mailchimp-members.csv", wantExit: exitInput},
		{name: "mailchimp-members.fixed", file: "mailchimp-members.csv", args: []string{"--ignore-unknown"}, report: true}, // row 7 (no name) only if found by email: a warning
	}
	timing := regexp.MustCompile(` in [0-9.]+[µa-z]+ \([0-9]+ rows/s\)`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			in, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, tt.file)
			if err := os.WriteFile(path, in, 0o600); err != nil {
				t.Fatal(err)
			}
			report := filepath.Join(dir, "report.csv")
			stdio, _, errOut := testIO(nil)
			args := append([]string{"validate", path, "--no-progress", "--report", report}, tt.args...)
			if code := run(context.Background(), args, stdio); code != tt.wantExit {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.wantExit, errOut)
			}
			stderr := strings.ReplaceAll(errOut.String(), dir, "DIR")
			stderr = timing.ReplaceAllString(stderr, " in T (N rows/s)")
			compareGolden(t, tt.name+".stderr.txt", []byte(stderr))
			got, err := os.ReadFile(report)
			if tt.report != (err == nil) {
				t.Fatalf("report written: %v, want %v", err == nil, tt.report)
			}
			if tt.report {
				compareGolden(t, tt.name+".validate.csv", got)
			}
		})
	}
}

func compareGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden := filepath.Join("testdata", "golden", name)
	if *updateGolden {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test . -run Golden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n--- want\n%s\n--- got\n%s", golden, want, got)
	}
}
