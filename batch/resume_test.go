package batch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"aivabatch/apiclient"
	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
	"aivabatch/formats"
)

// TestValidateThenImportStillRefused: import, validate, import again, the
// sequence a user types. validate writes its own report, and the guard
// reads the run record, so the second import is refused.
func TestValidateThenImportStillRefused(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	in := customersCSV(t, t.TempDir(), 20)
	cfg := importCfg(in, newClient(t, sb.URL, sandbox.TokenReadWrite, nil))
	if _, err := Import(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	vs, err := Validate(context.Background(), ValidateConfig{InputConfig: InputConfig{Path: in}})
	if err != nil || vs.Report != strings.TrimSuffix(in, ".csv")+".validate.csv" {
		t.Fatalf("validate: %v, report %v", err, vs)
	}
	if _, err := Import(context.Background(), cfg); !IsInputError(err) || !strings.Contains(err.Error(), "created 20 customers") {
		t.Fatalf("import after validate: %v, want refused", err)
	}
	// Even with the report itself gone (deleted, or replaced by another
	// tool), the record beside it still says what was created.
	os.Remove(DefaultReportPath(in, ""))
	if _, err := Import(context.Background(), cfg); !IsInputError(err) {
		t.Fatalf("import with the report deleted: %v, want refused", err)
	}
	if n := sb.Count(sandbox.TenantDemo); n != 20 {
		t.Errorf("%d customers, want 20", n)
	}
}

// TestStdinImportsTellFilesApart: two different files through stdin are
// two imports; the same one twice is refused.
func TestStdinImportsTellFilesApart(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	t.Chdir(t.TempDir())
	c := newClient(t, sb.URL, sandbox.TokenReadWrite, nil)
	run := func(data string) error {
		cfg := importCfg("-", c)
		cfg.Stdin = strings.NewReader(data)
		cfg.Reader.Format = formats.FormatCSV
		_, err := Import(context.Background(), cfg)
		return err
	}
	a := "name,email\nAna,ana@example.com\n"
	b := "name,email\nBo,bo@example.com\n"
	if err := run(a); err != nil {
		t.Fatal(err)
	}
	if err := run(b); err != nil {
		t.Fatalf("a different file through stdin: %v", err)
	}
	if err := run(a); !IsInputError(err) {
		t.Fatalf("the first file again: %v, want refused", err)
	}
	if n := sb.Count(sandbox.TenantDemo); n != 2 {
		t.Errorf("%d customers, want 2", n)
	}
}

// TestGuardRefusesAnUnreadableReport: with no run record (a report of an
// older version) and a report that cannot be read to the end, the guard
// refuses instead of letting every create go again (an XLSX report over
// the unzip limit used to pass silently).
func TestGuardRefusesAnUnreadableReport(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	dir := t.TempDir()
	in := customersCSV(t, dir, 3)
	cfg := importCfg(in, newClient(t, sb.URL, sandbox.TokenReadWrite, nil))
	cfg.Report = dir + "/old.report.xlsx"
	if err := os.WriteFile(cfg.Report, []byte("PK\x03\x04 not really a workbook"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Import(context.Background(), cfg)
	if !IsInputError(err) || !strings.Contains(err.Error(), "cannot read the earlier report") {
		t.Fatalf("got %v, want a refusal naming the unreadable report", err)
	}
	if n := sb.Count(sandbox.TenantDemo); n != 0 {
		t.Errorf("%d customers created", n)
	}
}

// TestResumeSendsAnEditedRow: a row created by the earlier run and edited
// since (its phone) is sent as an update of that customer, not reported
// created with the server keeping the old phone.
func TestResumeSendsAnEditedRow(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	dir := t.TempDir()
	in := writeFile(t, dir, "c.csv", "name,email,phone", "Ana,ana@example.com,+1 555 0001", "Bo,bo@example.com,+1 555 0002")
	cfg := importCfg(in, newClient(t, sb.URL, sandbox.TokenReadWrite, nil))
	if _, err := Import(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "c.csv", "name,email,phone", "Ana,ana@example.com,+1 555 9999", "Bo,bo@example.com,+1 555 0002")
	cfg.Resume = true
	sum, err := Import(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	phones := map[string]string{}
	for _, c := range sb.Customers(sandbox.TenantDemo) {
		phones[c.Email] = c.Phone
	}
	if len(phones) != 2 || phones["ana@example.com"] != "+1 555 9999" {
		t.Errorf("server holds %v, want Ana's new phone and two customers", phones)
	}
	rep := readReport(t, DefaultReportPath(in, ""))
	if rep[0]["_result"] != "updated" || !strings.Contains(rep[0]["_changes"], "+1 555 9999") || rep[1]["_result"] != "skipped" {
		t.Errorf("report rows: %v / %v; counts %v", rep[0], rep[1], sum.Counts)
	}
}

// killedJournal writes the journal a run killed with SIGKILL leaves: its
// header and the given lines, written now.
func killedJournal(t *testing.T, report string, timeout time.Duration, lines ...journalEntry) {
	t.Helper()
	var b strings.Builder
	for _, e := range append([]journalEntry{{Run: "killed", TimeoutMS: timeout.Milliseconds()}}, lines...) {
		j, _ := json.Marshal(e)
		b.Write(j)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(JournalPath(report), []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestResumeResolvesInDoubtRows: the killed run had row 2's create in
// flight (it landed) and row 3's too (it did not); row 4 was never sent.
// The resume waits the settle time, says so, then finds row 2 by email
// and creates rows 3 and 4: one customer per row.
func TestResumeResolvesInDoubtRows(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	dir := t.TempDir()
	in := writeFile(t, dir, "c.csv", "name,email", "Ana,ana@example.com", "Bo,bo@example.com", "Cy,cy@example.com")
	c := newClient(t, sb.URL, sandbox.TokenReadWrite, nil)
	landed, err := c.CreateCustomer(context.Background(), apiclient.Fields{"name": "Ana", "email": "ana@example.com"}, "")
	if err != nil {
		t.Fatal(err)
	}
	report := DefaultReportPath(in, "")
	killedJournal(t, report, 30*time.Second,
		journalEntry{Row: 2, Intent: intentCreate, Email: "ana@example.com"},
		journalEntry{Row: 3, Intent: intentCreate, Email: "bo@example.com"})
	cfg := importCfg(in, c)
	cfg.Resume = true
	cfg.Settle = 300 * time.Millisecond
	var notices []string
	cfg.Notice = func(m string) { notices = append(notices, m) }
	st, _ := os.Stat(JournalPath(report))
	if _, err := Import(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if len(notices) != 1 || !strings.Contains(notices[0], "2 creates of the interrupted run were in flight; waiting") || !strings.Contains(notices[0], "(settle to change)") {
		t.Errorf("notices %q", notices)
	}
	if d := time.Since(st.ModTime()); d < 300*time.Millisecond {
		t.Errorf("the resume ended %v after the killed run's last journal write: it did not wait --settle", d)
	}
	if n := sb.Count(sandbox.TenantDemo); n != 3 {
		t.Errorf("%d customers, want 3", n)
	}
	rep := readReport(t, report)
	if rep[0]["_result"] != "created" || rep[0]["_customer_id"] != landed.ID || rep[1]["_result"] != "created" || rep[2]["_result"] != "created" {
		t.Errorf("report %v", rep)
	}

	// The default settle is the killed run's --timeout, from its journal;
	// rows with no intent need no wait at all.
	p, err := loadPrevious(report, reportKeyer{}, formats.ReaderOptions{})
	if err != nil || p.creates != 0 {
		t.Fatalf("after a finished resume: %v, %d in doubt", err, p.creates)
	}
}

// TestResumeWithoutInFlightCreatesDoesNotWait: a killed run whose every
// create was answered leaves nothing in doubt: no wait, no notice.
func TestResumeWithoutInFlightCreatesDoesNotWait(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	dir := t.TempDir()
	in := writeFile(t, dir, "c.csv", "name,email", "Ana,ana@example.com", "Bo,bo@example.com")
	c := newClient(t, sb.URL, sandbox.TokenReadWrite, nil)
	ana, _ := c.CreateCustomer(context.Background(), apiclient.Fields{"name": "Ana", "email": "ana@example.com"}, "")
	report := DefaultReportPath(in, "")
	killedJournal(t, report, time.Hour,
		journalEntry{Row: 2, Key: "e:ana@example.com", Intent: intentCreate, Email: "ana@example.com"},
		journalEntry{Row: 2, Key: "e:ana@example.com", Result: ResultCreated, ID: ana.ID, Hash: cellsHash([]string{"Ana", "ana@example.com"})})
	cfg := importCfg(in, c)
	cfg.Resume, cfg.Settle = true, -1 // the killed run's timeout: an hour
	cfg.Notice = func(m string) { t.Errorf("notice %q", m) }
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := Import(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if n := sb.Count(sandbox.TenantDemo); n != 2 {
		t.Errorf("%d customers, want 2", n)
	}
}

// TestResumeInDoubtDeleteIsDeleted: a delete whose response was lost
// (the customer is gone now) is reported deleted on resume, not failed
// with a 404.
func TestResumeInDoubtDeleteIsDeleted(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	dir := t.TempDir()
	in := writeFile(t, dir, "d.csv", "id,action", "0000000000000000000a0123,delete")
	report := DefaultReportPath(in, "")
	killedJournal(t, report, time.Second, journalEntry{Row: 2, Intent: intentDelete, ID: "0000000000000000000a0123"})
	cfg := importCfg(in, newClient(t, sb.URL, sandbox.TokenReadWrite, nil))
	cfg.Resume, cfg.Settle = true, 0
	if _, err := Import(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if rep := readReport(t, report); rep[0]["_result"] != "deleted" {
		t.Errorf("report %v", rep[0])
	}
}

// failingReader yields data, then a read error: a file that turns
// unreadable part way (a bad XLSX entity, an I/O error).
type failingReader struct {
	data string
	off  int
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.off >= len(r.data) {
		return 0, errors.New("input/output error")
	}
	n := copy(p, r.data[r.off:])
	r.off += n
	return n, nil
}

var _ io.Reader = (*failingReader)(nil)

// TestImportFatalInputKeepsWhatWasSent: when the input turns unreadable
// part way, the rows already sent are still reported: the report's
// created rows match the server's customers.
func TestImportFatalInputKeepsWhatWasSent(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{Latency: time.Millisecond})
	t.Chdir(t.TempDir())
	var b strings.Builder
	b.WriteString("name,email\n")
	for i := range 5000 {
		fmt.Fprintf(&b, "P%d,p%d@example.com\n", i, i)
	}
	cfg := importCfg("-", newClient(t, sb.URL, sandbox.TokenReadWrite, nil))
	cfg.Stdin = &failingReader{data: b.String()}
	cfg.Reader.Format = formats.FormatCSV
	_, err := Import(context.Background(), cfg)
	if err == nil || IsInputError(err) {
		t.Fatalf("got %v, want the run to fail part way", err)
	}
	created := 0
	for _, r := range readReport(t, DefaultReportPath("-", "")) {
		if r["_result"] == "created" {
			created++
		}
	}
	if n := sb.Count(sandbox.TenantDemo); created != n || n == 0 {
		t.Errorf("the report shows %d created, the server holds %d", created, n)
	}
}

// TestResumeStoppedWhileSettlingKeepsTheDoubt: Ctrl-C during the settle
// wait resolves nothing, so the journal with the killed run's intents
// stays for the next resume (which must wait again).
func TestResumeStoppedWhileSettlingKeepsTheDoubt(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	dir := t.TempDir()
	in := writeFile(t, dir, "c.csv", "name,email", "Ana,ana@example.com")
	report := DefaultReportPath(in, "")
	killedJournal(t, report, time.Hour, journalEntry{Row: 2, Intent: intentCreate, Email: "ana@example.com"})
	cfg := importCfg(in, newClient(t, sb.URL, sandbox.TokenReadWrite, nil))
	cfg.Resume, cfg.Settle = true, -1
	ctx, cancel := context.WithCancel(context.Background())
	cfg.Notice = func(string) { cancel() } // Ctrl-C as soon as the wait is announced
	if _, err := Import(ctx, cfg); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want the interruption", err)
	}
	p, err := loadPrevious(report, reportKeyer{}, formats.ReaderOptions{})
	if err != nil || p.creates != 1 {
		t.Fatalf("after an interrupted settle: %v, %d creates in doubt, want 1", err, p.creates)
	}
	if n := sb.Count(sandbox.TenantDemo); n != 0 {
		t.Errorf("%d customers created during the wait", n)
	}
}

// TestResumeMatchNoneKeepsOlderCustomers: under --match none the tenant
// may hold an older customer with a row's email. The killed run's create
// of row 2 did not land; its intent names the customer that had the
// email before (Older), so the resume creates row 2 again rather than
// take, and overwrite, that older customer. Row 3's create landed: the
// one customer with its email that is not among its Older is it.
func TestResumeMatchNoneKeepsOlderCustomers(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	dir := t.TempDir()
	in := writeFile(t, dir, "c.csv", "name,email,phone", "Ana,ana@example.com,+1 1", "Bo,bo@example.com,+1 2")
	c := newClient(t, sb.URL, sandbox.TokenReadWrite, nil)
	older, err := c.CreateCustomer(context.Background(), apiclient.Fields{"name": "Ana Older", "email": "ana@example.com", "phone": "+44 1"}, "")
	if err != nil {
		t.Fatal(err)
	}
	landed, err := c.CreateCustomer(context.Background(), apiclient.Fields{"name": "Bo", "email": "bo@example.com", "phone": "+1 2"}, "")
	if err != nil {
		t.Fatal(err)
	}
	report := DefaultReportPath(in, "")
	anaBefore, boBefore := []string{older.ID}, []string{}
	killedJournal(t, report, 30*time.Second,
		journalEntry{Row: 2, Intent: intentCreate, Email: "ana@example.com", Older: &anaBefore},
		journalEntry{Row: 3, Intent: intentCreate, Email: "bo@example.com", Older: &boBefore})
	cfg := importCfg(in, c)
	cfg.Resume = true
	cfg.Settle = time.Millisecond
	if _, err := Import(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	rep := readReport(t, report)
	if rep[0]["_result"] != "created" || rep[0]["_customer_id"] == older.ID || rep[1]["_result"] != "created" || rep[1]["_customer_id"] != landed.ID {
		t.Errorf("report %v", rep)
	}
	if n := sb.Count(sandbox.TenantDemo); n != 3 {
		t.Errorf("%d customers, want 3 (the older Ana, Bo, the row's Ana)", n)
	}
	for _, cu := range sb.Customers(sandbox.TenantDemo) {
		if cu.ID == older.ID && (cu.Name != "Ana Older" || cu.Phone != "+44 1") {
			t.Errorf("the older customer was written onto: %+v", cu)
		}
	}
}

// TestMatchNoneIntentNamesOlderCustomers: under --match none a create's
// intent names the customers that had its email before it was sent (the
// list at start), for a resume to tell them from the create. The journal
// is read while the create is held at the server.
func TestMatchNoneIntentNamesOlderCustomers(t *testing.T) {
	sb, err := sandbox.New(sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	arrived, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.Header.Get("Idempotency-Key") != "" {
			once.Do(func() { close(arrived) })
			<-release
		}
		sb.ServeHTTP(w, r)
	}))
	defer ts.Close()
	dir := t.TempDir()
	in := writeFile(t, dir, "c.csv", "name,email", "Ana,ana@example.com")
	c := newClient(t, ts.URL+sandbox.BasePath, sandbox.TokenReadWrite, nil)
	older, err := c.CreateCustomer(context.Background(), apiclient.Fields{"name": "Ana Older", "email": "ana@example.com"}, "")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := Import(context.Background(), importCfg(in, c))
		done <- err
	}()
	<-arrived
	b, rerr := os.ReadFile(JournalPath(DefaultReportPath(in, "")))
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if rerr != nil {
		t.Fatal(rerr)
	}
	if !strings.Contains(string(b), `"email":"ana@example.com","older":["`+older.ID+`"]`) {
		t.Errorf("the create intent of ana@example.com does not name %s:\n%s", older.ID, b)
	}
}
