package main

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
)

// suggestedFlags returns the flags a header message tells the user to
// add: its "All together:" line, else --ignore-unknown when that is all
// it offers.
func suggestedFlags(t *testing.T, msg string) []string {
	t.Helper()
	for _, line := range strings.Split(msg, "\n") {
		if rest, ok := strings.CutPrefix(line, "All together: "); ok {
			w, _ := shellWords(t, 0, rest)
			return w
		}
	}
	if strings.Contains(msg, "ignore all of them with --ignore-unknown") {
		return []string{"--ignore-unknown"}
	}
	t.Fatalf("no suggestion to follow in:\n%s", msg)
	return nil
}

// want is what the sandbox must hold for one customer after the import.
type want struct{ name, phone string }

// TestFollowSuggestionsRealFiles: for each real layout in testdata, a new
// user runs validate, adds exactly the flags its message prints, then
// imports with them. A second validate with those flags no longer stops
// on the header (every problem came in one message), and the sandbox
// holds every customer that had a valid row exactly once, with its full
// name (never a nickname or a first name alone), its phone with every
// digit (from the second phone column when the first is blank), and no
// ' marker.
func TestFollowSuggestionsRealFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		// wantFlags must be among the suggested flags.
		wantFlags []string
		// wantNotice must be among validate's notices.
		wantNotice string
		// wantReport must be in the import's report.
		wantReport string
		// customers by lower-case email.
		customers map[string]want
	}{
		{file: "square-customers.csv", customers: map[string]want{
			"maria.lopez@example.com":  {"Maria Lopez", "+14155550132"},
			"kenji.w@example.jp":       {"Kenji Watanabe", "(415) 555-0177"},
			"amelie.durand@example.fr": {"Amélie Durand", "+33612345678"},
			"sam.taylor@example.com":   {"Sam Taylor", "415.555.0123"}, // its second row is a duplicate
		}},
		{file: "xero-contacts.csv", wantFlags: []string{"PhoneNumber,MobileNumber=phone"}, wantReport: `phone from ""MobileNumber"" (""PhoneNumber"" is blank)`, customers: map[string]want{
			"gavin@marlowcon.example":   {"Gavin Marlow", "02 9000 1111"},
			"margaret@ashfield.example": {"Margaret Ashfield", "0412 338 902"},
			"elena.reyes@example.com":   {"Elena Reyes", "0422 909 313"},
		}},
		{file: "excel-de-kunden.csv", customers: map[string]want{
			"juergen.groesser@example.de": {"Jürgen Größer", "+49 89 1234567"},
			"a.schaefer@example.de":       {"Ännchen Schäfer", "0171 2345678"},
			"f.lefevre@example.fr":        {"François Lefèvre", "+33 6 12 34 56 78"},
			"ole@example.dk":              {"Ole Sørensen", ""},
			// sophie.weiss: her phone 4,36641E+11 lost its digits: a row error.
		}},
		{file: "zoho-contacts.csv", wantFlags: []string{"Phone,Mobile=phone"}, customers: map[string]want{
			"krismarrier@noemail.invalid": {"Kris Marrier", "555-555-5555"},
			"capla.paprocki@example.com":  {"Capla Paprocki", "+1 907-385-4412"},
			"simon@morasca.com":           {"Simon Morasca", "(480) 492-5390"},
			"sage_wieser@cox.net":         {"Sage Wieser", "605-414-2147"},
			"mitsue_tollner@yahoo.com":    {"Mitsue Tollner", "773-573-6914"},
			"jose.nunez@example.mx":       {"José Núñez", "+52 55 1234 5678"},
		}},
		{file: "salesforce-contacts-report.csv", wantFlags: []string{"Phone,Mobile=phone"}, wantNotice: `lines 12 to 15 after the data ("Grand Totals (8 records)"`, customers: map[string]want{
			"barr_tim@grandhotels.com": {"Tim Barr", "(312) 596-1000"},
			"rose@edge.com":            {"Rose Gonzalez", "(512) 757-6000"},
			"sean@edge.com":            {"Sean Forbes", "(512) 757-6000"},
			"jrogers@burlington.com":   {"Jack Rogers", "(336) 222-7000"},
			"pat@pyramid.net":          {"Pat Stumuller", "(014) 427-4427"},
			"a_young@dickenson.com":    {"Andy Young", "(785) 241-6200"},
			"tripley@uog.com":          {"Tom Ripley", "(212) 842-5500"},
			"ldcruz@uog.com":           {"Liz D'Cruz", "(650) 450-8810"},
		}},
		{file: "mailchimp-members.csv", customers: map[string]want{
			"ana.ferreira@example.com":     {"Ana Ferreira", "+351 912 345 678"},
			"bob.obrien@example.com":       {"Bob O'Brien", "(217) 555-0142"},
			"zoe.mueller@example.de":       {"Zoë Müller", "+49 30 1234567"},
			"lukasz.wisniewski@example.pl": {"Łukasz Wiśniewski", "+48501234567"},
			"mei.chen@example.com":         {"Mei 陈", "1-800-555-0199 ext. 12"},
			"priya.n@example.in":           {"Priya Nair", "+91 98450 12345"},
			"jean-luc.picard@example.fr":   {"Jean-Luc Picard", "+33 1 23 45 67 89"},
		}},
		{file: "linkedin-connections.csv", wantNotice: "the header is on line 4", customers: map[string]want{
			"bruno.salgado@example.com": {"Bruno Salgado", ""},
			"chen.wei@example.com":      {"Chen Wei", ""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			path := filepath.Join(dir, tt.file)
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			sb := sandboxtest.NewServer(t, sandbox.Options{})
			env := map[string]string{"AIVA_API_URL": sb.URL, "AIVA_TOKEN": sandbox.TokenReadWrite}

			stdio, _, errOut := testIO(env)
			code := run(context.Background(), []string{"validate", path, "--no-progress"}, stdio)
			var flags []string
			if code == exitInput {
				flags = suggestedFlags(t, errOut.String())
			}
			if !strings.Contains(errOut.String(), tt.wantNotice) {
				t.Errorf("validate does not say %q:\n%s", tt.wantNotice, errOut)
			}
			for _, f := range tt.wantFlags {
				if !contains(flags, f) {
					t.Errorf("suggested flags %q lack %q; message:\n%s", flags, f, errOut)
				}
			}
			stdio, _, errOut = testIO(env)
			if code := run(context.Background(), append([]string{"validate", path, "--no-progress"}, flags...), stdio); code == exitInput {
				t.Fatalf("validate with the suggested flags %q: exit %d, the header still stops it:\n%s", flags, code, errOut)
			}
			stdio, _, errOut = testIO(env)
			args := append([]string{"import", path, "--no-progress", "--rate", "0"}, flags...)
			if code := run(context.Background(), args, stdio); code != exitOK && code != exitRowProblems {
				t.Fatalf("import %q: exit %d:\n%s", args, code, errOut)
			}
			report, err := os.ReadFile(strings.TrimSuffix(path, ".csv") + ".report.csv")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(report), tt.wantReport) {
				t.Errorf("the report lacks %q:\n%s", tt.wantReport, report)
			}
			got := sb.Customers(sandbox.TenantDemo)
			seen := map[string]bool{}
			for _, c := range got {
				email := strings.ToLower(c.Email)
				w, ok := tt.customers[email]
				switch {
				case !ok:
					t.Errorf("unexpected customer %+v", c)
					continue
				case seen[email]:
					t.Errorf("customer %s stored twice", email)
				}
				seen[email] = true
				if c.Name != w.name {
					t.Errorf("%s: name %q, want %q", email, c.Name, w.name)
				}
				if c.Phone != w.phone {
					t.Errorf("%s: phone %q, want %q", email, c.Phone, w.phone)
				}
				for _, v := range []string{c.Name, c.Phone, c.Email, c.Notes} {
					if strings.HasPrefix(v, "'") {
						t.Errorf("%s: %q keeps a ' marker", email, v)
					}
				}
			}
			var missing []string
			for e := range tt.customers {
				if !seen[e] {
					missing = append(missing, e)
				}
			}
			sort.Strings(missing)
			if len(missing) > 0 {
				t.Errorf("not stored: %q; import said:\n%s", missing, errOut)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
