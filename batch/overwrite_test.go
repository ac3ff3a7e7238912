package batch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"aivabatch/apiclient"
	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
	"aivabatch/batch/customer"
	"aivabatch/formats"
)

// policies reads entries into Overwrites, failing the test on a bad one.
func policies(t *testing.T, entries ...string) Overwrites {
	t.Helper()
	ow := Overwrites{}
	for _, e := range entries {
		if err := ow.Add(e); err != nil {
			t.Fatalf("%q: %v", e, err)
		}
	}
	return ow
}

// TestOverwritePlan: what an update sends under each policy, by the
// customer's current value, with and without --blank clear.
func TestOverwritePlan(t *testing.T) {
	cur := apiclient.Customer{ID: "c1", Name: "Ana", Email: "ana@example.com", Phone: "1", Notes: "old", Status: "active", Type: "individual"}
	blankPhone := cur
	blankPhone.Phone = ""
	spacePhone := cur
	spacePhone.Phone = "  "
	tests := []struct {
		name   string
		cur    *apiclient.Customer
		policy []string
		clear  bool
		row    []string // name, phone, notes, status
		want   string   // _changes; "unchanged" for no call
		fields string   // the profile fields sent, sorted
	}{
		{"always sends a change", &cur, nil, false, []string{"", "2", "", ""}, "phone: 1 → 2", "phone"},
		{"always written out", &cur, []string{"phone=always"}, false, []string{"", "2", "", ""}, "phone: 1 → 2", "phone"},
		{"if-empty onto a blank value", &blankPhone, []string{"phone=if-empty"}, false, []string{"", "2", "", ""}, `phone: "" → 2`, "phone"},
		{"if-empty onto spaces", &spacePhone, []string{"phone=if-empty"}, false, []string{"", "2", "", ""}, "phone:    → 2", "phone"},
		{"if-empty onto a value: nothing to send", &cur, []string{"phone=if-empty"}, false, []string{"", "2", "", ""}, "unchanged", ""},
		{"if-empty without the customer sends nothing", nil, []string{"phone=if-empty"}, false, []string{"", "2", "", ""}, "unchanged", ""},
		{"never, other fields sent", &cur, []string{"notes=never"}, false, []string{"Ana B", "", "new", ""}, "name: Ana → Ana B", "name"},
		{"never on status: no status call", &cur, []string{"status=never"}, false, []string{"", "2", "", "blocked"}, "phone: 1 → 2", "phone"},
		{"several fields, one entry", &cur, []string{"phone,notes=never"}, false, []string{"", "2", "new", ""}, "unchanged", ""},
		{"a later entry wins", &cur, []string{"phone=never", "PHONE=Always"}, false, []string{"", "2", "", ""}, "phone: 1 → 2", "phone"},
		{"mixed", &blankPhone, []string{"phone=if-empty", "notes=never"}, false, []string{"Ana B", "2", "new", "inactive"}, `name: Ana → Ana B; phone: "" → 2; status: active → inactive`, "name phone"},
		// --blank clear: a blank cell clears only what always allows.
		{"clear, always", &cur, nil, true, []string{"", "", "", ""}, `phone: 1 → ""; notes: old → ""`, "notes phone"},
		{"clear, if-empty onto a value keeps it", &cur, []string{"phone=if-empty"}, true, []string{"", "", "", ""}, `notes: old → ""`, "notes"},
		{"clear, if-empty onto a blank value is no change", &blankPhone, []string{"phone=if-empty", "notes=never"}, true, []string{"", "", "", ""}, "unchanged", ""},
		{"clear, never keeps it", &cur, []string{"notes=never", "phone=never"}, true, []string{"", "", "", ""}, "unchanged", ""},
	}
	m, err := customer.MapHeader([]string{"name", "phone", "notes", "status"}, customer.MapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	v := customer.NewValidator(m, customer.ValidatorOptions{Mode: customer.ActionUpdate})
	defer v.Close()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// CheckFields wants an id for an update: the plan is given one.
			rec := v.CheckFields(formats.Row{Num: 2, Cells: tt.row})
			p := updatePlan(rec, "c1", tt.cur, tt.clear, policies(t, tt.policy...))
			got := p.changes
			if p.op == opNone {
				got = string(p.result)
			}
			if tt.cur == nil {
				got = strings.TrimPrefix(got, "not compared (the customer was not read), sent: ")
			}
			if got != tt.want {
				t.Errorf("changes %q, want %q", got, tt.want)
			}
			var sent []string
			for f := range p.fields {
				sent = append(sent, f)
			}
			slices.Sort(sent)
			if s := strings.Join(sent, " "); s != tt.fields {
				t.Errorf("fields sent %q, want %q", s, tt.fields)
			}
			if tt.want == "unchanged" && (p.op != opNone || p.status != "") {
				t.Errorf("op %v status %q, want no call", p.op, p.status)
			}
		})
	}
}

