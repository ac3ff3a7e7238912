package batch

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"aivabatch/apiclient"
	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
)

// The API document promises no shape of id: the tool must work with any.
// These tests run the id paths of every pipeline (export in each format,
// import of the export, updates and deletes by id, validate, dry run,
// undo) against sandboxes that make ids of every style, UUIDs (the
// document's example) first, and judge them by what the server holds.

func seedPeople(t *testing.T, sb *sandboxtest.Server, n int) {
	t.Helper()
	err := sb.Seed(sandbox.TenantDemo, n, func(i int) apiclient.Customer {
		return apiclient.Customer{Name: fmt.Sprintf("Person %d", i), Email: fmt.Sprintf("p%d@example.com", i),
			Phone: fmt.Sprintf("+1 555 %04d", i), Value: float64(i), Notes: "n"}
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestIDStylesEndToEnd(t *testing.T) {
	for _, style := range sandbox.IDStyles {
		t.Run(style, func(t *testing.T) {
			sb := sandboxtest.NewServer(t, sandbox.Options{IDStyle: style})
			seedPeople(t, sb, 10)
			c := newClient(t, sb.URL, sandbox.TokenReadWrite, nil)
			before := profilesWithIDs(sb.Customers(sandbox.TenantDemo))
			dir := t.TempDir()
			for _, ext := range []string{"csv", "xlsx", "ndjson"} {
				p := filepath.Join(dir, "export."+ext)
				exportTo(t, c, p, nil)

				// validate: the export's ids are ids, whatever they look like.
				vs, err := Validate(context.Background(), ValidateConfig{InputConfig{Path: p}})
				if err != nil || vs.Counts[ResultValid] != 10 {
					t.Fatalf("%s: validate: %v %v %v", ext, vs.Counts, vs.FirstErrors, err)
				}
				// Import back, matching by email (the default) and not:
				// every row unchanged, no write.
				for _, match := range []bool{true, false} {
					w0 := sb.Stats().Requests.Writes()
					cfg := importCfg(p, c)
					cfg.MatchEmail = match
					cfg.Report = filepath.Join(dir, fmt.Sprintf("%s-%v.report.csv", ext, match))
					sum, err := Import(context.Background(), cfg)
					if err != nil || sum.Counts[ResultUnchanged] != 10 {
						t.Fatalf("%s match %v: %v %v %v", ext, match, sum.Counts, sum.FirstErrors, err)
					}
					if w := sb.Stats().Requests.Writes() - w0; w != 0 {
						t.Errorf("%s match %v: %d writes, want 0", ext, match, w)
					}
				}
			}
			if got := profilesWithIDs(sb.Customers(sandbox.TenantDemo)); got != before {
				t.Fatalf("the round trips changed the tenant:\n%s\nwant\n%s", got, before)
			}

			// Five phones edited in each format: five updates by id, the
			// dry run first.
			for k, ext := range []string{"csv", "xlsx", "ndjson"} {
				p := filepath.Join(dir, "export."+ext)
				want := editPhones(t, p, ext, fmt.Sprintf("+49 30 %d", k))
				dry := importCfg(p, c)
				dry.MatchEmail, dry.DryRun = true, true
				dry.Report = filepath.Join(dir, "dry-"+ext+".csv")
				w0 := sb.Stats().Requests.Writes()
				sum, err := Import(context.Background(), dry)
				if err != nil || sum.Counts[ResultWouldUpdate] != 5 || sb.Stats().Requests.Writes() != w0 {
					t.Fatalf("%s dry run: %v %v %v", ext, sum.Counts, sum.FirstErrors, err)
				}
				cfg := importCfg(p, c)
				cfg.MatchEmail = true
				cfg.Report = filepath.Join(dir, "edit-"+ext+".csv")
				cfg.Undo = filepath.Join(dir, "undo-"+ext+".csv")
				beforeEdit := profilesWithIDs(sb.Customers(sandbox.TenantDemo))
				sum, err = Import(context.Background(), cfg)
				if err != nil || sum.Counts[ResultUpdated] != 5 || sum.Counts[ResultUnchanged] != 5 {
					t.Fatalf("%s edit: %v %v %v", ext, sum.Counts, sum.FirstErrors, err)
				}
				if w := sb.Stats().Requests.Update; w < 5 {
					t.Errorf("%s: %d updates", ext, w)
				}
				for _, cu := range sb.Customers(sandbox.TenantDemo) {
					if ph, ok := want[cu.ID]; ok && cu.Phone != ph {
						t.Errorf("%s: customer %s phone %q, want %q", ext, cu.ID, cu.Phone, ph)
					}
				}
				// The undo file puts the tenant back.
				u := importCfg(cfg.Undo, c)
				u.MatchEmail = true
				sum, err = Import(context.Background(), u)
				if err != nil || sum.Counts[ResultUpdated] != 5 {
					t.Fatalf("%s undo: %v %v %v", ext, sum.Counts, sum.FirstErrors, err)
				}
				if got := profilesWithIDs(sb.Customers(sandbox.TenantDemo)); got != beforeEdit {
					t.Fatalf("%s: after undo\n%s\nwant\n%s", ext, got, beforeEdit)
				}
			}

			// Three deleted by an action column.
			cs := sb.Customers(sandbox.TenantDemo)
			del := writeFile(t, dir, "delete.csv", "id,action", cs[0].ID+",delete", cs[4].ID+",delete", cs[9].ID+",delete")
			sum, err := Import(context.Background(), importCfg(del, c))
			if err != nil || sum.Counts[ResultDeleted] != 3 {
				t.Fatalf("delete: %v %v %v", sum.Counts, sum.FirstErrors, err)
			}
			left := sb.Customers(sandbox.TenantDemo)
			if len(left) != 7 || slices.ContainsFunc(left, func(x apiclient.Customer) bool {
				return x.ID == cs[0].ID || x.ID == cs[4].ID || x.ID == cs[9].ID
			}) {
				t.Errorf("after delete: %d customers %v", len(left), left)
			}
		})
	}
}

// profilesWithIDs renders customers sorted by id with every field the
// tool writes, and no timestamps.
func profilesWithIDs(cs []apiclient.Customer) string {
	lines := make([]string, 0, len(cs))
	for _, c := range cs {
		lines = append(lines, fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s|%s|%v|%v|%q", c.ID, c.Email, c.Name, c.FirstName, c.LastName, c.Phone, c.Status, c.Type, c.Value, c.AutoPayment, c.Notes))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// editPhones changes the phone of the export's rows 2, 4, 6, 8 and 10 to
// prefix and a digit, and returns id → new phone.
func editPhones(t *testing.T, path, ext, prefix string) map[string]string {
	t.Helper()
	want := map[string]string{}
	phone := func(i int) string { return fmt.Sprintf("%s %d", prefix, i) }
	switch ext {
	case "csv":
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		id, ph := slices.Index(recs[0], "id"), slices.Index(recs[0], "phone")
		for i := 2; i <= 10; i += 2 {
			recs[i-1][ph] = phone(i)
			want[recs[i-1][id]] = phone(i)
		}
		var b strings.Builder
		w := csv.NewWriter(&b)
		w.WriteAll(recs)
		if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
	case "ndjson":
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		for i := 2; i <= 10; i += 2 {
			var m map[string]any
			d := json.NewDecoder(strings.NewReader(lines[i-1]))
			d.UseNumber() // a numeric id stays exact
			if err := d.Decode(&m); err != nil {
				t.Fatal(err)
			}
			m["phone"] = phone(i)
			want[fmt.Sprint(m["id"])] = phone(i)
			nb, _ := json.Marshal(m)
			lines[i-1] = string(nb)
		}
		if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	case "xlsx":
		f, err := excelize.OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		sheet := f.GetSheetName(0)
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		id, ph := slices.Index(rows[0], "id"), slices.Index(rows[0], "phone")
		for i := 2; i <= 10; i += 2 {
			cell, _ := excelize.CoordinatesToCellName(ph+1, i)
			if err := f.SetCellStr(sheet, cell, phone(i)); err != nil {
				t.Fatal(err)
			}
			want[rows[i-1][id]] = phone(i)
		}
		if err := f.Save(); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	return want
}

// TestIDColumnCheckedAgainstTenant: an id column is checked against the
// tenant's list before any write. Mostly unknown ids stop the run (another
// system's key); an unknown id among known ones is a row error; an id and
// an email that name two customers is a row error.
func TestIDColumnCheckedAgainstTenant(t *testing.T) {
	for _, style := range []string{sandbox.IDUUID, sandbox.IDNumeric} {
		t.Run(style, func(t *testing.T) {
			sb := sandboxtest.NewServer(t, sandbox.Options{IDStyle: style})
			seedPeople(t, sb, 4)
			cs := sb.Customers(sandbox.TenantDemo)
			c := newClient(t, sb.URL, sandbox.TokenReadWrite, nil)
			dir := t.TempDir()

			// Outlook's 16-hex ID and HubSpot's Contact ID style: nothing sent.
			foreign := writeFile(t, dir, "outlook.csv", "ID,Name,E-mail Address,Phone",
				"241a444f0b330b22,Ann,ann@example.com,+1 555 1",
				"527fbda08922b018,Bo,bo@example.com,+1 555 2",
				",Cy,cy@example.com,+1 555 3")
			for _, dry := range []bool{false, true} {
				cfg := importCfg(foreign, c)
				cfg.MatchEmail, cfg.DryRun = true, dry
				_, err := Import(context.Background(), cfg)
				var ie *InputError
				var fe *ForeignIDError
				if !errors.As(err, &ie) || !strings.Contains(err.Error(), `the column "ID" holds no id of this tenant (0 of the first 2 found)`) ||
					!errors.As(err, &fe) || fe.Column != "ID" || !fe.MatchEmail {
					t.Fatalf("dry %v: %v", dry, err)
				}
			}
			// Without matching by email, the fix says to match by email.
			cfg := importCfg(foreign, c)
			_, err := Import(context.Background(), cfg)
			var fe *ForeignIDError
			if !errors.As(err, &fe) || fe.Column != "ID" || fe.MatchEmail {
				t.Fatalf("match none: %v", err)
			}
			if n := sb.Stats().Requests; n.Writes() != 0 || n.Get != 0 {
				t.Fatalf("requests for foreign ids: %+v", n)
			}
			// Following the printed fix: every row created once, by email.
			cfg = importCfg(foreign, c)
			cfg.MatchEmail = true
			cfg.Map.Map = map[string]string{"ID": "-"}
			sum, err := Import(context.Background(), cfg)
			if err != nil || sum.Counts[ResultCreated] != 3 || sb.Count(sandbox.TenantDemo) != 7 {
				t.Fatalf("following the fix: %v %v %v", sum.Counts, sum.FirstErrors, err)
			}

			// Mostly known ids: the unknown one is a row error; an id whose
			// row has another customer's email is a row error.
			mixed := writeFile(t, dir, "mixed.csv", "id,email,phone",
				cs[0].ID+",,+1 1",
				cs[1].ID+","+cs[2].Email+",+1 2",
				"no-such-id,,+1 3",
				cs[3].ID+",new@example.com,+1 4")
			cfg = importCfg(mixed, c)
			cfg.MatchEmail = true
			sum, err = Import(context.Background(), cfg)
			if err != nil || sum.Counts[ResultUpdated] != 2 || sum.Counts[ResultInvalid] != 2 {
				t.Fatalf("mixed: %v %v %v", sum.Counts, sum.FirstErrors, err)
			}
			rep := readReport(t, DefaultReportPath(cfg.Path, ""))
			if e := rep[2]["_error"]; !strings.Contains(e, `no customer with id "no-such-id" in this tenant`) {
				t.Errorf("unknown id: %q", e)
			}
			if e := rep[1]["_error"]; !strings.Contains(e, fmt.Sprintf("id %q is the customer with email %q, but the row's email belongs to customer %s", cs[1].ID, cs[1].Email, cs[2].ID)) {
				t.Errorf("id and email disagree: %q", e)
			}
			after := map[string]apiclient.Customer{}
			for _, x := range sb.Customers(sandbox.TenantDemo) {
				after[x.ID] = x
			}
			if after[cs[1].ID].Phone != cs[1].Phone || after[cs[2].ID].Phone != cs[2].Phone {
				t.Errorf("a customer of a refused row changed: %+v %+v", after[cs[1].ID], after[cs[2].ID])
			}
			if after[cs[0].ID].Phone != "+1 1" || after[cs[3].ID].Email != "new@example.com" {
				t.Errorf("updates by id: %+v %+v", after[cs[0].ID], after[cs[3].ID])
			}
		})
	}
}

// TestSharedEmailAndHeldEmail: an email that several customers hold is a
// row error naming each (never pick one); a create row whose email the
// tenant holds is a row error naming the customer (never a second one).
func TestSharedEmailAndHeldEmail(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	c := newClient(t, sb.URL, sandbox.TokenReadWrite, nil)
	a, _ := c.CreateCustomer(context.Background(), apiclient.Fields{"name": "A", "email": "twin@example.com"}, "")
	b, _ := c.CreateCustomer(context.Background(), apiclient.Fields{"name": "B", "email": "TWIN@example.com"}, "")
	o, _ := c.CreateCustomer(context.Background(), apiclient.Fields{"name": "O", "email": "one@example.com"}, "")
	dir := t.TempDir()
	in := writeFile(t, dir, "in.csv", "name,email,phone,action",
		"Twin,twin@example.com,+1 1,",
		"One,one@example.com,+1 2,create",
		"New,new@example.com,+1 3,create")
	cfg := importCfg(in, c)
	cfg.MatchEmail = true
	sum, err := Import(context.Background(), cfg)
	if err != nil || sum.Counts[ResultInvalid] != 2 || sum.Counts[ResultCreated] != 1 {
		t.Fatalf("%v %v %v", sum.Counts, sum.FirstErrors, err)
	}
	rep := readReport(t, DefaultReportPath(cfg.Path, ""))
	if e := rep[0]["_error"]; !strings.Contains(e, fmt.Sprintf("2 customers of this tenant have this email (ids %s, %s)", a.ID, b.ID)) {
		t.Errorf("shared email: %q", e)
	}
	if e := rep[1]["_error"]; !strings.Contains(e, "the tenant already has customer "+o.ID+" with this email") {
		t.Errorf("held email: %q", e)
	}
	if n := sb.Count(sandbox.TenantDemo); n != 4 {
		t.Errorf("%d customers, want 4", n)
	}
	for _, x := range sb.Customers(sandbox.TenantDemo) {
		if x.Phone != "" && x.Email != "new@example.com" {
			t.Errorf("customer %s (%s) was changed", x.ID, x.Email)
		}
	}
}

// TestNoIDAnswersStop: a list or a 201 that names a customer without an id
// stops the run before it can match a row to it by guess or create it
// again.
func TestNoIDAnswersStop(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "in.csv", "name,email", "A,a@example.com", "B,b@example.com")
	t.Run("list", func(t *testing.T) {
		sb := sandboxtest.NewServer(t, sandbox.Options{ListNoID: true})
		seedPeople(t, sb, 1)
		cfg := importCfg(in, newClient(t, sb.URL, sandbox.TokenReadWrite, nil))
		cfg.MatchEmail = true
		cfg.Report = filepath.Join(dir, "list.report.csv")
		_, err := Import(context.Background(), cfg)
		var ae *AbortedError
		if !errors.As(err, &ae) || !strings.Contains(err.Error(), `the server sent the customer "p0@example.com" without an id`) {
			t.Fatalf("err = %v", err)
		}
		if n := sb.Stats().Requests.Writes(); n != 0 {
			t.Errorf("%d writes", n)
		}
	})
	t.Run("create", func(t *testing.T) {
		sb := sandboxtest.NewServer(t, sandbox.Options{CreateNoID: true})
		cfg := importCfg(in, newClient(t, sb.URL, sandbox.TokenReadWrite, nil))
		cfg.Workers = 1
		cfg.MatchEmail = true
		cfg.Undo = filepath.Join(dir, "undo.csv")
		cfg.Report = filepath.Join(dir, "create.report.csv")
		sum, err := Import(context.Background(), cfg)
		var ae *AbortedError
		if !errors.As(err, &ae) || !strings.Contains(err.Error(), "without an id") || !strings.Contains(err.Error(), "the answer to a create (201)") {
			t.Fatalf("err = %v", err)
		}
		if sum.Counts[ResultCreated] != 0 || sum.Counts[ResultFailed] != 1 || sum.Counts[ResultNotAttempted] != 1 || sb.Count(sandbox.TenantDemo) != 1 {
			t.Errorf("counts %v, %d customers", sum.Counts, sb.Count(sandbox.TenantDemo))
		}
		for _, r := range readReport(t, cfg.Report) {
			if r["_result"] == string(ResultCreated) {
				t.Errorf("a row is created with id %q", r["_customer_id"])
			}
		}
	})
}

// TestIDStylesResume: --limit, then --resume, of an update-by-id file and
// of a create file, with UUID and numeric ids: each customer once, each
// with its row's data.
func TestIDStylesResume(t *testing.T) {
	for _, style := range []string{sandbox.IDUUID, sandbox.IDNumeric} {
		t.Run(style, func(t *testing.T) {
			sb := sandboxtest.NewServer(t, sandbox.Options{IDStyle: style})
			seedPeople(t, sb, 8)
			c := newClient(t, sb.URL, sandbox.TokenReadWrite, nil)
			dir := t.TempDir()
			lines := []string{"id,phone"}
			want := map[string]string{}
			for i, cu := range sb.Customers(sandbox.TenantDemo) {
				lines = append(lines, fmt.Sprintf("%s,+33 1 %d", cu.ID, i))
				want[cu.ID] = fmt.Sprintf("+33 1 %d", i)
			}
			for i := range 4 {
				lines = append(lines, fmt.Sprintf(",+44 2 %d", i)) // no id, no email: invalid
			}
			upd := writeFile(t, dir, "upd.csv", lines...)
			cr := writeFile(t, dir, "new.csv", "name,email", "N1,n1@example.com", "N2,n2@example.com", "N3,n3@example.com", "N4,n4@example.com")
			for _, in := range []string{upd, cr} {
				cfg := importCfg(in, c)
				cfg.MatchEmail, cfg.Limit = true, 3
				if _, err := Import(context.Background(), cfg); err != nil {
					t.Fatal(err)
				}
				cfg.Limit, cfg.Resume = 0, true
				sum, err := Import(context.Background(), cfg)
				if err != nil {
					t.Fatal(err)
				}
				if sum.Counts[ResultSkipped] != 3 {
					t.Errorf("%s: resume %v %v", in, sum.Counts, sum.FirstErrors)
				}
			}
			got := sb.Customers(sandbox.TenantDemo)
			if len(got) != 12 {
				t.Fatalf("%d customers, want 12", len(got))
			}
			for _, cu := range got {
				if w, ok := want[cu.ID]; ok && cu.Phone != w {
					t.Errorf("customer %s: phone %q, want %q", cu.ID, cu.Phone, w)
				}
			}
		})
	}
}

// TestResumeNeverTakesAHeldEmailAsCreated: a create row refused because
// the tenant held its email stays refused on --resume: the customer found
// by that email is not written onto, nor claimed as created (the undo
// file would delete it).
func TestResumeNeverTakesAHeldEmailAsCreated(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	c := newClient(t, sb.URL, sandbox.TokenReadWrite, nil)
	old, _ := c.CreateCustomer(context.Background(), apiclient.Fields{"name": "Old", "email": "a@example.com", "phone": "+1 0"}, "")
	dir := t.TempDir()
	in := writeFile(t, dir, "in.csv", "name,email,phone,action", "New,a@example.com,+1 9,create", "B,b@example.com,+1 2,create")
	cfg := importCfg(in, c)
	cfg.MatchEmail = true
	if _, err := Import(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	cfg.Resume, cfg.Undo = true, filepath.Join(dir, "undo.csv")
	sum, err := Import(context.Background(), cfg)
	if err != nil || sum.Counts[ResultInvalid] != 1 || sum.Counts[ResultCreated] != 0 {
		t.Fatalf("resume: %v %v %v", sum.Counts, sum.FirstErrors, err)
	}
	for _, x := range sb.Customers(sandbox.TenantDemo) {
		if x.ID == old.ID && (x.Name != "Old" || x.Phone != "+1 0") {
			t.Errorf("the earlier customer was written onto: %+v", x)
		}
	}
	if b, _ := os.ReadFile(cfg.Undo); strings.Contains(string(b), old.ID) {
		t.Errorf("the undo file names the earlier customer:\n%s", b)
	}
}

// TestAlternateColumnNamedInErrors: with --map "Phone,Mobile=phone" a bad
// value taken from Mobile is reported under Mobile, the column to fix.
func TestAlternateColumnNamedInErrors(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "in.csv", "name,email,Phone,Mobile", "A,a@example.com,,1.80012E+10")
	cfg := ValidateConfig{InputConfig{Path: in}}
	cfg.Map.Map = map[string]string{"Phone,Mobile": "phone"}
	sum, err := Validate(context.Background(), cfg)
	if err != nil || len(sum.FirstErrors) != 1 || !strings.Contains(sum.FirstErrors[0], `Mobile: "1.80012E+10" is in exponent form`) {
		t.Fatalf("%v %v", sum.FirstErrors, err)
	}
}
