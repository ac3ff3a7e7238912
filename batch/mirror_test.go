package batch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"aivabatch/apiclient"
	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
)

// mirrorCfg is importCfg matching by email, as the command line does by
// default.
func mirrorCfg(path string, c *apiclient.Client) ImportConfig {
	cfg := importCfg(path, c)
	cfg.MatchEmail = true
	return cfg
}

// mirrorTenant seeds n customers m<i>@example.com; status(i) gives each
// one's status ("" = active).
func mirrorTenant(t *testing.T, n int, status func(i int) string) *sandboxtest.Server {
	t.Helper()
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	err := sb.Seed(sandbox.TenantDemo, n, func(i int) apiclient.Customer {
		st := "active"
		if status != nil && status(i) != "" {
			st = status(i)
		}
		return apiclient.Customer{Name: fmt.Sprintf("Mirror %d", i), Email: fmt.Sprintf("m%d@example.com", i), Phone: "+1 555 0100", Status: st, Type: "retail"}
	})
	if err != nil {
		t.Fatal(err)
	}
	return sb
}

// mirrorFile writes a file holding customers m<i> for every i in keep.
func mirrorFile(t *testing.T, dir, name string, keep []int) string {
	t.Helper()
	lines := []string{"name,email,phone"}
	for _, i := range keep {
		lines = append(lines, fmt.Sprintf("Mirror %d,m%d@example.com,+1 555 0100", i, i))
	}
	return writeFile(t, dir, name, lines...)
}

// emails is the tenant's emails, sorted.
func emails(sb *sandboxtest.Server) []string {
	var out []string
	for _, c := range sb.Customers(sandbox.TenantDemo) {
		out = append(out, c.Email)
	}
	sort.Strings(out)
	return out
}

func emailsOf(keep []int) []string {
	var out []string
	for _, i := range keep {
		out = append(out, fmt.Sprintf("m%d@example.com", i))
	}
	sort.Strings(out)
	return out
}

func without(n int, drop ...int) []int {
	var keep []int
	for i := range n {
		if !slices.Contains(drop, i) {
			keep = append(keep, i)
		}
	}
	return keep
}

// TestMirrorDeletesWhatNoRowHolds: a file that drops 5 of the tenant's
// 100 customers. The dry run shows the 5 as would_delete and deletes
// nothing; the mirror deletes exactly them and lists them after the
// file's rows; a second mirror changes nothing; the undo file recreates
// them.
func TestMirrorDeletesWhatNoRowHolds(t *testing.T) {
	sb := mirrorTenant(t, 100, nil)
	before := tenantSnapshot(sb)
	dir := t.TempDir()
	dropped := []int{3, 17, 42, 77, 99}
	keep := without(100, dropped...)
	in := mirrorFile(t, dir, "in.csv", keep)
	c := newClient(t, sb.URL, sandbox.TokenReadWrite, nil)
	ctx := context.Background()

	dry := mirrorCfg(in, c)
	dry.DeleteMissing, dry.DryRun = true, true
	sum, err := Import(ctx, dry)
	if err != nil || sum.Counts[ResultWouldDelete] != 5 || sum.Counts[ResultUnchanged] != 95 {
		t.Fatalf("dry run: %v %v", sum.Counts, err)
	}
	if got := sb.Count(sandbox.TenantDemo); got != 100 {
		t.Fatalf("the dry run changed the tenant: %d customers", got)
	}

	undo := filepath.Join(dir, "undo.csv")
	cfg := mirrorCfg(in, c)
	cfg.DeleteMissing, cfg.Undo = true, undo
	sum, err = Import(ctx, cfg)
	if err != nil || sum.Counts[ResultDeleted] != 5 || sum.Counts[ResultUnchanged] != 95 || sum.Rows != 95 {
		t.Fatalf("mirror: %v rows %d %v", sum.Counts, sum.Rows, err)
	}
	if got, want := emails(sb), emailsOf(keep); !slices.Equal(got, want) {
		t.Fatalf("after the mirror the tenant holds %d customers, want the file's %d:\n%v", len(got), len(want), got)
	}
	rows := readReport(t, sum.Report)
	if len(rows) != 100 {
		t.Fatalf("report: %d lines, want 95 rows and 5 deleted customers", len(rows))
	}
	var deleted []string
	for _, r := range rows[95:] {
		if r["_row"] != "" || r["_result"] != "deleted" || r["_customer_id"] == "" || r["name"] == "" {
			t.Errorf("a deleted customer's line: %v", r)
		}
		deleted = append(deleted, r["email"])
	}
	sort.Strings(deleted)
	if want := emailsOf(dropped); !slices.Equal(deleted, want) {
		t.Errorf("the report lists %v as deleted, want %v", deleted, want)
	}
	if _, err := os.Stat(JournalPath(sum.Report)); err == nil {
		t.Error("the journal was left after a finished mirror")
	}

	writes := func() int64 {
		r := sb.Stats().Requests
		return r.Create + r.Update + r.Status + r.Delete
	}
	w0 := writes()
	again := mirrorCfg(in, c)
	again.DeleteMissing = true
	sum, err = Import(ctx, again)
	if err != nil || sum.Counts[ResultDeleted] != 0 || sum.Counts[ResultUnchanged] != 95 || writes() != w0 {
		t.Fatalf("second mirror: %v %v, %d writes", sum.Counts, err, writes()-w0)
	}

	u := mirrorCfg(undo, c)
	u.BlankClear = true
	sum, err = Import(ctx, u)
	if err != nil || sum.Counts[ResultCreated] != 5 || sum.Rows != 5 {
		t.Fatalf("importing the undo file: %v %v %v", sum.Counts, sum.FirstErrors, err)
	}
	if after := tenantSnapshot(sb); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("the undo file did not put the tenant back:\nbefore %v\nafter  %v", before, after)
	}
}

