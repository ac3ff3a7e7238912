package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
)

// jobInput is a file whose headers need the mapping a job keeps.
func jobInput(t *testing.T, dir string) string {
	t.Helper()
	return writeLines(t, filepath.Join(dir, "crm.csv"),
		"Full Name,E-mail Address,Lifetime Value,Customer Since",
		"Ana Lima,ana@example.com,12.5,2020-01-01",
		"Bo Berg,bo@example.com,3,2021-05-05",
		"Cy Chen,not-an-address,1,2022-02-02")
}

// TestJobFileRoundTrip: the job validate --write-job keeps, given to
// import --job, gives the same report as the flags it was written from.
func TestJobFileRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := jobInput(t, dir)
	job := filepath.Join(dir, "crm.toml")
	flags := []string{"--map", "Full Name=name", "--map", "E-mail Address=email", "--map", "Lifetime Value=value", "--map", "Customer Since=-", "--mode", "create"}

	stdio, _, errOut := testIO(nil)
	validateArgs := []string{"validate", in, "--write-job", job, "--limit", "3", "--skip", "0", "--report", filepath.Join(dir, "v.csv"), "--summary-json", filepath.Join(dir, "v.json")}
	if code := run(context.Background(), append(validateArgs, flags...), stdio); code != exitRowProblems {
		t.Fatalf("validate: exit %d, want 1; stderr:\n%s", code, errOut)
	}
	if !strings.Contains(errOut.String(), "job: "+job) {
		t.Errorf("validate does not name the job file:\n%s", errOut)
	}
	st, err := os.Stat(job)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("job file mode %v, want 0600", st.Mode().Perm())
	}
	text, _ := os.ReadFile(job)
	for _, want := range []string{"[map]", `"Lifetime Value" = "value"`, `"Customer Since" = "-"`, `mode = "create"`} {
		if !strings.Contains(string(text), want) {
			t.Errorf("job file lacks %s:\n%s", want, text)
		}
	}
	// The first try's window and validate's own outputs are not the job's.
	for _, unwanted := range []string{"limit", "skip", "report", "summary-json"} {
		if strings.Contains(string(text), unwanted+" =") {
			t.Errorf("job file keeps %s, which was about validate's run:\n%s", unwanted, text)
		}
	}

	importReport := func(name string, args ...string) []byte {
		t.Helper()
		sb := sandboxtest.NewServer(t, sandbox.Options{Seed: 7, Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }})
		stdio, _, errOut := testIO(map[string]string{"AIVA_API_URL": sb.URL, "AIVA_TOKEN": sandbox.TokenReadWrite})
		report := filepath.Join(dir, name+".report.csv")
		args = append([]string{"import", in, "--report", report, "--workers", "1", "--no-progress"}, args...)
		if code := run(context.Background(), args, stdio); code != exitRowProblems {
			t.Fatalf("%s: exit %d, want 1; stderr:\n%s", name, code, errOut)
		}
		b, err := os.ReadFile(report)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	byFlags := importReport("flags", flags...)
	byJob := importReport("job", "--job", job)
	if !bytes.Equal(byFlags, byJob) {
		t.Errorf("import --job report differs from the flags':\nflags:\n%s\njob:\n%s", byFlags, byJob)
	}
	if !bytes.Contains(byJob, []byte("created")) {
		t.Errorf("the job's mapping was not applied:\n%s", byJob)
	}
}

// TestJobFileFlagsOverride: a flag on the command line wins over the
// job file's; a --map of a column the file maps replaces the file's.
func TestJobFileFlagsOverride(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := jobInput(t, dir)
	job := writeLines(t, filepath.Join(dir, "job.toml"),
		`mode = "update"`,
		`report = "`+filepath.ToSlash(filepath.Join(dir, "from-job.csv"))+`"`,
		`[map]`,
		`"Full Name" = "name"`,
		`"E-mail Address" = "email"`,
		`"Lifetime Value" = "phone"`,
		`"Customer Since" = "-"`)
	report := filepath.Join(dir, "from-flag.csv")
	stdio, _, errOut := testIO(nil)
	code := run(context.Background(), []string{"validate", "--job", job, in, "--mode", "create", "--report", report, "--map", "Lifetime Value=value"}, stdio)
	if code != exitRowProblems {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "from-job.csv")); err == nil {
		t.Errorf("the job's report path was used over --report")
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("--report from the command line not written: %v\n%s", err, errOut)
	}
	// --mode create from the command line: the two good rows are valid
	// (update would want an id); --map Lifetime Value=value replaced the
	// job's phone mapping, which would have made 12.5 an invalid phone.
	if got := strings.Count(string(b), ",valid"); got != 2 {
		t.Errorf("%d valid rows, want 2 (command line did not win):\n%s\nstderr:\n%s", got, b, errOut)
	}
}

func TestJobFileErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := jobInput(t, dir)
	token := sandbox.TokenReadWrite
	tests := []struct {
		name, cmd, job string
		wantErr        []string
	}{
		{name: "unknown key", cmd: "validate", job: `reprot = "x.csv"`, wantErr: []string{`unknown key "reprot"`, `the closest is "report"`}},
		{name: "unknown key far from any", cmd: "import", job: `wrokers = 3`, wantErr: []string{`unknown key "wrokers"`, `"workers"`}},
		{name: "token key", cmd: "import", job: `api_token = "x"`, wantErr: []string{`"api_token" looks like a token`, "AIVA_TOKEN", "--token-file"}},
		{name: "token key in export", cmd: "export", job: `token = "x"`, wantErr: []string{"never read from a job file", "AIVA_TOKEN"}},
		{name: "token-shaped value", cmd: "import", job: `token-file = "` + token + `"`, wantErr: []string{"shaped like a token", "AIVA_TOKEN"}},
		{name: "bad value", cmd: "import", job: `workers = "many"`, wantErr: []string{`workers = "many": want a whole number`}},
		{name: "list for one value", cmd: "validate", job: `mode = ["create", "update"]`, wantErr: []string{"mode takes one value, not a list"}},
		{name: "syntax", cmd: "validate", job: `mode = `, wantErr: []string{"line 1"}},
		{name: "job in a job", cmd: "validate", job: `job = "other.toml"`, wantErr: []string{"job cannot be set in a job file"}},
		{name: "dotted unknown key", cmd: "validate", job: `reprot.x = 1`, wantErr: []string{`unknown key "reprot"`, `the closest is "report"`}},
		{name: "unknown table", cmd: "validate", job: "[reprot]\nx = 1", wantErr: []string{`unknown key "reprot"`}},
		{name: "dotted map key", cmd: "validate", job: `map."Nm" = "name"`, wantErr: []string{`--map names the column "Nm", which the file does not have`}},
		{name: "too large", cmd: "validate", job: "# " + strings.Repeat("x", 1<<20), wantErr: []string{"larger than 1024 KiB"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job := writeLines(t, filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".toml"), tt.job)
			args := []string{tt.cmd, "--job", job}
			if tt.cmd != "export" {
				args = append(args, in)
			}
			stdio, out, errOut := testIO(map[string]string{"AIVA_TOKEN": token})
			if code := run(context.Background(), args, stdio); code != exitInput {
				t.Errorf("exit %d, want 2; stderr:\n%s", code, errOut)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(errOut.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			if !strings.HasPrefix(errOut.String(), "aivabatch: ") {
				t.Errorf("error does not start with aivabatch:\n%s", errOut)
			}
			if strings.Contains(errOut.String()+out.String(), token) {
				t.Errorf("the token is shown:\n%s", errOut)
			}
		})
	}
}

// TestWriteJobRefusesInput: --write-job never replaces the input or the
// report.
func TestWriteJobRefusesInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := jobInput(t, dir)
	before, _ := os.ReadFile(in)
	for _, target := range []string{in, filepath.Join(dir, "crm.validate.csv")} {
		stdio, _, errOut := testIO(nil)
		if code := run(context.Background(), []string{"validate", in, "--ignore-unknown", "--write-job", target}, stdio); code != exitInput {
			t.Errorf("--write-job %s: exit %d, want 2; stderr:\n%s", target, code, errOut)
		}
		if !strings.Contains(errOut.String(), "give --write-job another path") {
			t.Errorf("stderr does not say what to do:\n%s", errOut)
		}
	}
	if after, _ := os.ReadFile(in); !bytes.Equal(before, after) {
		t.Errorf("the input changed")
	}
}
