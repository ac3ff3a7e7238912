package batch

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"aivabatch/apiclient"
	"aivabatch/apiclient/sandbox"
)

// lossyServer serves sb, losing the answer of every dropEvery-th create:
// after the create was committed, or, when before is set, before it
// reaches the sandbox (then the customer does not exist and the row must
// be sent again). It counts the lists.
type lossyServer struct {
	sb        *sandbox.Server
	dropEvery int64
	before    bool
	creates   atomic.Int64
	lists     atomic.Int64
	// refuseLists answers that many lists first with 403 (a token that
	// cannot list, for a while).
	refuseLists int64
}

func (s *lossyServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/customers") {
		if s.lists.Add(1) <= s.refuseLists {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"error":"this token may not read customers"}`)
			return
		}
	}
	if r.Method != http.MethodPost || s.creates.Add(1)%s.dropEvery != 0 {
		s.sb.ServeHTTP(w, r)
		return
	}
	if !s.before {
		s.sb.ServeHTTP(httptest.NewRecorder(), r) // committed, answer lost
	}
	panic(http.ErrAbortHandler)
}

func startLossy(t *testing.T, dropEvery int64, before bool, seed int) (*lossyServer, string) {
	t.Helper()
	sb, err := sandbox.New(sandbox.Options{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if seed > 0 {
		if err := sb.Seed(sandbox.TenantDemo, seed, func(i int) apiclient.Customer {
			return apiclient.Customer{Name: fmt.Sprintf("Tenant %d", i), Email: fmt.Sprintf("tenant%d@example.com", i), Status: "active"}
		}); err != nil {
			t.Fatal(err)
		}
	}
	ls := &lossyServer{sb: sb, dropEvery: dropEvery, before: before}
	ts := httptest.NewServer(ls)
	t.Cleanup(ts.Close)
	return ls, ts.URL + sandbox.BasePath
}

// checkLossyImport: one customer per row with the row's data, and the
// report lists every row once, in order, created with that customer's id.
func checkLossyImport(t *testing.T, ls *lossyServer, report string, n, seeded int) {
	t.Helper()
	byEmail := map[string]apiclient.Customer{}
	for _, c := range ls.sb.Customers(sandbox.TenantDemo) {
		if strings.HasPrefix(c.Email, "tenant") {
			continue
		}
		if _, dup := byEmail[c.Email]; dup {
			t.Errorf("%s created twice", c.Email)
		}
		byEmail[c.Email] = c
	}
	if len(byEmail) != n || ls.sb.Count(sandbox.TenantDemo) != n+seeded {
		t.Errorf("%d customers of the rows (%d in all), want %d", len(byEmail), ls.sb.Count(sandbox.TenantDemo), n)
	}
	rows := readReport(t, report)
	if len(rows) != n {
		t.Fatalf("the report has %d rows, want %d", len(rows), n)
	}
	for i, r := range rows {
		c := byEmail[r["email"]]
		if r["_row"] != fmt.Sprint(i+2) || r["_result"] != "created" || r["_customer_id"] != c.ID || c.Name != r["name"] {
			t.Fatalf("report row %d: %v; server %+v", i+1, r, c)
		}
	}
}

// TestInDoubtCreatesShareOneList: against a tenant of 5,000 customers, 2
// % of the create answers lost after the commit: the run does not list
// the tenant once per lost answer but once for all of them (fewer than
// 1,000 wait and the run takes less than 30 s), besides the list at
// start; every row is created once and reported in order.
func TestInDoubtCreatesShareOneList(t *testing.T) {
	const n = 3000
	ls, url := startLossy(t, 50, false, 5000)
	in := customersCSV(t, t.TempDir(), n)
	cfg := importCfg(in, newClient(t, url, sandbox.TokenReadWrite, nil))
	sum, err := Import(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkLossyImport(t, ls, DefaultReportPath(in, ""), n, 5000)
	if got := ls.lists.Load(); got != 2 {
		t.Errorf("%d lists for %d lost answers, want 2 (the one at start, one for them all)", got, n/50)
	}
	if c := sum.Counts[ResultCreated]; c != n {
		t.Errorf("counts %v", sum.Counts)
	}
}

// TestInDoubtCreatesInBatches: rows in doubt are settled in batches
// while the run goes on (a batch of 10 here, with a window of 64 rows, so
// that the rows after a row in doubt wait on disk), creates lost before
// they reached the server are sent again, and the undo file still has a
// delete for every customer created.
func TestInDoubtCreatesInBatches(t *testing.T) {
	const n = 1500
	ls, url := startLossy(t, 25, true, 0)
	dir := t.TempDir()
	in := customersCSV(t, dir, n)
	cfg := importCfg(in, newClient(t, url, sandbox.TokenReadWrite, nil))
	cfg.Window, cfg.reconBatch = 64, 10
	cfg.Undo = filepath.Join(dir, "undo.csv")
	sum, err := Import(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkLossyImport(t, ls, DefaultReportPath(in, ""), n, 0)
	lost := ls.creates.Load() / 25
	if got := ls.lists.Load(); got < 3 || got > lost/10+lost/100+5 {
		t.Errorf("%d lists for %d lost answers in batches of 10", got, lost)
	}
	undo := readReport(t, cfg.Undo)
	deletes := 0
	for _, r := range undo {
		if r["action"] == "delete" && r["id"] != "" {
			deletes++
		}
	}
	if deletes != n || sum.Counts[ResultCreated] != n {
		t.Errorf("undo file: %d deletes; counts %v", deletes, sum.Counts)
	}
}

// TestBacklogRoundTrip: a row held behind a row in doubt reads back as it
// was written, the customer the undo file needs included.
func TestBacklogRoundTrip(t *testing.T) {
	b := &backlog{undo: true}
	defer b.close()
	in := []*job{
		{seq: 7, key: "e:zoë@example.com", hash: "89ab", journaled: true,
			out:  Outcome{Num: 9, Cells: []string{"Zoë", "line one\nline two", ""}, Result: ResultUpdated, CustomerID: "c1", HTTPStatus: 200, Changes: "phone: 1 → 2", From: `phone from "Mobile"`},
			plan: plan{result: ResultUpdated, cur: &apiclient.Customer{ID: "c1", Name: "Zoë", Email: "zoë@example.com", Value: 12.5, AutoPayment: true}}},
		{seq: 8, leftOut: true, out: Outcome{Num: 10, Result: ResultNotAttempted, Error: "not sent"}},
	}
	b.pushDoubt(6)
	for _, j := range in {
		if err := b.pushJob(j); err != nil {
			t.Fatal(err)
		}
	}
	if e := b.front(); e.disk || e.seq != 6 {
		t.Fatalf("front %+v", e)
	}
	b.pop()
	for _, want := range in {
		got, err := b.popJob()
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprintf("%+v %+v %v %v %s %s %v", got.out, got.plan.cur, got.journaled, got.leftOut, got.key, got.hash, got.seq) !=
			fmt.Sprintf("%+v %+v %v %v %s %s %v", want.out, want.plan.cur, want.journaled, want.leftOut, want.key, want.hash, want.seq) || got.plan.result != want.plan.result {
			t.Errorf("read back %+v, wrote %+v", got, want)
		}
	}
	if !b.empty() || b.size != 0 {
		t.Errorf("backlog not empty and reset after reading all: %d entries left, %d bytes", len(b.entries)-b.head, b.size)
	}
}

// TestLostCreateNeverConfirmsAnExistingCustomer: under --match none a row
// may share its email with a customer the tenant held before the run;
// when its create is lost before reaching the server, the customer found
// by that email is not this row's create: the row is sent again and gets
// its own customer, and the other keeps its data. --match none lists the
// tenant at start for this even when nothing else needs the list (no
// undo file).
func TestLostCreateNeverConfirmsAnExistingCustomer(t *testing.T) {
	for _, undo := range []bool{false, true} {
		t.Run(fmt.Sprintf("undo=%v", undo), func(t *testing.T) {
			ls, url := startLossy(t, 2, true, 3) // every second create is lost before it reaches the server
			before := tenantNow(ls)
			dir := t.TempDir()
			in := writeFile(t, dir, "in.csv", "name,email,phone", "Row Zero,tenant0@example.com,+1 0", "Row One,tenant1@example.com,+1 1")
			cfg := importCfg(in, newClient(t, url, sandbox.TokenReadWrite, nil))
			if undo {
				cfg.Undo = filepath.Join(dir, "undo.csv")
			}
			cfg.reconBatch = 1
			sum, err := Import(context.Background(), cfg)
			if err != nil || sum.Counts[ResultCreated] != 2 {
				t.Fatalf("%v %v %v", sum.Counts, sum.FirstErrors, err)
			}
			checkEarlierKept(t, ls, before, DefaultReportPath(in, ""))
			if n := ls.sb.Count(sandbox.TenantDemo); n != 5 {
				t.Errorf("%d customers, want 3 + 2", n)
			}
		})
	}
}

// TestLostCreateWithoutListAtStart: when the list at start fails (a
// token that cannot list, for a while), a lost create whose email an
// earlier customer holds is not taken for that customer: the row fails
// naming it, with nothing sent again, and nothing is written onto it.
func TestLostCreateWithoutListAtStart(t *testing.T) {
	ls, url := startLossy(t, 2, true, 3)
	ls.refuseLists = 1
	before := tenantNow(ls)
	dir := t.TempDir()
	in := writeFile(t, dir, "in.csv", "name,email,phone", "Row Zero,tenant0@example.com,+1 0", "Row One,tenant1@example.com,+1 1")
	cfg := importCfg(in, newClient(t, url, sandbox.TokenReadWrite, nil))
	cfg.reconBatch = 1
	var notices []string
	cfg.Notice = func(m string) { notices = append(notices, m) }
	sum, err := Import(context.Background(), cfg)
	if len(notices) != 1 || !strings.Contains(notices[0], "could not list the customers at start") {
		t.Errorf("notices %q, want one saying the list at start failed", notices)
	}
	if err != nil || sum.Counts[ResultCreated] != 1 || sum.Counts[ResultFailed] != 1 {
		t.Fatalf("%v %v %v", sum.Counts, sum.FirstErrors, err)
	}
	checkEarlierKept(t, ls, before, DefaultReportPath(in, ""))
	for _, r := range readReport(t, DefaultReportPath(in, "")) {
		if r["_result"] == "failed" && (!strings.Contains(r["_error"], "may be this row's create or a customer it held before") || r["_customer_id"] != "") {
			t.Errorf("row %s: %q (customer %q)", r["_row"], r["_error"], r["_customer_id"])
		}
	}
	if n := ls.sb.Count(sandbox.TenantDemo); n != 4 {
		t.Errorf("%d customers, want 3 + 1", n)
	}
}

func tenantNow(ls *lossyServer) map[string]apiclient.Customer {
	m := map[string]apiclient.Customer{}
	for _, c := range ls.sb.Customers(sandbox.TenantDemo) {
		m[c.ID] = c
	}
	return m
}

// checkEarlierKept: no row is reported as a customer the tenant held
// before the run, and those customers kept their data.
func checkEarlierKept(t *testing.T, ls *lossyServer, before map[string]apiclient.Customer, report string) {
	t.Helper()
	for _, r := range readReport(t, report) {
		if _, old := before[r["_customer_id"]]; old {
			t.Errorf("row %s reported as the earlier customer %s", r["_row"], r["_customer_id"])
		}
	}
	for _, c := range ls.sb.Customers(sandbox.TenantDemo) {
		if b, ok := before[c.ID]; ok && (c.Name != b.Name || c.Phone != b.Phone) {
			t.Errorf("the earlier customer %s changed: %+v", c.ID, c)
		}
	}
}