// TestMirrorOverTheCap: 20 of 100 customers in no row, over the default
// cap of 10 %: nothing is deleted, the error is an abort naming the
// count, and the run is recorded (no journal left, the file's rows
// done). --max-delete 20 lets it through.
func TestMirrorOverTheCap(t *testing.T) {
	sb := mirrorTenant(t, 100, nil)
	dir := t.TempDir()
	in := mirrorFile(t, dir, "in.csv", without(100, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19))
	c := newClient(t, sb.URL, sandbox.TokenReadWrite, nil)
	ctx := context.Background()
	cfg := mirrorCfg(in, c)
	cfg.DeleteMissing = true
	sum, err := Import(ctx, cfg)
	var ce *DeleteCapError
	if !errors.As(err, &ce) || !IsAborted(err) || ce.Count != 20 || ce.Max != 10 || ce.Tenant != 100 {
		t.Fatalf("want a cap error (20 over 10 of 100), got %v", err)
	}
	if sum.Counts[ResultDeleted] != 0 || sb.Count(sandbox.TenantDemo) != 100 || sb.Stats().Requests.Delete != 0 {
		t.Fatalf("over the cap something was deleted: %v, %d customers", sum.Counts, sb.Count(sandbox.TenantDemo))
	}
	if PendingJournal(sum.Report) != "" {
		t.Error("the journal stayed: the next run would be refused")
	}
	cfg = mirrorCfg(in, c)
	cfg.DeleteMissing, cfg.MaxDelete = true, 20
	if sum, err = Import(ctx, cfg); err != nil || sum.Counts[ResultDeleted] != 20 || sb.Count(sandbox.TenantDemo) != 80 {
		t.Fatalf("with a cap of 20: %v %v, %d customers", sum.Counts, err, sb.Count(sandbox.TenantDemo))
	}
}

// TestMirrorFilters: with a status filter, customers outside it are never
// deleted though no row holds them.
func TestMirrorFilters(t *testing.T) {
	blocked := func(i int) string {
		if i%5 == 0 {
			return "blocked"
		}
		return ""
	}
	sb := mirrorTenant(t, 100, blocked)
	dir := t.TempDir()
	var keep []int
	for i := range 100 {
		if blocked(i) == "" && i != 1 && i != 2 && i != 3 {
			keep = append(keep, i)
		}
	}
	in := mirrorFile(t, dir, "in.csv", keep) // 77 active customers: 3 active and 20 blocked in no row
	c := newClient(t, sb.URL, sandbox.TokenReadWrite, nil)
	cfg := mirrorCfg(in, c)
	cfg.DeleteMissing, cfg.Status = true, []string{"Active"}
	sum, err := Import(context.Background(), cfg)
	if err != nil || sum.Counts[ResultDeleted] != 3 {
		t.Fatalf("mirror of the active customers: %v %v", sum.Counts, err)
	}
	var want []int
	for i := range 100 {
		if blocked(i) != "" || slices.Contains(keep, i) {
			want = append(want, i)
		}
	}
	if got := emails(sb); !slices.Equal(got, emailsOf(want)) {
		t.Fatalf("the tenant holds %d customers, want the file's 77 and the 20 blocked ones", len(got))
	}
}

