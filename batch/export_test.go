package batch

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"aivabatch/apiclient"
	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
)

func seedTricky(t *testing.T, c *apiclient.Client) {
	t.Helper()
	rows := []apiclient.Fields{
		{"name": "Ana Silva", "email": "ana@example.com", "phone": "+1 (800) 123-4567", "value": 12.5, "autoPayment": true, "notes": "plain"},
		{"name": "=HYPERLINK(\"http://evil\")", "email": "hyper@example.com", "phone": "-2+3", "status": "blocked", "type": "business"},
		{"name": "Zoë Müller", "email": "zoe@example.com", "notes": "@SUM(1)", "status": "inactive", "value": -3},
		{"name": "Bo", "email": "bo@example.com", "phone": "+44 20 1234 5678", "notes": "line one\nline \"two\", with comma"},
	}
	for _, f := range rows {
		if _, err := c.CreateCustomer(context.Background(), f, ""); err != nil {
			t.Fatal(err)
		}
	}
}

func exportTo(t *testing.T, c *apiclient.Client, path string, mod func(*ExportConfig)) *Summary {
	t.Helper()
	cfg := ExportConfig{Client: c, Output: path, EscapeFormulas: true}
	if mod != nil {
		mod(&cfg)
	}
	sum, err := Export(context.Background(), cfg)
	if err != nil {
		t.Fatalf("export %s: %v", path, err)
	}
	return sum
}

func TestExportFormatsReadBack(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	c := newClient(t, sb.URL, sandbox.TokenReadWrite, nil)
	seedTricky(t, c)
	want := sb.Customers(sandbox.TenantDemo)
	dir := t.TempDir()

	t.Run("csv escapes formulas, keeps phones", func(t *testing.T) {
		p := filepath.Join(dir, "c.csv")
		exportTo(t, c, p, nil)
		rows := readReport(t, p)
		if len(rows) != len(want) {
			t.Fatalf("%d rows, want %d", len(rows), len(want))
		}
		if rows[0]["phone"] != "+1 (800) 123-4567" || rows[0]["value"] != "12.5" || rows[0]["autoPayment"] != "true" {
			t.Errorf("row 1 = %v", rows[0])
		}
		if rows[1]["name"] != `'=HYPERLINK("http://evil")` || rows[1]["phone"] != "'-2+3" || rows[2]["notes"] != "'@SUM(1)" {
			t.Errorf("formulas not escaped: %q %q %q", rows[1]["name"], rows[1]["phone"], rows[2]["notes"])
		}
		if rows[3]["notes"] != want[3].Notes || rows[2]["value"] != "-3" || rows[0]["id"] != want[0].ID || rows[0]["createdAt"] != want[0].CreatedAt {
			t.Errorf("row mismatch: %v", rows)
		}
		if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
			t.Errorf("mode %v, want 0600", st.Mode().Perm())
		}
	})
	t.Run("xlsx typed cells, formulas as text", func(t *testing.T) {
		p := filepath.Join(dir, "c.xlsx")
		exportTo(t, c, p, nil)
		f, err := excelize.OpenFile(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sheet := f.GetSheetName(0)
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != len(want)+1 || rows[0][0] != "id" {
			t.Fatalf("rows = %v", rows)
		}
		if rows[2][3] != `=HYPERLINK("http://evil")` {
			t.Errorf("name cell = %q, want the text as is", rows[2][3])
		}
		if formula, _ := f.GetCellFormula(sheet, "D3"); formula != "" {
			t.Errorf("D3 holds a formula %q", formula)
		}
		if typ, _ := f.GetCellType(sheet, "I2"); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
			t.Errorf("value cell type = %v, want number", typ)
		}
		if typ, _ := f.GetCellType(sheet, "J2"); typ != excelize.CellTypeBool {
			t.Errorf("autoPayment cell type = %v, want bool", typ)
		}
		if v, _ := f.GetCellValue(sheet, "I2", excelize.Options{RawCellValue: true}); v != "12.5" {
			t.Errorf("value raw = %q", v)
		}
	})
	t.Run("ndjson whole objects", func(t *testing.T) {
		p := filepath.Join(dir, "c.ndjson")
		exportTo(t, c, p, nil)
		b, _ := os.ReadFile(p)
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) != len(want) {
			t.Fatalf("%d lines, want %d", len(lines), len(want))
		}
		for i, l := range lines {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatal(err)
			}
			if m["_id"] != want[i].ID || m["email"] != want[i].Email || m["name"] != want[i].Name {
				t.Errorf("line %d = %v", i+1, m)
			}
		}
	})
	t.Run("filters and columns", func(t *testing.T) {
		p := filepath.Join(dir, "f.csv")
		sum := exportTo(t, c, p, func(cfg *ExportConfig) {
			cfg.Status = []string{"Blocked", "inactive"}
			cfg.Columns = []string{"email", "status"}
		})
		b, _ := os.ReadFile(p)
		if got := string(b); got != "email,status\nhyper@example.com,blocked\nzoe@example.com,inactive\n" || sum.Rows != 2 {
			t.Errorf("got %q (%d rows)", got, sum.Rows)
		}
		exportTo(t, c, p, func(cfg *ExportConfig) {
			cfg.Types = []string{"business"}
			cfg.Columns = []string{"email"}
			cfg.CreatedSince = time.Now().Add(-time.Hour)
		})
		if b, _ := os.ReadFile(p); string(b) != "email\nhyper@example.com\n" {
			t.Errorf("type filter: %q", b)
		}
		exportTo(t, c, p, func(cfg *ExportConfig) {
			cfg.Columns = []string{"email"}
			cfg.UpdatedSince = time.Now().Add(time.Hour)
		})
		if b, _ := os.ReadFile(p); string(b) != "email\n" {
			t.Errorf("future updated-since: %q", b)
		}
	})
}

