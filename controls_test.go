package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
)

// readCSV reads a whole CSV file as records.
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func colIndex(t *testing.T, header []string, name string) int {
	t.Helper()
	for i, h := range header {
		if strings.TrimPrefix(h, "\ufeff") == name {
			return i
		}
	}
	t.Fatalf("no column %q in %q", name, header)
	return -1
}

// leadStatusJob maps HubSpot's Lead Status onto status and demands a
// phone and an address at example.net or example.org.
const leadStatusJob = `ignore-unknown = true

[map]
"Lead Status" = "status"

[values.status]
New = "active"
Open = "active"
"In Progress" = "active"
"Open Deal" = "active"
Connected = "active"
"Attempted to Contact" = "inactive"
"Bad Timing" = "inactive"
Unqualified = "blocked"

[rules]
required = ["phone"]
email = { pattern = '@example\.(net|org)$' }
`

var leadStatusMap = map[string]string{
	"New": "active", "Open": "active", "In Progress": "active", "Open Deal": "active", "Connected": "active",
	"Attempted to Contact": "inactive", "Bad Timing": "inactive", "Unqualified": "blocked", "": "active",
}

// TestImportHubSpotLeadStatus imports a HubSpot export whose Lead Status
// is mapped by a job file's value map into the sandbox, with two rules of
// the tenant: the sandbox holds exactly the rows the rules let through,
// each with the status its Lead Status maps to, and the report keeps the
// cells as the file had them.
func TestImportHubSpotLeadStatus(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	job := writeLines(t, filepath.Join(dir, "hubspot.toml"), leadStatusJob)
	in := filepath.Join("testdata", "hubspot-contacts.csv")
	report := filepath.Join(dir, "hubspot.report.csv")
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	stdio, _, errOut := testIO(map[string]string{"AIVA_API_URL": sb.URL, "AIVA_TOKEN": sandbox.TokenReadWrite})
	if code := run(context.Background(), []string{"import", in, "--job", job, "--report", report, "--no-progress", "--rate", "0"}, stdio); code != exitRowProblems {
		t.Fatalf("import: exit %d, want 1 (the rows the rules refuse); stderr:\n%s", code, errOut)
	}

	src := readCSV(t, in)
	emailCol, phoneCol, leadCol := colIndex(t, src[0], "Email"), colIndex(t, src[0], "Phone Number"), colIndex(t, src[0], "Lead Status")
	wantStatus := map[string]string{}
	refused := 0
	for _, rec := range src[1:] {
		email := rec[emailCol]
		if strings.TrimSpace(rec[phoneCol]) == "" || !regexp.MustCompile(`@example\.(net|org)$`).MatchString(email) {
			refused++
			continue
		}
		st, ok := leadStatusMap[rec[leadCol]]
		if !ok {
			t.Fatalf("Lead Status %q is not in the test's map", rec[leadCol])
		}
		wantStatus[strings.ToLower(email)] = st
	}
	if refused == 0 || len(wantStatus) == 0 {
		t.Fatalf("the file does not exercise the rules: %d refused, %d let through", refused, len(wantStatus))
	}
	held := tenantCustomers(t, sb.URL)
	if len(held) != len(wantStatus) {
		t.Errorf("the sandbox holds %d customers, want %d (the rows the rules let through)", len(held), len(wantStatus))
	}
	counts := map[string]int{}
	for _, c := range held {
		want, ok := wantStatus[strings.ToLower(c.Email)]
		switch {
		case !ok:
			t.Errorf("the sandbox holds %s, which the rules refuse", c.Email)
		case c.Status != want:
			t.Errorf("%s: status %q, want %q", c.Email, c.Status, want)
		}
		counts[c.Status]++
	}
	if counts["inactive"] == 0 || counts["blocked"] == 0 || counts["active"] == 0 {
		t.Errorf("statuses held %v: want some of each", counts)
	}

	rep := readCSV(t, report)
	h := rep[0]
	resCol, errCol, chCol, repLead := colIndex(t, h, "_result"), colIndex(t, h, "_error"), colIndex(t, h, "_changes"), colIndex(t, h, "Lead Status")
	seenMapped, seenRule := false, false
	for _, rec := range rep[1:] {
		if rec[repLead] == "Unqualified" && rec[resCol] == "created" {
			seenMapped = true
			if rec[chCol] != `status "Unqualified" mapped to "blocked"` {
				t.Errorf("_changes %q does not show the value sent", rec[chCol])
			}
		}
		if rec[resCol] == "invalid" && strings.Contains(rec[errCol], "does not match the rules' pattern") {
			seenRule = true
		}
	}
	if !seenMapped || !seenRule {
		t.Errorf("the report keeps no Unqualified cell of a created row (%v) or no row refused by a rule (%v)", seenMapped, seenRule)
	}
}

