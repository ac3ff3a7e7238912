package batch

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"aivabatch/apiclient"
	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
)

// TestFormulaLikeValuesRoundTrip: customers whose names and notes look
// like formulas, start with a quote or carry whitespace and line breaks
// around them are exported (CSV with formula escaping, XLSX, NDJSON) and
// imported back with --match email into the same tenant: every row is
// unchanged and nothing is written.
func TestFormulaLikeValuesRoundTrip(t *testing.T) {
	values := []string{"=1+1", "\r=1", " =1+1", "\n=1+1", "'=1+1", "'quoted", "''x", "@SUM(A1)", "+SUM(1)", "-x",
		"\t=1", "=HYPERLINK(\"http://evil\")", "-2+3", "+1 555 0100", "a=b", "x\n", "\ty", "  '  spaced", "  spaced", "' lead"}
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	c := newClient(t, sb.URL, sandbox.TokenReadWrite, nil)
	for i, v := range values {
		f := apiclient.Fields{"name": "N" + v, "email": fmt.Sprintf("f%d@example.com", i), "notes": v}
		if i%2 == 0 {
			f["name"] = v
		}
		if _, err := c.CreateCustomer(context.Background(), f, ""); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	for _, ext := range []string{"csv", "xlsx", "ndjson"} {
		t.Run(ext, func(t *testing.T) {
			p := filepath.Join(dir, "f."+ext)
			exportTo(t, c, p, nil)
			before := sb.Stats().Requests
			cfg := importCfg(p, c)
			cfg.MatchEmail = true
			sum, err := Import(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Counts[ResultUnchanged] != len(values) {
				for _, r := range readReport(t, DefaultReportPath(p, "")) {
					if r["_result"] != "unchanged" {
						t.Errorf("row %s: %s %s", r["_row"], r["_result"], r["_changes"])
					}
				}
			}
			after := sb.Stats().Requests
			if w := after.Writes() - before.Writes(); w != 0 {
				t.Errorf("%d writes, want 0", w)
			}
		})
	}
}