// TestOverwriteAddErrors: an entry that cannot be read names the field or
// word, with the closest one.
func TestOverwriteAddErrors(t *testing.T) {
	tests := []struct {
		entry string
		want  OverwriteError
		msg   string
	}{
		{"phon=if-empty", OverwriteError{Field: "phon", Closest: "phone"}, `unknown field "phon"; the closest is "phone"`},
		{"nots=never", OverwriteError{Field: "nots", Closest: "notes"}, `unknown field "nots"; the closest is "notes"`},
		{"phone,id=never", OverwriteError{Field: "id", Closest: "name"}, `unknown field "id"`},
		{"phone=if-emtpy", OverwriteError{Word: "if-emtpy", Closest: "if-empty"}, `unknown policy "if-emtpy"; the closest is "if-empty" (the policies: always, if-empty, never)`},
		{"notes=nevr", OverwriteError{Word: "nevr", Closest: "never"}, `the closest is "never"`},
		{"value=if-empty", OverwriteError{NeverBlank: customer.FieldValue}, "value is never blank"},
		{"status=if-empty", OverwriteError{NeverBlank: customer.FieldStatus}, "use always or never"},
		{"phone", OverwriteError{}, "write FIELD=POLICY"},
		{"=never", OverwriteError{}, "write FIELD=POLICY"},
		{"phone=", OverwriteError{}, "write FIELD=POLICY"},
	}
	for _, tt := range tests {
		ow := Overwrites{}
		err := ow.Add(tt.entry)
		var oe *OverwriteError
		if !errors.As(err, &oe) {
			t.Errorf("%q: error %v, want an *OverwriteError", tt.entry, err)
			continue
		}
		tt.want.Entry = tt.entry
		if *oe != tt.want {
			t.Errorf("%q: %+v, want %+v", tt.entry, *oe, tt.want)
		}
		if !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%q: %q, want it to say %q", tt.entry, err, tt.msg)
		}
		if len(ow) != 0 {
			t.Errorf("%q: a bad entry set %v", tt.entry, ow)
		}
	}
	ow := Overwrites{}
	if err := ow.Add(" First Name , NOTES = If-Empty "); err != nil || ow[customer.FieldFirstName] != OverwriteIfEmpty || ow[customer.FieldNotes] != OverwriteIfEmpty {
		t.Errorf("aliases and case: %v %v", ow, err)
	}
}