// TestValueAndRuleErrors: a --value or a rule that cannot be read stops
// the run with exit 2, naming it and the closest field.
func TestValueAndRuleErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := jobInput(t, dir)
	tests := []struct {
		name    string
		args    []string
		job     string
		wantErr []string
	}{
		{name: "value syntax", args: []string{"--value", "status=inactive"}, wantErr: []string{`--value "status=inactive": write "field:text=value"`}},
		{name: "value unknown field", args: []string{"--value", "stauts:Pending=inactive"}, wantErr: []string{`--value "stauts:Pending=inactive"`, `"stauts" is not a field`, `the closest is "status"`}},
		{name: "value without value", args: []string{"--value", "status:Pending="}, wantErr: []string{`no value for "Pending"`}},
		{name: "values unknown field", job: "[values.stauts]\nPending = \"inactive\"", wantErr: []string{`[values.stauts]`, `the closest is "status"`}},
		{name: "values left to fill", job: "[values.status]\nPending = \"\"", wantErr: []string{`[values.status] "Pending": no value for "Pending"`}},
		{name: "values not a table", job: "values = 3", wantErr: []string{"values must be tables"}},
		{name: "rule unknown field", job: "[rules]\nphon = { pattern = 'x' }", wantErr: []string{"[rules] phon:", `the closest is "phone"`}},
		{name: "required unknown field", job: "[rules]\nrequired = [\"phnoe\"]", wantErr: []string{"[rules] required:", `"phnoe" is not a field`, `the closest is "phone"`}},
		{name: "bad pattern", job: "[rules]\nemail = { pattern = '([' }", wantErr: []string{"[rules] email.pattern:", "is not a regular expression"}},
		{name: "min above max", job: "[rules]\nvalue = { min = 5, max = 1 }", wantErr: []string{"[rules] value: min 5 is above max 1"}},
		{name: "wrong type", job: "[rules]\nvalue = { min = \"0\" }", wantErr: []string{"[rules] value.min: want a number"}},
		{name: "rules not a table", job: "rules = [\"phone\"]", wantErr: []string{"rules must be a table"}},
	}
	for _, tt := range tests {
		for _, cmd := range []string{"validate", "import"} {
			t.Run(tt.name+"/"+cmd, func(t *testing.T) {
				args := append([]string{cmd, in}, tt.args...)
				if tt.job != "" {
					args = append(args, "--job", writeLines(t, filepath.Join(t.TempDir(), "job.toml"), tt.job))
				}
				stdio, _, errOut := testIO(map[string]string{"AIVA_TOKEN": sandbox.TokenReadWrite, "AIVA_API_URL": "http://127.0.0.1:1"})
				if code := run(context.Background(), args, stdio); code != exitInput {
					t.Errorf("exit %d, want 2; stderr:\n%s", code, errOut)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(errOut.String(), w) {
						t.Errorf("stderr lacks %q:\n%s", w, errOut)
					}
				}
			})
		}
	}
}

