package batch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"aivabatch/apiclient"
	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
	"aivabatch/batch/customer"
	"aivabatch/formats"
)

// instant makes the client's retry waits return at once.
func instant(ctx context.Context, d time.Duration) error { return ctx.Err() }

func newClient(t testing.TB, url, token string, lim *apiclient.Limiter) *apiclient.Client {
	t.Helper()
	c, err := apiclient.New(apiclient.Options{BaseURL: url, Token: token, Retries: 5, Timeout: 10 * time.Second,
		MaxIdleConns: 9, Limiter: lim, Sleep: instant})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func writeFile(t testing.TB, dir, name string, lines ...string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// reportRow is one line of a report as column → cell.
type reportRow map[string]string

func readReport(t testing.TB, path string) []reportRow {
	t.Helper()
	r, err := formats.OpenReader(path, formats.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []reportRow
	for {
		row, err := r.Next()
		if err != nil {
			break
		}
		m := reportRow{}
		for i, h := range r.Header() {
			if _, dup := m[h]; !dup {
				m[h] = row.Cells[i]
			}
		}
		out = append(out, m)
	}
	return out
}

// customersCSV writes n valid rows: name, email, phone, status.
func customersCSV(t testing.TB, dir string, n int) string {
	lines := []string{"name,email,phone,status,value"}
	for i := 1; i <= n; i++ {
		lines = append(lines, fmt.Sprintf("Customer %d,c%d@example.com,+1 555 %04d,active,%d.5", i, i, i, i))
	}
	return writeFile(t, dir, "customers.csv", lines...)
}

func importCfg(path string, c *apiclient.Client) ImportConfig {
	return ImportConfig{InputConfig: InputConfig{Path: path}, Client: c, Workers: 8, Retries: 5}
}

func TestImportCreatesEveryRowOnce(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	dir := t.TempDir()
	in := writeFile(t, dir, "in.csv",
		"First Name,Last Name,E-mail,Phone,Status,Value,Auto Payment",
		"Ana,Silva,ana@example.com,+1 555 0001,Active,12.5,yes",
		"Bo,,bo@example.com,,blocked,,",
		",,,,,,", // a row of empty cells is skipped like a blank line
		"Cy,Dee,not-an-email,,,,",
	)
	sum, err := Import(context.Background(), importCfg(in, newClient(t, sb.URL, sandbox.TokenReadWrite, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Counts[ResultCreated] != 2 || sum.Counts[ResultInvalid] != 1 {
		t.Fatalf("counts = %v, want 2 created, 1 invalid", sum.Counts)
	}
	rows := readReport(t, filepath.Join(dir, "in.report.csv"))
	if len(rows) != 3 {
		t.Fatalf("report has %d rows, want 3", len(rows))
	}
	byID := map[string]apiclient.Customer{}
	for _, c := range sb.Customers(sandbox.TenantDemo) {
		byID[c.ID] = c
	}
	ana := byID[rows[0]["_customer_id"]]
	if ana.Name != "Ana Silva" || ana.Email != "ana@example.com" || ana.Value != 12.5 || !ana.AutoPayment || ana.Status != "active" || ana.Phone != "+1 555 0001" {
		t.Errorf("created %+v, want the row's data", ana)
	}
	if bo := byID[rows[1]["_customer_id"]]; bo.Status != "blocked" || bo.Name != "Bo" {
		t.Errorf("created %+v, want Bo blocked", bo)
	}
	if rows[0]["_http_status"] != "201" || rows[0]["_row"] != "2" || rows[2]["_row"] != "5" {
		t.Errorf("report rows = %v", rows)
	}
	if !strings.Contains(rows[2]["_error"], "E-mail: \"not-an-email\" is not a valid email address") {
		t.Errorf("row 5 error = %q", rows[3]["_error"])
	}
	if _, err := os.Stat(JournalPath(filepath.Join(dir, "in.report.csv"))); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("journal left after a complete run: %v", err)
	}
}

func TestImportRerunWithMatchEmailWritesNothing(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	dir := t.TempDir()
	in := customersCSV(t, dir, 300)
	c := newClient(t, sb.URL, sandbox.TokenReadWrite, nil)
	cfg := importCfg(in, c)
	cfg.MatchEmail = true
	if sum, err := Import(context.Background(), cfg); err != nil || sum.Counts[ResultCreated] != 300 {
		t.Fatalf("first run: %v, %v", sum.Counts, err)
	}
	before := sb.Stats().Requests
	sum, err := Import(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	after := sb.Stats().Requests
	if sum.Counts[ResultUnchanged] != 300 {
		t.Errorf("second run counts = %v, want 300 unchanged", sum.Counts)
	}
	if w := after.Writes() - before.Writes(); w != 0 {
		t.Errorf("second run made %d writes, want 0", w)
	}
	if l := after.List - before.List; l != 1 {
		t.Errorf("second run made %d list calls, want 1", l)
	}
}

func TestImportUpdatesOnlyWhatChanged(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	c := newClient(t, sb.URL, sandbox.TokenReadWrite, nil)
	ana, err := c.CreateCustomer(context.Background(), apiclient.Fields{"name": "Ana Silva", "email": "ana@example.com", "phone": "1", "notes": "keep me"}, "")
	if err != nil {
		t.Fatal(err)
	}
	bo, _ := c.CreateCustomer(context.Background(), apiclient.Fields{"name": "Bo", "email": "bo@example.com"}, "")
	dir := t.TempDir()
	in := writeFile(t, dir, "in.csv",
		"email,phone,status,notes,name",
		"ANA@example.com,2,,,",            // phone changes; blank notes kept
		"bo@example.com,,blocked,,",       // only the status call
		"new@example.com,,,,",             // would create without a name: invalid
		"cy@example.com,3,inactive,,Cy X", // created, status included
	)
	before := sb.Stats().Requests
	cfg := importCfg(in, c)
	cfg.MatchEmail = true
	sum, err := Import(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	rows := readReport(t, filepath.Join(dir, "in.report.csv"))
	want := []string{"updated", "updated", "invalid", "created"}
	for i, w := range want {
		if rows[i]["_result"] != w {
			t.Errorf("row %s: result %q (%s), want %q", rows[i]["_row"], rows[i]["_result"], rows[i]["_error"], w)
		}
	}
	if rows[0]["_changes"] != "phone: 1 → 2" || rows[0]["_customer_id"] != ana.ID {
		t.Errorf("row 2 changes %q id %q", rows[0]["_changes"], rows[0]["_customer_id"])
	}
	if rows[1]["_changes"] != "status: active → blocked" || rows[1]["_customer_id"] != bo.ID {
		t.Errorf("row 3 changes %q", rows[1]["_changes"])
	}
	if !strings.Contains(rows[2]["_error"], "name: required to create a customer") {
		t.Errorf("row 4 error %q", rows[2]["_error"])
	}
	after := sb.Stats().Requests
	if d := after.Update - before.Update; d != 1 {
		t.Errorf("%d profile updates, want 1", d)
	}
	if d := after.Status - before.Status; d != 1 {
		t.Errorf("%d status calls, want 1 (the create sends its status itself)", d)
	}
	got, _ := c.GetCustomer(context.Background(), ana.ID)
	if got.Phone != "2" || got.Notes != "keep me" {
		t.Errorf("ana after update = %+v", got)
	}
	if sum.Counts[ResultCreated] != 1 {
		t.Errorf("counts %v", sum.Counts)
	}
}

func TestImportReadOnlyTokenAborts(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	dir := t.TempDir()
	in := customersCSV(t, dir, 500)
	cfg := importCfg(in, newClient(t, sb.URL, sandbox.TokenReadOnly, nil))
	cfg.Workers = 4
	sum, err := Import(context.Background(), cfg)
	var ae *AbortedError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "customers:write") {
		t.Fatalf("err = %v, want an abort naming customers:write", err)
	}
	if n := sb.Stats().Requests.Create; n > int64(cfg.Workers) {
		t.Errorf("%d write attempts, want at most %d", n, cfg.Workers)
	}
	rows := readReport(t, filepath.Join(dir, "customers.report.csv"))
	if len(rows) != 500 || sum.Rows != 500 {
		t.Fatalf("report has %d rows (summary %d), want 500", len(rows), sum.Rows)
	}
	for _, r := range rows {
		switch r["_result"] {
		case "failed":
			if !strings.Contains(r["_error"], "customers:write") {
				t.Errorf("row %s: error %q does not name the scope", r["_row"], r["_error"])
			}
		case "not_attempted":
		default:
			t.Fatalf("row %s: result %q, want failed or not_attempted", r["_row"], r["_result"])
		}
	}
}

func TestImportRateLimitHolds(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	dir := t.TempDir()
	in := customersCSV(t, dir, 120)
	// The limit holds for when requests leave the client: the times the
	// server sees them also carry the scheduling delays of a loaded
	// machine, which can bunch two seconds' requests together.
	var mu sync.Mutex
	var sent []time.Time
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		sent = append(sent, time.Now())
		mu.Unlock()
		return http.DefaultTransport.RoundTrip(r)
	})
	c, err := apiclient.New(apiclient.Options{BaseURL: sb.URL, Token: sandbox.TokenReadWrite, Retries: 5, Timeout: 10 * time.Second,
		Limiter: apiclient.NewLimiter(50, 1), Sleep: instant, HTTPClient: &http.Client{Transport: rt}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := importCfg(in, c)
	if _, err := Import(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(sent, time.Time.Compare)
	if n := sandbox.MaxInWindow(sent, time.Second); n > 51 {
		t.Errorf("a 1-second window held %d requests, want at most 51", n)
	}
	if sb.Count(sandbox.TenantDemo) != 120 {
		t.Errorf("%d customers, want 120", sb.Count(sandbox.TenantDemo))
	}
}

func TestImportDryRunSendsNoWrite(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	c := newClient(t, sb.URL, sandbox.TokenReadWrite, nil)
	ana, _ := c.CreateCustomer(context.Background(), apiclient.Fields{"name": "Ana", "email": "ana@example.com"}, "")
	dir := t.TempDir()
	in := writeFile(t, dir, "in.csv",
		"id,name,email,status,action",
		","+"Ana,ana@example.com,blocked,",
		",New,new@example.com,,",
		ana.ID+",,,,delete",
		"nope,,,,update",
	)
	cfg := importCfg(in, c)
	cfg.MatchEmail, cfg.DryRun = true, true
	before := sb.Stats().Requests
	if _, err := Import(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	after := sb.Stats().Requests
	if w := after.Total() - before.Total() - (after.List - before.List); w != 0 {
		t.Errorf("dry run made %d non-list requests", w)
	}
	rows := readReport(t, filepath.Join(dir, "in.dry-run.csv"))
	want := []string{"would_update", "would_create", "would_delete", "invalid"}
	for i, w := range want {
		if rows[i]["_result"] != w {
			t.Errorf("row %s: %q (%s), want %q", rows[i]["_row"], rows[i]["_result"], rows[i]["_error"], w)
		}
	}
	if rows[0]["_changes"] != "status: active → blocked" {
		t.Errorf("changes = %q", rows[0]["_changes"])
	}
}

func TestImportUndoRestoresTenant(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	c := newClient(t, sb.URL, sandbox.TokenReadWrite, nil)
	ctx := context.Background()
	keep, _ := c.CreateCustomer(ctx, apiclient.Fields{"name": "Keep", "email": "keep@example.com", "phone": "1", "notes": ""}, "")
	gone, _ := c.CreateCustomer(ctx, apiclient.Fields{"name": "Gone Soon", "email": "gone@example.com", "value": 7.5, "type": "business"}, "")
	snapshot := func() map[string]string {
		m := map[string]string{}
		for _, c := range sb.Customers(sandbox.TenantDemo) {
			m[c.Email] = fmt.Sprintf("%s|%s|%s|%s|%s|%s|%v|%v|%s", c.Name, c.FirstName, c.LastName, c.Phone, c.Status, c.Type, c.Value, c.AutoPayment, c.Notes)
		}
		return m
	}
	before := snapshot()
	dir := t.TempDir()
	in := writeFile(t, dir, "in.csv",
		"id,name,email,phone,status,notes,action",
		keep.ID+",Kept,,2,inactive,now with notes,update",
		gone.ID+",,,,,,delete",
		",New One,new@example.com,,,,create",
	)
	cfg := importCfg(in, c)
	cfg.Undo = filepath.Join(dir, "undo.csv")
	if sum, err := Import(ctx, cfg); err != nil || sum.Problems() != 0 {
		t.Fatalf("import: %v %v", sum.Counts, err)
	}
	undo := importCfg(cfg.Undo, c)
	undo.BlankClear = true
	if sum, err := Import(ctx, undo); err != nil || sum.Problems() != 0 {
		t.Fatalf("undo: %v %v %v", sum.Counts, sum.FirstErrors, err)
	}
	after := snapshot()
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("after undo:\n%v\nwant\n%v", after, before)
	}
}

func TestImportInterruptedReportsEveryRow(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	dir := t.TempDir()
	in := customersCSV(t, dir, 200)
	ctx, cancel := context.WithCancel(context.Background())
	cfg := importCfg(in, newClient(t, sb.URL, sandbox.TokenReadWrite, nil))
	n := 0
	cfg.OnRow = func(done int) {
		n = done
		if done == 50 {
			cancel()
		}
	}
	sum, err := Import(ctx, cfg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	rows := readReport(t, filepath.Join(dir, "customers.report.csv"))
	if len(rows) != 200 || sum.Rows != 200 || n != 200 {
		t.Fatalf("report has %d rows, summary %d, want 200", len(rows), sum.Rows)
	}
	created := 0
	for _, r := range rows {
		switch r["_result"] {
		case "created":
			created++
		case "not_attempted":
		default:
			t.Fatalf("row %s: %q", r["_row"], r["_result"])
		}
	}
	if created != sb.Count(sandbox.TenantDemo) || created < 50 {
		t.Errorf("%d created in the report, %d on the server", created, sb.Count(sandbox.TenantDemo))
	}
	// Resume finishes the job without duplicates.
	cfg.OnRow = nil
	cfg.Resume = true
	sum, err = Import(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Counts[ResultSkipped] != created || sum.Counts[ResultCreated] != 200-created {
		t.Errorf("resume counts = %v, want %d skipped", sum.Counts, created)
	}
	if sb.Count(sandbox.TenantDemo) != 200 {
		t.Errorf("%d customers after resume, want 200", sb.Count(sandbox.TenantDemo))
	}
}

// TestImportFaultSoak sends 5,000 rows (1,000 with -short) through a
// sandbox that fails, throttles and drops connections: every row is
// reported once, the tenant holds exactly one customer per valid row
// with that row's data, and the server never had to deduplicate a
// re-sent create.
func TestImportFaultSoak(t *testing.T) {
	n := 5000
	if testing.Short() {
		n = 1000
	}
	sb := sandboxtest.NewServer(t, sandbox.Options{
		FailRate: 0.10, ThrottleRate: 0.05, DropRate: 0.03, DropBeforeRate: 0.02, Seed: 42,
	})
	dir := t.TempDir()
	lines := []string{"name,email,phone,value"}
	for i := 1; i <= n; i++ {
		if i%500 == 0 {
			lines = append(lines, fmt.Sprintf("Invalid %d,not-an-email,,", i))
			continue
		}
		lines = append(lines, fmt.Sprintf("Soak %d,s%d@example.com,+1 555 %04d,%d", i, i, i, i))
	}
	in := writeFile(t, dir, "soak.csv", lines...)
	c, err := apiclient.New(apiclient.Options{BaseURL: sb.URL, Token: sandbox.TokenReadWrite, Retries: 8,
		Timeout: 10 * time.Second, MaxIdleConns: 9, Sleep: instant})
	if err != nil {
		t.Fatal(err)
	}
	cfg := importCfg(in, c)
	cfg.Retries = 8
	sum, err := Import(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	rows := readReport(t, filepath.Join(dir, "soak.report.csv"))
	if len(rows) != n {
		t.Fatalf("report has %d rows, want %d", len(rows), n)
	}
	valid := n - n/500
	if sum.Counts[ResultCreated] != valid || sum.Counts[ResultInvalid] != n/500 {
		t.Errorf("counts = %v, want %d created (failures: %v)", sum.Counts, valid, sum.FirstErrors)
	}
	server := map[string]apiclient.Customer{}
	for _, cu := range sb.Customers(sandbox.TenantDemo) {
		if _, dup := server[cu.Email]; dup {
			t.Errorf("duplicate customer %s", cu.Email)
		}
		server[cu.Email] = cu
	}
	if len(server) != valid {
		t.Errorf("server holds %d customers, want %d", len(server), valid)
	}
	for i, r := range rows {
		if want := fmt.Sprint(i + 2); r["_row"] != want {
			t.Fatalf("report line %d is row %s, want %s", i+1, r["_row"], want)
		}
		if r["_result"] != "created" {
			continue
		}
		cu, ok := server[r["email"]]
		if !ok || cu.ID != r["_customer_id"] || cu.Name != r["name"] || cu.Phone != r["phone"] {
			t.Errorf("row %s: report id %s, server %+v", r["_row"], r["_customer_id"], cu)
		}
	}
	st := sb.Stats()
	if st.Replayed != 0 {
		t.Errorf("the server deduplicated %d re-sent creates; the client must reconcile instead", st.Replayed)
	}
	if st.Failed == 0 || st.Throttled == 0 || st.DroppedAfter == 0 || st.DroppedBefore == 0 {
		t.Errorf("faults not exercised: %+v", st)
	}
}

// TestImportReportFedBack imports a file, fixes the invalid row in the
// report and imports the report: only the fixed row is sent.
func TestImportReportFedBack(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	c := newClient(t, sb.URL, sandbox.TokenReadWrite, nil)
	dir := t.TempDir()
	in := writeFile(t, dir, "in.csv", "name,email", "Ana,ana@example.com", "Bo,bo@@example.com")
	if _, err := Import(context.Background(), importCfg(in, c)); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(dir, "in.report.csv")
	b, _ := os.ReadFile(report)
	fixed := strings.ReplaceAll(string(b), "bo@@example.com", "bo@example.com")
	os.WriteFile(report, []byte(fixed), 0o600)
	cfg := importCfg(report, c)
	cfg.Report = filepath.Join(dir, "again.report.csv")
	sum, err := Import(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Counts[ResultSkipped] != 1 || sum.Counts[ResultCreated] != 1 {
		t.Errorf("counts = %v, want 1 skipped, 1 created (%v)", sum.Counts, sum.FirstErrors)
	}
	if n := sb.Count(sandbox.TenantDemo); n != 2 {
		t.Errorf("%d customers, want 2", n)
	}
	again := readReport(t, cfg.Report)
	if h := fmt.Sprint(len(again[0])); h != "8" {
		t.Errorf("report of a report has %s columns (%v), want the 6 report columns + name, email", h, again[0])
	}
}

func TestImportMaxErrorsStops(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	sb.Seed(sandbox.TenantDemo, 300, func(i int) apiclient.Customer {
		return apiclient.Customer{Name: "P", Email: fmt.Sprintf("p%d@example.com", i)}
	})
	// Every customer is deleted after the list, by someone else: every
	// status call gets 404.
	gone := sandboxtest.GoneOnWrite(t, sb)
	dir := t.TempDir()
	lines := []string{"id,status"}
	for _, c := range sb.Customers(sandbox.TenantDemo) {
		lines = append(lines, c.ID+",blocked")
	}
	in := writeFile(t, dir, "upd.csv", lines...)
	cfg := importCfg(in, newClient(t, gone, sandbox.TokenReadWrite, nil))
	cfg.Workers, cfg.MaxErrors = 2, 5
	sum, err := Import(context.Background(), cfg)
	var ae *AbortedError
	if !errors.As(err, &ae) || ae.Limit == nil || ae.Limit.Max != 5 || ae.Fix != FixResume {
		t.Fatalf("err = %v, want the abort of a failure limit of 5", err)
	}
	if strings.Contains(err.Error(), "--") || sum.Aborted != err.Error() {
		t.Errorf("err = %q, summary Aborted = %q: want one sentence that names no flag", err, sum.Aborted)
	}
	failed, notAttempted := sum.Counts[ResultFailed], sum.Counts[ResultNotAttempted]
	if failed < 5 || failed > 5+cfg.Workers || failed+notAttempted != 300 {
		t.Errorf("counts = %v, want about 5 failed and the rest not_attempted", sum.Counts)
	}
	if n := sb.Stats().Requests.Status; n != int64(failed) {
		t.Errorf("%d status calls for %d failed rows", n, failed)
	}
	rows := readReport(t, filepath.Join(dir, "upd.report.csv"))
	if !strings.Contains(rows[0]["_error"], "HTTP 404") || rows[0]["_http_status"] != "404" {
		t.Errorf("row 2: %q %q", rows[0]["_error"], rows[0]["_http_status"])
	}
}

// TestImportSameFileTwiceIsRefused: running the same import again would
// create every customer a second time, so it stops and says what to do.
func TestImportSameFileTwiceIsRefused(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	dir := t.TempDir()
	in := customersCSV(t, dir, 20)
	cfg := importCfg(in, newClient(t, sb.URL, sandbox.TokenReadWrite, nil))
	if _, err := Import(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	_, err := Import(context.Background(), cfg)
	var ie *InputError
	var re *RerunError
	if !errors.As(err, &ie) || !errors.As(err, &re) || re.Problem != RerunRecorded || re.Created != 20 || !strings.Contains(err.Error(), "created 20 customers") {
		t.Fatalf("second run: %v, want the re-run guard's input error", err)
	}
	if n := sb.Count(sandbox.TenantDemo); n != 20 {
		t.Errorf("%d customers, want 20", n)
	}
	cfg.MatchEmail = true
	if sum, err := Import(context.Background(), cfg); err != nil || sum.Counts[ResultUnchanged] != 20 {
		t.Errorf("with --match email: %v %v", sum.Counts, err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestUpdateByIDChangesOnlyWhatChanged: an update by id (--match none,
// so no row is found by email) lists the tenant first, and _changes
// holds only the field that differs, never every field of the row; a
// plan made without the customer says "not compared" instead of claiming
// a change.
func TestUpdateByIDChangesOnlyWhatChanged(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	c := newClient(t, sb.URL, sandbox.TokenReadWrite, nil)
	ana, err := c.CreateCustomer(context.Background(), apiclient.Fields{"name": "Ana", "email": "ana@example.com", "phone": "1", "notes": "n"}, "")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in := writeFile(t, dir, "in.csv",
		"id,name,email,phone,notes,action",
		ana.ID+",Ana,ana@example.com,2,n,update",
	)
	cfg := importCfg(in, c)
	cfg.MatchEmail = false
	if _, err := Import(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	rows := readReport(t, filepath.Join(dir, "in.report.csv"))
	if rows[0]["_result"] != "updated" || rows[0]["_changes"] != "phone: 1 → 2" {
		t.Errorf("row 2: %s, _changes %q, want updated with only \"phone: 1 → 2\"", rows[0]["_result"], rows[0]["_changes"])
	}

	m, err := customer.MapHeader([]string{"name", "phone"}, customer.MapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	v := customer.NewValidator(m, customer.ValidatorOptions{Mode: customer.ActionUpdate})
	defer v.Close()
	rec := v.CheckFields(formats.Row{Num: 2, Cells: []string{"Ana", "2"}})
	rec.ID = ana.ID
	if p := updatePlan(rec, ana.ID, nil, false, nil); p.changes != "not compared (the customer was not read), sent: name: → Ana; phone: → 2" {
		t.Errorf("without the customer, changes = %q", p.changes)
	}
	if p := updatePlan(rec, ana.ID, &ana, false, nil); p.changes != "phone: 1 → 2" {
		t.Errorf("with the customer, changes = %q", p.changes)
	}
}