// TestOverwriteNeedsTheList: a policy makes the run list the tenant, also
// with --match none and no id column, since it compares with the
// customer's current values.
func TestOverwriteNeedsTheList(t *testing.T) {
	m, err := customer.MapHeader([]string{"name", "email"}, customer.MapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := ImportConfig{}
	if needList(&cfg, m) {
		t.Fatal("lists without a reason")
	}
	cfg.Overwrite = Overwrites{customer.FieldPhone: OverwriteAlways}
	if needList(&cfg, m) {
		t.Error("lists for a policy of always only")
	}
	cfg.Overwrite[customer.FieldNotes] = OverwriteNever
	if !needList(&cfg, m) {
		t.Error("does not list with notes=never")
	}
}

// overwriteTenant seeds customers whose phone and notes are blank or
// not, and returns a snapshot function of what the sandbox holds.
func overwriteTenant(t *testing.T, c *apiclient.Client, sb *sandboxtest.Server) func() map[string]string {
	t.Helper()
	ctx := context.Background()
	for _, f := range []apiclient.Fields{
		{"name": "Ana", "email": "ana@example.com", "phone": "", "notes": "ana's notes"},
		{"name": "Bo", "email": "bo@example.com", "phone": "111", "notes": "bo's notes"},
		{"name": "Cy", "email": "cy@example.com", "phone": "222", "notes": ""},
	} {
		if _, err := c.CreateCustomer(ctx, f, ""); err != nil {
			t.Fatal(err)
		}
	}
	return func() map[string]string {
		m := map[string]string{}
		for _, c := range sb.Customers(sandbox.TenantDemo) {
			m[c.Email] = fmt.Sprintf("%s|%s|%s|%s", c.Name, c.Phone, c.Status, c.Notes)
		}
		return m
	}
}

// overwriteRows: phone and notes for every customer, a status for Cy, a
// new customer with notes.
var overwriteRows = []string{
	"name,email,phone,status,notes",
	",ana@example.com,900,,new notes",
	",bo@example.com,901,,new notes",
	",cy@example.com,902,blocked,new notes",
	"Di,di@example.com,903,,di's notes",
}

// TestImportOverwritePolicies: with phone=if-empty and notes=never an
// upsert by email fills Ana's blank phone only, leaves Bo as he is
// (unchanged, no call), changes only Cy's status, and still creates Di
// with her notes; judged by what the sandbox holds.
func TestImportOverwritePolicies(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	c := newClient(t, sb.URL, sandbox.TokenReadWrite, nil)
	snapshot := overwriteTenant(t, c, sb)
	dir := t.TempDir()
	in := writeFile(t, dir, "in.csv", overwriteRows...)
	cfg := importCfg(in, c)
	cfg.MatchEmail = true
	cfg.Overwrite = policies(t, "phone=if-empty", "notes=never")
	before := sb.Stats().Requests
	sum, err := Import(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	after := sb.Stats().Requests
	rows := readReport(t, filepath.Join(dir, "in.report.csv"))
	want := [][2]string{
		{"updated", `phone: "" → 900`},
		{"unchanged", ""},
		{"updated", "status: active → blocked"},
		{"created", ""},
	}
	for i, w := range want {
		if rows[i]["_result"] != w[0] || rows[i]["_changes"] != w[1] {
			t.Errorf("row %s: %s %q (%s), want %s %q", rows[i]["_row"], rows[i]["_result"], rows[i]["_changes"], rows[i]["_error"], w[0], w[1])
		}
	}
	if d := after.Update - before.Update; d != 1 {
		t.Errorf("%d profile updates, want 1 (Ana's phone)", d)
	}
	if d := after.Status - before.Status; d != 1 {
		t.Errorf("%d status calls, want 1 (Cy's)", d)
	}
	got := snapshot()
	wantHeld := map[string]string{
		"ana@example.com": "Ana|900|active|ana's notes",
		"bo@example.com":  "Bo|111|active|bo's notes",
		"cy@example.com":  "Cy|222|blocked|",
		"di@example.com":  "Di|903|active|di's notes",
	}
	if fmt.Sprint(got) != fmt.Sprint(wantHeld) {
		t.Errorf("the sandbox holds\n%v\nwant\n%v", got, wantHeld)
	}
	if sum.Counts[ResultUnchanged] != 1 || sum.Counts[ResultUpdated] != 2 || sum.Counts[ResultCreated] != 1 {
		t.Errorf("counts %v", sum.Counts)
	}

	// The same file again: every field it holds is now held back or
	// already there, so nothing is sent.
	again := importCfg(writeFile(t, dir, "again.csv", overwriteRows[:4]...), c)
	again.MatchEmail = true
	again.Overwrite = cfg.Overwrite
	before = sb.Stats().Requests
	sum, err = Import(context.Background(), again)
	if err != nil {
		t.Fatal(err)
	}
	if w := sb.Stats().Requests.Writes() - before.Writes(); w != 0 || sum.Counts[ResultUnchanged] != 3 {
		t.Errorf("second run: %d writes, counts %v; want 0 writes, 3 unchanged", w, sum.Counts)
	}
}

// TestImportOverwriteDryRun: would_update shows only what the policies
// let through, and nothing is written.
func TestImportOverwriteDryRun(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	c := newClient(t, sb.URL, sandbox.TokenReadWrite, nil)
	snapshot := overwriteTenant(t, c, sb)
	held := snapshot()
	dir := t.TempDir()
	cfg := importCfg(writeFile(t, dir, "in.csv", overwriteRows...), c)
	cfg.MatchEmail, cfg.DryRun = true, true
	cfg.Overwrite = policies(t, "phone=if-empty", "notes=never")
	before := sb.Stats().Requests
	if _, err := Import(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if w := sb.Stats().Requests.Writes() - before.Writes(); w != 0 {
		t.Errorf("the dry run wrote %d times", w)
	}
	if fmt.Sprint(snapshot()) != fmt.Sprint(held) {
		t.Errorf("the dry run changed the tenant")
	}
	rows := readReport(t, filepath.Join(dir, "in.dry-run.csv"))
	want := [][2]string{
		{"would_update", `phone: "" → 900`},
		{"unchanged", ""},
		{"would_update", "status: active → blocked"},
		{"would_create", ""},
	}
	for i, w := range want {
		if rows[i]["_result"] != w[0] || rows[i]["_changes"] != w[1] {
			t.Errorf("row %s: %s %q, want %s %q", rows[i]["_row"], rows[i]["_result"], rows[i]["_changes"], w[0], w[1])
		}
	}
}

// TestImportOverwriteUndo: the undo file of a policy-limited update,
// imported with --blank clear, gives the tenant back exactly, and its
// run sends only what the policy-limited run changed.
func TestImportOverwriteUndo(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	c := newClient(t, sb.URL, sandbox.TokenReadWrite, nil)
	snapshot := overwriteTenant(t, c, sb)
	held := snapshot()
	dir := t.TempDir()
	cfg := importCfg(writeFile(t, dir, "in.csv", overwriteRows[:4]...), c)
	cfg.MatchEmail = true
	cfg.Overwrite = policies(t, "phone=if-empty", "notes=never")
	cfg.Undo = filepath.Join(dir, "undo.csv")
	if sum, err := Import(context.Background(), cfg); err != nil || sum.Counts[ResultUpdated] != 2 {
		t.Fatalf("import: %v %v", sum.Counts, err)
	}
	undoText, err := os.ReadFile(cfg.Undo)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(undoText), "\nupdate,"); n != 2 {
		t.Errorf("undo file with %d updates, want 2 (Bo was not changed):\n%s", n, undoText)
	}
	undo := importCfg(cfg.Undo, c)
	undo.BlankClear = true
	before := sb.Stats().Requests
	if sum, err := Import(context.Background(), undo); err != nil || sum.Problems() != 0 {
		t.Fatalf("undo: %v %v", sum.Counts, err)
	}
	after := sb.Stats().Requests
	if got := snapshot(); fmt.Sprint(got) != fmt.Sprint(held) {
		t.Errorf("after undo the sandbox holds\n%v\nwant\n%v", got, held)
	}
	rows := readReport(t, filepath.Join(dir, "undo.report.csv"))
	changes := map[string]string{}
	for _, r := range rows {
		changes[r["email"]] = r["_changes"]
	}
	wantChanges := map[string]string{
		"ana@example.com": `phone: 900 → ""`,
		"cy@example.com":  "status: blocked → active",
	}
	if fmt.Sprint(changes) != fmt.Sprint(wantChanges) {
		t.Errorf("the undo run changed %v, want only %v", changes, wantChanges)
	}
	if d := after.Update - before.Update; d != 1 {
		t.Errorf("undo sent %d profile updates, want 1", d)
	}
}

// TestImportOverwriteByID: an update by id under --match none compares
// with the listed customer too (an id column makes the run list).
func TestImportOverwriteByID(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	c := newClient(t, sb.URL, sandbox.TokenReadWrite, nil)
	ctx := context.Background()
	ana, _ := c.CreateCustomer(ctx, apiclient.Fields{"name": "Ana", "email": "ana@example.com", "phone": "", "notes": "keep"}, "")
	bo, _ := c.CreateCustomer(ctx, apiclient.Fields{"name": "Bo", "email": "bo@example.com", "phone": "111"}, "")
	dir := t.TempDir()
	cfg := importCfg(writeFile(t, dir, "in.csv",
		"id,phone,notes,action",
		ana.ID+",900,new,update",
		bo.ID+",901,new,update",
	), c)
	cfg.Overwrite = policies(t, "phone=if-empty", "notes=never")
	before := sb.Stats().Requests
	if _, err := Import(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	after := sb.Stats().Requests
	if after.List == before.List {
		t.Error("the run did not list the tenant")
	}
	a, _ := c.GetCustomer(ctx, ana.ID)
	b, _ := c.GetCustomer(ctx, bo.ID)
	if a.Phone != "900" || a.Notes != "keep" || b.Phone != "111" || b.Notes != "" {
		t.Errorf("ana %q %q, bo %q %q; want 900 keep, 111 and no notes", a.Phone, a.Notes, b.Phone, b.Notes)
	}
	rows := readReport(t, filepath.Join(dir, "in.report.csv"))
	if rows[0]["_result"] != "updated" || rows[1]["_result"] != "unchanged" {
		t.Errorf("results %s, %s; want updated, unchanged", rows[0]["_result"], rows[1]["_result"])
	}
}

// TestOverwriteSample is the README's example: samples/crm-update.csv
// onto the tenant of samples/customers.csv with phone=if-empty and
// notes=never fills the two blank phones, changes Bruno's status, and
// leaves Ana (who has a phone) and every note as they were.
func TestOverwriteSample(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	c := newClient(t, sb.URL, sandbox.TokenReadWrite, nil)
	dir := t.TempDir()
	seed := importCfg(filepath.Join("..", "samples", "customers.csv"), c)
	seed.Report = filepath.Join(dir, "seed.csv")
	if sum, err := Import(context.Background(), seed); err != nil || sum.Counts[ResultCreated] != 40 {
		t.Fatalf("seed: %v %v", sum.Counts, err)
	}
	held := map[string]apiclient.Customer{}
	for _, cu := range sb.Customers(sandbox.TenantDemo) {
		held[cu.Email] = cu
	}
	cfg := importCfg(filepath.Join("..", "samples", "crm-update.csv"), c)
	cfg.Report = filepath.Join(dir, "r.csv")
	cfg.MatchEmail = true
	cfg.Overwrite = policies(t, "phone=if-empty", "notes=never")
	sum, err := Import(context.Background(), cfg)
	if err != nil || sum.Counts[ResultUnchanged] != 1 || sum.Counts[ResultUpdated] != 3 {
		t.Fatalf("%v %v", sum.Counts, err)
	}
	want := map[string]string{
		"ana.silva@example.com":    "+1 (555) 531-3471|active|",
		"bruno.costa@example.com":  "+1 (555) 288-8104|active|VIP since 2019",
		"eva.novak@example.com":    "+1 (555) 000-0005|blocked|VIP since 2019",
		"farah.haddad@example.com": "+1 (555) 000-0006|active|",
	}
	for _, cu := range sb.Customers(sandbox.TenantDemo) {
		w, ok := want[cu.Email]
		if !ok {
			if fmt.Sprint(cu) != fmt.Sprint(held[cu.Email]) {
				t.Errorf("%s changed", cu.Email)
			}
			continue
		}
		if got := cu.Phone + "|" + cu.Status + "|" + cu.Notes; got != w {
			t.Errorf("%s holds %q, want %q", cu.Email, got, w)
		}
	}
}

// TestResumeCompletesItsCreateWhateverThePolicy: a row created by the
// earlier run and edited since is sent as an update that the policies do
// not limit (the resume ends as the uninterrupted run would have: that
// customer created with the row's values), found by email or not.
func TestResumeCompletesItsCreateWhateverThePolicy(t *testing.T) {
	for _, matchEmail := range []bool{false, true} {
		t.Run(fmt.Sprint("match email ", matchEmail), func(t *testing.T) {
			sb := sandboxtest.NewServer(t, sandbox.Options{})
			dir := t.TempDir()
			in := writeFile(t, dir, "c.csv", "name,email,phone", "Ana,ana@example.com,+1 555 0001")
			cfg := importCfg(in, newClient(t, sb.URL, sandbox.TokenReadWrite, nil))
			cfg.MatchEmail = matchEmail
			cfg.Overwrite = policies(t, "phone=never")
			if _, err := Import(context.Background(), cfg); err != nil {
				t.Fatal(err)
			}
			writeFile(t, dir, "c.csv", "name,email,phone", "Ana,ana@example.com,+1 555 9999")
			cfg.Resume = true
			if _, err := Import(context.Background(), cfg); err != nil {
				t.Fatal(err)
			}
			cs := sb.Customers(sandbox.TenantDemo)
			if len(cs) != 1 || cs[0].Phone != "+1 555 9999" {
				t.Errorf("the sandbox holds %+v, want Ana with the row's new phone", cs)
			}
		})
	}
}