// TestWriteJobKeepsValuesAndRules: validate --write-job writes the value
// maps (of the job file and of --value) and the rules it was given, and
// the job file read back behaves the same.
func TestWriteJobKeepsValuesAndRules(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := writeLines(t, filepath.Join(dir, "crm.csv"),
		"Name,Email,Phone,Lead Status,Kind,Value",
		"Ana,ana@example.com,+1 1,Pending,Firma,10",
		"Bo,bo@example.com,,Open,Privat,5",
		"Cy,cy@example.com,+1 3,Lost,Firma,2000",
		"Di,di@gmail.com,+1 4,open,Partner,1")
	job := writeLines(t, filepath.Join(dir, "in.toml"), `[map]
"Lead Status" = "status"
Kind = "type"
[values.status]
Pending = "inactive"
Open = "active"
[rules]
required = ["phone"]
type = { allowed = ["business", "individual"] }
value = { min = 0, max = 1000 }
email = { pattern = '@example\.com$' }
`)
	out := filepath.Join(dir, "out.toml")
	validate := func(report string, args ...string) (int, string) {
		t.Helper()
		stdio, _, errOut := testIO(nil)
		code := run(context.Background(), append([]string{"validate", in, "--report", report, "--no-progress"}, args...), stdio)
		return code, errOut.String()
	}
	r1 := filepath.Join(dir, "r1.csv")
	code, stderr := validate(r1, "--job", job, "--value", "type:Firma=business", "--value", "type:Privat=individual", "--value", "status:Lost=blocked", "--write-job", out)
	if code != exitRowProblems {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr)
	}
	text, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"[values.status]", `Pending = "inactive"`, `Lost = "blocked"`, "[values.type]", `Firma = "business"`, "[rules]", `required = ["phone"]`, "[rules.email]", "[rules.type]", "[rules.value]", "max = 1000"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("the job file lacks %s:\n%s", want, text)
		}
	}
	r2 := filepath.Join(dir, "r2.csv")
	if code2, stderr2 := validate(r2, "--job", out, "--report", r2); code2 != code {
		t.Fatalf("validate --job %s: exit %d, want %d; stderr:\n%s", out, code2, code, stderr2)
	}
	b1, _ := os.ReadFile(r1)
	b2, _ := os.ReadFile(r2)
	if !bytes.Equal(b1, b2) {
		t.Errorf("the written job file reads back to another report:\nfirst:\n%s\nread back:\n%s", b1, b2)
	}
	// What the reports say, row by row: the maps and every rule applied.
	for _, want := range []string{
		"2,valid,",
		"3,invalid,,,Phone: required by the rules; fill it,",
		`4,invalid,,,Value: 2000 is above the rules' max 1000,`,
		`5,invalid,,,"Email: ""di@gmail.com"" does not match the rules' pattern @example\.com$; Kind: ""Partner"" is not allowed by the rules; use business or individual",`,
	} {
		if !strings.Contains(string(b1), want) {
			t.Errorf("report lacks %q:\n%s", want, b1)
		}
	}
}

// TestInvalidValuesTableFillsIn: the job file table validate prints for
// the values a field does not take is a job file: filled in, it makes
// those rows valid.
func TestInvalidValuesTableFillsIn(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := filepath.Join("testdata", "hubspot-contacts.csv")
	stdio, _, errOut := testIO(nil)
	if code := run(context.Background(), []string{"validate", in, "--map", "Lead Status=status", "--ignore-unknown", "--report", filepath.Join(dir, "r1.csv"), "--no-progress"}, stdio); code != exitRowProblems {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, errOut)
	}
	_, table, ok := strings.Cut(errOut.String(), "\n[values.status]")
	if !ok {
		t.Fatalf("no table to fill:\n%s", errOut)
	}
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) != 9 { // the comment, then 8 values
		t.Fatalf("table of %d lines, want 8 values:\n%s", len(lines), table)
	}
	var filled []string
	for _, l := range lines[1:] {
		if !strings.HasSuffix(l, ` = ""`) {
			t.Fatalf("a right-hand side is not left to fill: %q", l)
		}
		filled = append(filled, strings.TrimSuffix(l, `""`)+`"inactive"`)
	}
	job := writeLines(t, filepath.Join(dir, "job.toml"), append([]string{"[values.status]"}, filled...)...)
	stdio, _, errOut = testIO(nil)
	if code := run(context.Background(), []string{"validate", in, "--map", "Lead Status=status", "--ignore-unknown", "--job", job, "--report", filepath.Join(dir, "r2.csv"), "--no-progress"}, stdio); code != exitOK {
		t.Fatalf("with the table filled in: exit %d, want 0; stderr:\n%s", code, errOut)
	}
}

// TestValueMapOfNoColumn: a value map of a field that no column feeds is
// said to change nothing.
func TestValueMapOfNoColumn(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := writeLines(t, filepath.Join(dir, "c.csv"), "Name,Email,Lead Status", "Ana,ana@example.com,Open")
	stdio, _, errOut := testIO(nil)
	if code := run(context.Background(), []string{"validate", in, "--ignore-unknown", "--value", "status:Open=active", "--no-progress"}, stdio); code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	if !strings.Contains(errOut.String(), "warning: the value map of status changes nothing: no column of the input is read as status") {
		t.Errorf("no warning of the unused value map:\n%s", errOut)
	}
}
