package batch

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
	"aivabatch/formats"
)

// person is one row of the files of these tests.
type person struct{ name, email, phone, notes string }

func people(n int, tag string) []person {
	ps := make([]person, n)
	for i := range ps {
		ps[i] = person{
			name:  fmt.Sprintf("%s Person %d", tag, i+1),
			email: fmt.Sprintf("%s.p%d@example.com", strings.ToLower(tag), i+1),
			phone: fmt.Sprintf("+1 555 %04d", i+1),
			notes: fmt.Sprintf("note %d", i+1),
		}
	}
	return ps
}

// writePeople writes ps as a CSV file (a notes cell may hold line breaks).
func writePeople(t testing.TB, path string, ps []person) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	w.Write([]string{"name", "email", "phone", "notes"})
	for _, p := range ps {
		w.Write([]string{p.name, p.email, p.phone, p.notes})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// ids maps the tenant's emails to customer ids.
func ids(sb *sandboxtest.Server) map[string]string {
	m := map[string]string{}
	for _, c := range sb.Customers(sandbox.TenantDemo) {
		m[c.Email] = c.ID
	}
	return m
}

// checkTenant: the tenant holds exactly one customer per person of want,
// each with that person's data: nothing created twice, no customer with
// another row's data; and the customers of before (email → id) kept
// their email (no row handed to another row's customer, even when every
// row ends with some customer holding its data).
func checkTenant(t testing.TB, what string, sb *sandboxtest.Server, want map[string]person, before map[string]string) {
	t.Helper()
	got := map[string]int{}
	for _, c := range sb.Customers(sandbox.TenantDemo) {
		got[c.Email]++
		if id, ok := before[c.Email]; ok && id != c.ID {
			t.Errorf("%s: %s is now customer %s, was %s", what, c.Email, c.ID, id)
		}
		p, ok := want[c.Email]
		switch {
		case !ok:
			t.Errorf("%s: customer %s (%s) belongs to no row", what, c.ID, c.Email)
		case c.Name != p.name || c.Phone != p.phone || c.Notes != p.notes:
			t.Errorf("%s: customer %s holds %q %q %q, want its row's %q %q %q", what, c.Email, c.Name, c.Phone, c.Notes, p.name, p.phone, p.notes)
		}
	}
	for email := range want {
		if got[email] != 1 {
			t.Errorf("%s: %d customers with %s, want 1", what, got[email], email)
		}
	}
}

// checkReportRows: the report has every row of the file once, in order,
// with a customer id.
func checkReportRows(t testing.TB, what, report string, ps []person) {
	t.Helper()
	rep := readReport(t, report)
	if len(rep) != len(ps) {
		t.Errorf("%s: the report has %d rows, want %d", what, len(rep), len(ps))
		return
	}
	for i, r := range rep {
		if r["email"] != ps[i].email || r["_customer_id"] == "" || !slices.Contains([]string{"created", "updated", "unchanged", "skipped"}, r["_result"]) {
			t.Errorf("%s: report row %d: %v", what, i+1, r)
		}
	}
}

// TestResumeFollowsRowsByKey: rows sorted, shuffled, deleted, inserted,
// edited, or a multi-line cell joined, between `--limit 5` and
// `--resume`: every row ends as its own customer with its own data (an
// edited row updates its customer), with and without --match email.
func TestResumeFollowsRowsByKey(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	edits := []struct {
		name string
		edit func(ps []person) []person
	}{
		{"sorted", func(ps []person) []person { slices.Reverse(ps); return ps }},
		{"shuffled", func(ps []person) []person {
			rand.New(rand.NewPCG(seed, 1)).Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
			return ps
		}},
		{"row deleted", func(ps []person) []person { return slices.Delete(ps, 2, 3) }},
		{"row inserted", func(ps []person) []person {
			return slices.Insert(ps, 1, person{"Inserted Person", "inserted@example.com", "+1 555 9999", "new"})
		}},
		{"edited and sorted", func(ps []person) []person {
			ps[1].phone, ps[3].notes = "+1 555 7777", "changed"
			slices.Reverse(ps)
			return ps
		}},
		{"multi-line cell joined", func(ps []person) []person { ps[1].notes = "line one line two"; return ps }},
	}
	for _, match := range []bool{false, true} {
		for _, e := range edits {
			name := fmt.Sprintf("%s/match=%v", e.name, match)
			t.Run(name, func(t *testing.T) {
				sb := sandboxtest.NewServer(t, sandbox.Options{})
				dir := t.TempDir()
				ps := people(12, "K")
				ps[1].notes = "line one\nline two" // rows after it start one line later
				in := writePeople(t, filepath.Join(dir, "c.csv"), ps)
				cfg := importCfg(in, newClient(t, sb.URL, sandbox.TokenReadWrite, nil))
				cfg.MatchEmail = match
				cfg.Limit = 5
				if _, err := Import(context.Background(), cfg); err != nil {
					t.Fatal(err)
				}
				before := ids(sb)
				want := map[string]person{}
				for _, p := range ps[:5] {
					want[p.email] = p
				}
				cur := e.edit(slices.Clone(ps))
				writePeople(t, in, cur)
				for _, p := range cur {
					want[p.email] = p
				}
				cfg.Limit, cfg.Resume = 0, true
				if _, err := Import(context.Background(), cfg); err != nil {
					t.Fatal(err)
				}
				checkTenant(t, name, sb, want, before)
				checkReportRows(t, name, DefaultReportPath(in, ""), cur)
			})
		}
	}
}

// killedRun imports ps into sb and leaves, in the report's place and its
// journal's, the files as they were on disk after row stopAt was
// reported: what a kill -9 at that moment leaves. The run itself is then
// interrupted, so the server holds more rows than the journal knows of,
// as after a kill the server goes on with the requests in flight.
func killedRun(t *testing.T, sb *sandboxtest.Server, in string, match bool, stopAt int) (report string, journal []byte) {
	t.Helper()
	cfg := importCfg(in, newClient(t, sb.URL, sandbox.TokenReadWrite, nil))
	cfg.MatchEmail = match
	report = DefaultReportPath(in, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var rep []byte
	cfg.OnRow = func(done int) {
		if done != stopAt {
			return
		}
		var err error
		if journal, err = os.ReadFile(JournalPath(report)); err != nil {
			t.Error(err)
		}
		rep, _ = os.ReadFile(report)
		cancel()
	}
	if _, err := Import(ctx, cfg); err != nil && ctx.Err() == nil {
		t.Fatal(err)
	}
	if journal == nil {
		t.Fatalf("the run ended before row %d", stopAt)
	}
	os.Remove(RunsPath(report))
	if err := os.WriteFile(report, rep, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(JournalPath(report), journal, 0o600); err != nil {
		t.Fatal(err)
	}
	return report, journal
}

// TestResumeAfterKillWithRowsSorted: a run killed part way, the file
// sorted (and a row edited) before --resume: one customer per row, each
// with its row's data.
func TestResumeAfterKillWithRowsSorted(t *testing.T) {
	for _, match := range []bool{false, true} {
		sb := sandboxtest.NewServer(t, sandbox.Options{Latency: time.Millisecond})
		dir := t.TempDir()
		ps := people(80, "S")
		in := writePeople(t, filepath.Join(dir, "c.csv"), ps)
		killedRun(t, sb, in, match, 30)
		before := ids(sb)
		cur := slices.Clone(ps)
		cur[10].phone = "+1 555 4242"
		slices.SortFunc(cur, func(a, b person) int { return strings.Compare(b.phone, a.phone) })
		writePeople(t, in, cur)
		cfg := importCfg(in, newClient(t, sb.URL, sandbox.TokenReadWrite, nil))
		cfg.MatchEmail, cfg.Resume, cfg.Settle = match, true, 0
		if _, err := Import(context.Background(), cfg); err != nil {
			t.Fatal(err)
		}
		want := map[string]person{}
		for _, p := range cur {
			want[p.email] = p
		}
		what := fmt.Sprintf("match=%v", match)
		checkTenant(t, what, sb, want, before)
		checkReportRows(t, what, DefaultReportPath(in, ""), cur)
	}
}

// TestResumeAfterJournalCut: the journal a kill left, cut at 10 random
// offsets (a damaged disk, a copy cut short), then --resume: no customer
// twice, none with another row's data, and a warning when a line was cut.
// AIVABATCH_CUT_SEED replays a run (its seed is logged).
func TestResumeAfterJournalCut(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("AIVABATCH_CUT_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("seed %d (AIVABATCH_CUT_SEED=%d replays it)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	for round := range 10 {
		match := round%2 == 1
		sb := sandboxtest.NewServer(t, sandbox.Options{Latency: time.Millisecond})
		dir := t.TempDir()
		ps := people(60, fmt.Sprintf("T%d", round))
		in := writePeople(t, filepath.Join(dir, "c.csv"), ps)
		report, journal := killedRun(t, sb, in, match, 10+rng.IntN(30))
		before := ids(sb)
		cut := rng.IntN(len(journal) + 1)
		if err := os.WriteFile(JournalPath(report), journal[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		cfg := importCfg(in, newClient(t, sb.URL, sandbox.TokenReadWrite, nil))
		cfg.MatchEmail, cfg.Resume, cfg.Settle = match, true, 0
		var notices []string
		cfg.Notice = func(m string) { notices = append(notices, m) }
		if _, err := Import(context.Background(), cfg); err != nil {
			t.Fatalf("round %d (cut at %d of %d): %v", round, cut, len(journal), err)
		}
		want := map[string]person{}
		for _, p := range ps {
			want[p.email] = p
		}
		what := fmt.Sprintf("round %d (match=%v, journal cut at byte %d of %d)", round, match, cut, len(journal))
		checkTenant(t, what, sb, want, before)
		checkReportRows(t, what, report, ps)
		tail := journal[strings.LastIndexByte(string(journal[:cut]), '\n')+1 : cut]
		torn := len(tail) > 0 && json.Unmarshal(tail, new(journalEntry)) != nil
		warned := slices.ContainsFunc(notices, func(m string) bool { return strings.Contains(m, "journal") && strings.Contains(m, "damaged") })
		if torn != warned {
			t.Errorf("%s: notices %q; a line was cut: %v", what, notices, torn)
		}
	}
}

// TestTornJournalThenAnotherRun: a journal whose last line was torn, then
// a run appending to it, then a resume: the new run's header is a line of
// its own, so the resume settles for that run's --timeout, and the torn
// line is skipped with a warning.
func TestTornJournalThenAnotherRun(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	dir := t.TempDir()
	ps := people(3, "Torn")
	in := writePeople(t, filepath.Join(dir, "c.csv"), ps)
	report := DefaultReportPath(in, "")
	killedJournal(t, report, time.Hour)
	f, err := os.OpenFile(JournalPath(report), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"row":3,"key":"e:torn.p2@example.com","res`)
	f.Close()

	// The second run, killed with a create in flight.
	j, err := openJournal(JournalPath(report), journalEntry{Run: "second", TimeoutMS: 400})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.intent(journalEntry{Row: 2, Key: "e:torn.p1@example.com", Intent: intentCreate, Email: "torn.p1@example.com"}); err != nil {
		t.Fatal(err)
	}
	j.close(false)

	b, _ := os.ReadFile(JournalPath(report))
	if !strings.Contains(string(b), "\"res\n{\"run\":\"second\"") {
		t.Fatalf("the second run's header is not on a line of its own:\n%s", b)
	}
	p, err := loadPrevious(report, reportKeyer{}, formats.ReaderOptions{})
	if err != nil || p.timeout != 400*time.Millisecond || p.creates != 1 || p.damaged != 1 || len(p.warnings) != 1 {
		t.Fatalf("loadPrevious: %v; timeout %v, %d creates, %d damaged, warnings %q", err, p.timeout, p.creates, p.damaged, p.warnings)
	}
	cfg := importCfg(in, newClient(t, sb.URL, sandbox.TokenReadWrite, nil))
	cfg.Resume, cfg.Settle = true, -1
	var notices []string
	cfg.Notice = func(m string) { notices = append(notices, m) }
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := Import(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if len(notices) != 2 || !strings.Contains(notices[0], "line 2 could not be read") || !strings.Contains(notices[1], "waiting 0s") {
		t.Errorf("notices %q, want the damaged line and a wait of the second run's 400ms", notices)
	}
	want := map[string]person{}
	for _, p := range ps {
		want[p.email] = p
	}
	checkTenant(t, "after the torn journal", sb, want, nil)
}

// TestResumeReadsAnOlderJournal: a journal written by the version before
// keys (rows by position, with their cells' hash) still resumes, also
// with the rows sorted since: the rows it confirmed are skipped by their
// cells, and the rest are looked up by email.
func TestResumeReadsAnOlderJournal(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	dir := t.TempDir()
	ps := people(4, "Old")
	in := writePeople(t, filepath.Join(dir, "c.csv"), ps)
	c := newClient(t, sb.URL, sandbox.TokenReadWrite, nil)
	var ids []string
	for _, p := range ps[:3] {
		cu, err := c.CreateCustomer(context.Background(), map[string]any{"name": p.name, "email": p.email, "phone": p.phone, "notes": p.notes}, "")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, cu.ID)
	}
	hash := func(p person) string { return cellsHash([]string{p.name, p.email, p.phone, p.notes}) }
	report := DefaultReportPath(in, "")
	// Rows 2 and 3 confirmed, row 4's create in flight (it landed).
	killedJournal(t, report, time.Second,
		journalEntry{Row: 2, Intent: intentCreate, Hash: hash(ps[0]), Email: ps[0].email},
		journalEntry{Row: 3, Intent: intentCreate, Hash: hash(ps[1]), Email: ps[1].email},
		journalEntry{Row: 2, Result: ResultCreated, ID: ids[0], Hash: hash(ps[0])},
		journalEntry{Row: 3, Result: ResultCreated, ID: ids[1], Hash: hash(ps[1])},
		journalEntry{Row: 4, Intent: intentCreate, Hash: hash(ps[2]), Email: ps[2].email})
	cur := slices.Clone(ps)
	slices.Reverse(cur)
	writePeople(t, in, cur)
	cfg := importCfg(in, c)
	cfg.Resume, cfg.Settle = true, 0
	if _, err := Import(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	want := map[string]person{}
	for _, p := range ps {
		want[p.email] = p
	}
	checkTenant(t, "older journal", sb, want, nil)
	rep := readReport(t, report)
	if rep[2]["_result"] != "skipped" || rep[2]["_customer_id"] != ids[1] || rep[3]["_result"] != "skipped" || rep[3]["_customer_id"] != ids[0] ||
		rep[1]["_result"] != "created" || rep[1]["_customer_id"] != ids[2] || rep[0]["_result"] != "created" {
		t.Errorf("report %v", rep)
	}
}