// TestMirrorNotWithProblemRows: a row that is invalid could stand for a
// customer, so nothing is deleted and the summary says why.
func TestMirrorNotWithProblemRows(t *testing.T) {
	sb := mirrorTenant(t, 20, nil)
	dir := t.TempDir()
	lines := []string{"name,email,phone"}
	for i := range 19 {
		lines = append(lines, fmt.Sprintf("Mirror %d,m%d@example.com,+1 555 0100", i, i))
	}
	lines[5] = "Mirror 4,m4 at example.com,+1 555 0100" // not an email: invalid
	in := writeFile(t, dir, "in.csv", lines...)
	cfg := mirrorCfg(in, newClient(t, sb.URL, sandbox.TokenReadWrite, nil))
	cfg.DeleteMissing, cfg.MaxDelete = true, 5
	sum, err := Import(context.Background(), cfg)
	if err != nil || sum.Counts[ResultInvalid] != 1 || sum.Counts[ResultDeleted] != 0 || sb.Count(sandbox.TenantDemo) != 20 {
		t.Fatalf("%v %v, %d customers", sum.Counts, err, sb.Count(sandbox.TenantDemo))
	}
	if len(sum.Warnings) == 0 || !strings.Contains(sum.Warnings[len(sum.Warnings)-1], "no customer was deleted") {
		t.Errorf("no warning says why nothing was deleted: %q", sum.Warnings)
	}
}

// TestMirrorResumeAfterInterrupt: the run is interrupted after a few of
// its 20 deletes; the file is then edited to hold 3 of the customers not
// yet deleted. The resume deletes the rest but never those 3: the tenant
// holds exactly the file; the report lists every customer deleted by
// both runs, and their undo file recreates them all.
func TestMirrorResumeAfterInterrupt(t *testing.T) {
	sb := mirrorTenant(t, 100, nil)
	before := tenantSnapshot(sb)
	dir := t.TempDir()
	var dropped []int
	for i := range 20 {
		dropped = append(dropped, i*5)
	}
	in := mirrorFile(t, dir, "in.csv", without(100, dropped...))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var deletes atomic.Int64
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete && deletes.Add(1) == 6 {
			cancel() // as a SIGINT would: the deletes in flight finish
		}
		sb.Server.ServeHTTP(w, r)
	}))
	defer front.Close()
	c := newClient(t, front.URL+sandbox.BasePath, sandbox.TokenReadWrite, nil)
	undo := filepath.Join(dir, "undo.csv")
	cfg := mirrorCfg(in, c)
	cfg.DeleteMissing, cfg.MaxDelete, cfg.Undo, cfg.Workers = true, 20, undo, 2
	sum, err := Import(ctx, cfg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted mirror: %v %v", sum.Counts, err)
	}
	first := 100 - sb.Count(sandbox.TenantDemo)
	if first < 6 || first >= 20 || PendingJournal(sum.Report) == "" {
		t.Fatalf("interrupted mirror: %d deleted (want 6 to 19), journal %q", first, PendingJournal(sum.Report))
	}
	// Three dropped customers still there go back into the file.
	var back []int
	for _, i := range dropped {
		if _, ok := tenantSnapshot(sb)[fmt.Sprintf("m%d@example.com", i)]; ok && len(back) < 3 {
			back = append(back, i)
		}
	}
	if len(back) != 3 {
		t.Fatalf("only %d dropped customers left", len(back))
	}
	var stillDropped []int
	for _, i := range dropped {
		if !slices.Contains(back, i) {
			stillDropped = append(stillDropped, i)
		}
	}
	keep := without(100, stillDropped...)
	mirrorFile(t, dir, "in.csv", keep)

	cfg = mirrorCfg(in, newClient(t, sb.URL, sandbox.TokenReadWrite, nil))
	cfg.DeleteMissing, cfg.MaxDelete, cfg.Undo, cfg.Resume, cfg.Workers = true, 20, undo, true, 2
	sum, err = Import(context.Background(), cfg)
	if err != nil || sum.Counts[ResultDeleted] != 17 {
		t.Fatalf("resume: %v %v %v", sum.Counts, sum.FirstErrors, err)
	}
	if got := emails(sb); !slices.Equal(got, emailsOf(keep)) {
		t.Fatalf("after the resume the tenant holds %d customers, want the file's %d", len(got), len(keep))
	}
	var listed []string
	for _, r := range readReport(t, sum.Report) {
		if r["_result"] == "deleted" {
			listed = append(listed, r["email"])
		}
	}
	sort.Strings(listed)
	if want := emailsOf(stillDropped); !slices.Equal(listed, want) {
		t.Errorf("the report lists as deleted %v, want %v", listed, want)
	}
	u := mirrorCfg(undo, newClient(t, sb.URL, sandbox.TokenReadWrite, nil))
	u.BlankClear = true
	if sum, err := Import(context.Background(), u); err != nil || sum.Counts[ResultCreated] != 17 {
		t.Fatalf("importing the undo file: %v %v %v", sum.Counts, sum.FirstErrors, err)
	}
	// The 17 deleted customers are back as they were. (The 3 rows the
	// file gained are claimed created by the resume, found by email, as
	// any row new to a resumed file is, so the undo file deletes them.)
	after := tenantSnapshot(sb)
	for _, i := range stillDropped {
		k := fmt.Sprintf("m%d@example.com", i)
		if after[k] != before[k] {
			t.Errorf("%s: before %q, after the undo %q", k, before[k], after[k])
		}
	}
}