func TestExportRoundTrip(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	c := newClient(t, sb.URL, sandbox.TokenReadWrite, nil)
	seedTricky(t, c)
	dir := t.TempDir()
	for _, ext := range []string{"csv", "xlsx", "ndjson"} {
		t.Run(ext, func(t *testing.T) {
			p := filepath.Join(dir, "rt."+ext)
			exportTo(t, c, p, nil)
			before := sb.Stats().Requests
			cfg := importCfg(p, c)
			cfg.MatchEmail = true
			sum, err := Import(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Counts[ResultUnchanged] != 4 {
				t.Errorf("same tenant: %v %v, want 4 unchanged", sum.Counts, sum.FirstErrors)
			}
			after := sb.Stats().Requests
			if w := after.Writes() - before.Writes(); w != 0 {
				t.Errorf("%d writes, want 0", w)
			}

			empty := sandboxtest.NewServer(t, sandbox.Options{})
			ec := newClient(t, empty.URL, sandbox.TokenReadWrite, nil)
			cfg = importCfg(p, ec)
			cfg.MatchEmail = true
			cfg.Report = filepath.Join(dir, "rt-empty-"+ext+".report.csv")
			// The ids are another tenant's: the run stops before any
			// write and says how to match by email instead.
			_, err = Import(context.Background(), cfg)
			var ie *InputError
			var fe *ForeignIDError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), `holds no id of this tenant (0 of the first 4 found)`) || !errors.As(err, &fe) || fe.Column != "id" {
				t.Fatalf("empty tenant: %v", err)
			}
			if n := empty.Stats().Requests.Writes(); n != 0 || fileExists(cfg.Report) {
				t.Fatalf("refused run: %d writes, report written %v", n, fileExists(cfg.Report))
			}
			cfg.Map.Map = map[string]string{"id": "-"} // the printed fix
			sum, err = Import(context.Background(), cfg)
			if err != nil || sum.Counts[ResultCreated] != 4 {
				t.Fatalf("empty tenant: %v %v %v", sum.Counts, sum.FirstErrors, err)
			}
			if got, want := profiles(empty.Customers(sandbox.TenantDemo)), profiles(sb.Customers(sandbox.TenantDemo)); got != want {
				t.Errorf("recreated:\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// profiles renders customers sorted by email, without ids and timestamps.
func profiles(cs []apiclient.Customer) string {
	lines := make([]string, 0, len(cs))
	for _, c := range cs {
		var b strings.Builder
		fmt.Fprintf(&b, "%s|%s|%s|%s|%s|%s|%s|%v|%v|%q\n", c.Email, c.Name, c.FirstName, c.LastName, c.Phone, c.Status, c.Type, c.Value, c.AutoPayment, c.Notes)
		lines = append(lines, b.String())
	}
	slices.Sort(lines)
	return strings.Join(lines, "")
}

func TestExportFailureKeepsPreviousFile(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	c := newClient(t, sb.URL, sandbox.TokenReadWrite, nil)
	sb.Seed(sandbox.TenantDemo, 5000, func(i int) apiclient.Customer {
		return apiclient.Customer{Name: fmt.Sprintf("P %d", i), Email: fmt.Sprintf("p%d@example.com", i)}
	})
	dir := t.TempDir()
	for _, ext := range []string{"csv", "xlsx", "ndjson"} {
		p := filepath.Join(dir, "nightly."+ext)
		os.WriteFile(p, []byte("yesterday's good file"), 0o600)
		dropping := sandboxtest.NewServer(t, sandbox.Options{DropRate: 1})
		dropping.Seed(sandbox.TenantDemo, 5000, func(i int) apiclient.Customer {
			return apiclient.Customer{Name: fmt.Sprintf("P %d", i), Email: fmt.Sprintf("p%d@example.com", i)}
		})
		dc := newClient(t, dropping.URL, sandbox.TokenReadWrite, nil)
		_, err := Export(context.Background(), ExportConfig{Client: dc, Output: p})
		if err == nil {
			t.Fatalf("%s: export through a dropped list succeeded", ext)
		}
		var ae *AbortedError
		if !errors.As(err, &ae) || !strings.Contains(err.Error(), "was not changed") {
			t.Errorf("%s: err = %v", ext, err)
		}
		if b, _ := os.ReadFile(p); string(b) != "yesterday's good file" {
			t.Errorf("%s: previous file changed", ext)
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), "nightly.") || strings.Count(e.Name(), ".") > 1 {
				t.Errorf("%s: leftover file %s", ext, e.Name())
			}
		}
	}
	// And the same export against a healthy server replaces it.
	p := filepath.Join(dir, "nightly.ndjson")
	exportTo(t, c, p, nil)
	f, _ := os.Open(p)
	defer f.Close()
	n := 0
	for sc := bufio.NewScanner(f); sc.Scan(); n++ {
	}
	if n != 5000 {
		t.Errorf("%d lines, want 5000", n)
	}
}

func TestExportToStdout(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	c := newClient(t, sb.URL, sandbox.TokenReadWrite, nil)
	seedTricky(t, c)
	var buf bytes.Buffer
	if _, err := Export(context.Background(), ExportConfig{Client: c, Output: "-", Stdout: &buf, Columns: []string{"email"}}); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "email\nana@example.com\nhyper@example.com\nzoe@example.com\nbo@example.com\n" {
		t.Errorf("stdout = %q", buf.String())
	}
}

// TestExportPipeline: many batches arrive complete and in list order, with
// and without filters, in every writer path (rows; whole NDJSON objects,
// which need the fields only to filter).
func TestExportPipeline(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	c := newClient(t, sb.URL, sandbox.TokenReadWrite, nil)
	const n = 1500
	statuses := []string{"active", "blocked", "inactive"}
	if err := sb.Seed(sandbox.TenantDemo, n, func(i int) apiclient.Customer {
		return apiclient.Customer{Name: fmt.Sprintf("P %d", i), Email: fmt.Sprintf("p%d@example.com", i),
			Status: statuses[i%3], Notes: "two\nlines"}
	}); err != nil {
		t.Fatal(err)
	}
	var want, wantBlocked []string
	for _, cu := range sb.Customers(sandbox.TenantDemo) {
		want = append(want, cu.Email)
		if cu.Status == "blocked" {
			wantBlocked = append(wantBlocked, cu.Email)
		}
	}
	dir := t.TempDir()
	emails := func(t *testing.T, p string) []string {
		t.Helper()
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for i, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			if strings.HasSuffix(p, ".csv") {
				if i > 0 {
					out = append(out, l)
				}
				continue
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("line %d: %v", i+1, err)
			}
			out = append(out, m["email"].(string))
		}
		return out
	}
	for _, tt := range []struct {
		name   string
		file   string
		status []string
		cols   []string
		want   []string
	}{
		{"csv", "all.csv", nil, []string{"email"}, want},
		{"csv filtered", "blocked.csv", []string{"blocked"}, []string{"email"}, wantBlocked},
		{"ndjson whole", "all.ndjson", nil, nil, want},
		{"ndjson whole filtered", "blocked.ndjson", []string{"BLOCKED"}, nil, wantBlocked},
		{"ndjson columns filtered", "cols.ndjson", []string{"blocked"}, []string{"email", "notes"}, wantBlocked},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, tt.file)
			rows := 0
			sum := exportTo(t, c, p, func(cfg *ExportConfig) {
				cfg.Status, cfg.Columns = tt.status, tt.cols
				cfg.OnRow = func(n int) {
					if n != rows+1 {
						t.Errorf("OnRow(%d) after %d", n, rows)
					}
					rows = n
				}
			})
			if got := emails(t, p); !slices.Equal(got, tt.want) || sum.Rows != len(tt.want) || rows != len(tt.want) {
				t.Errorf("%d rows (summary %d, OnRow %d), want %d in list order", len(got), sum.Rows, rows, len(tt.want))
			}
		})
	}
}

