package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"aivabatch/apiclient"
	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
	"aivabatch/batch"
	"aivabatch/batch/customer"
)

// TestOverwriteJobRoundTrip: the policies validate --write-job keeps, as
// an [overwrite] table, give import --job the same policies as the flags,
// and the import applies them to what the sandbox holds.
func TestOverwriteJobRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := writeLines(t, filepath.Join(dir, "in.csv"),
		"name,email,phone,type,notes",
		"Ana,ana@example.com,900,business,new notes",
		"Bo,bo@example.com,901,business,new notes")
	job := filepath.Join(dir, "job.toml")
	stdio, _, errOut := testIO(nil)
	args := []string{"validate", in, "--overwrite", "phone=if-empty", "--overwrite", "notes,type=never", "--write-job", job}
	if code := run(context.Background(), args, stdio); code != exitOK {
		t.Fatalf("validate: exit %d; stderr:\n%s", code, errOut)
	}
	text, err := os.ReadFile(job)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"[overwrite]", `phone = "if-empty"`, `"notes,type" = "never"`} {
		if !strings.Contains(string(text), want) {
			t.Errorf("job file lacks %s:\n%s", want, text)
		}
	}
	// Read back by validate (which writes it again the same) and import.
	again := filepath.Join(dir, "again.toml")
	stdio, _, errOut = testIO(nil)
	if code := run(context.Background(), []string{"validate", in, "--job", job, "--write-job", again}, stdio); code != exitOK {
		t.Fatalf("validate --job: exit %d; stderr:\n%s", code, errOut)
	}
	text2, _ := os.ReadFile(again)
	if body := func(b []byte) string { _, s, _ := strings.Cut(string(b), "\n\n"); return s }; body(text) != body(text2) {
		t.Errorf("written again differently:\n%s\nthen\n%s", text, text2)
	}
	stdio, _, _ = testIO(nil)
	o, err := parseImport(lookupCommand("import"), []string{in, "--job", job}, stdio)
	if err != nil {
		t.Fatal(err)
	}
	want := batch.Overwrites{customer.FieldPhone: batch.OverwriteIfEmpty, customer.FieldNotes: batch.OverwriteNever, customer.FieldType: batch.OverwriteNever}
	if fmt.Sprint(o.cfg.Overwrite) != fmt.Sprint(want) {
		t.Errorf("import --job policies %v, want %v", o.cfg.Overwrite, want)
	}

	sb := sandboxtest.NewServer(t, sandbox.Options{})
	c, err := apiclient.New(apiclient.Options{BaseURL: sb.URL, Token: sandbox.TokenReadWrite, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []apiclient.Fields{
		{"name": "Ana", "email": "ana@example.com", "phone": "", "type": "individual", "notes": "keep"},
		{"name": "Bo", "email": "bo@example.com", "phone": "111", "type": "individual", "notes": ""},
	} {
		if _, err := c.CreateCustomer(context.Background(), f, ""); err != nil {
			t.Fatal(err)
		}
	}
	stdio, _, errOut = testIO(map[string]string{"AIVA_API_URL": sb.URL, "AIVA_TOKEN": sandbox.TokenReadWrite})
	if code := run(context.Background(), []string{"import", in, "--job", job, "--no-progress"}, stdio); code != exitOK {
		t.Fatalf("import --job: exit %d; stderr:\n%s", code, errOut)
	}
	got := map[string]string{}
	for _, cu := range sb.Customers(sandbox.TenantDemo) {
		got[cu.Email] = cu.Phone + "|" + cu.Type + "|" + cu.Notes
	}
	wantHeld := map[string]string{"ana@example.com": "900|individual|keep", "bo@example.com": "111|individual|"}
	if fmt.Sprint(got) != fmt.Sprint(wantHeld) {
		t.Errorf("the sandbox holds %v, want %v", got, wantHeld)
	}
}

// TestOverwriteUsageErrors: a bad policy, on the command line or in a job
// file, is exit 2 naming it and the closest field or word, before any
// file is read.
func TestOverwriteUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := writeLines(t, filepath.Join(dir, "in.csv"), "name,email", "Ana,ana@example.com")
	tests := []struct {
		cmd  string
		args []string
		job  string
		want []string
	}{
		{cmd: "import", args: []string{"--overwrite", "phon=if-empty"}, want: []string{`--overwrite "phon=if-empty": unknown field "phon"; the closest is "phone"`}},
		{cmd: "validate", args: []string{"--overwrite", "notes=nevr"}, want: []string{`unknown policy "nevr"; the closest is "never"`}},
		{cmd: "import", args: []string{"--overwrite", "value=if-empty"}, want: []string{"value is never blank", "use always or never"}},
		{cmd: "import", args: []string{"--overwrite", "phone"}, want: []string{"write FIELD=POLICY"}},
		{cmd: "import", job: "[overwrite]\nnotse = \"never\"", want: []string{`unknown field "notse"; the closest is "notes"`}},
		{cmd: "validate", job: "[overwrite]\nphone = \"if-emtpy\"", want: []string{`unknown policy "if-emtpy"; the closest is "if-empty"`}},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			args := append([]string{tt.cmd, in}, tt.args...)
			if tt.job != "" {
				args = append(args, "--job", writeLines(t, filepath.Join(dir, fmt.Sprintf("%d.toml", i)), tt.job))
			}
			stdio, _, errOut := testIO(map[string]string{"AIVA_TOKEN": sandbox.TokenReadWrite, "AIVA_API_URL": "http://127.0.0.1:1"})
			if code := run(context.Background(), args, stdio); code != exitInput {
				t.Errorf("exit %d, want 2; stderr:\n%s", code, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}