// failingWriter fails once more than limit bytes were written.
type failingWriter struct{ n, limit int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n += len(p); w.n > w.limit {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

// TestExportStopsOnWriteErrorAndCancel: a write error or a cancelled
// context stops the list at once; the previous file survives and no
// temporary file remains.
func TestExportStopsOnWriteErrorAndCancel(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	c := newClient(t, sb.URL, sandbox.TokenReadWrite, nil)
	if err := sb.Seed(sandbox.TenantDemo, 20_000, func(i int) apiclient.Customer {
		return apiclient.Customer{Name: fmt.Sprintf("P %d", i), Email: fmt.Sprintf("p%d@example.com", i)}
	}); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"csv", "ndjson"} {
		_, err := Export(context.Background(), ExportConfig{Client: c, Output: "-", Format: format, Stdout: &failingWriter{limit: 300 << 10}})
		if err == nil || !strings.Contains(err.Error(), "writing stdout: disk full") {
			t.Errorf("%s: err = %v", format, err)
		}
	}

	dir := t.TempDir()
	p := filepath.Join(dir, "nightly.csv")
	os.WriteFile(p, []byte("yesterday's good file"), 0o600)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := Export(ctx, ExportConfig{Client: c, Output: p, OnRow: func(n int) {
		if n == 1000 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "yesterday's good file" {
		t.Error("cancelled: previous file changed")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("cancelled: %d files in the directory, want 1", len(entries))
	}
}
