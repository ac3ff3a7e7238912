package batch

import (
	"context"
	"path/filepath"
	"testing"

	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
)

// TestSamplesAreTheSameCustomers imports the README's three sample files
// into fresh tenants: each gives the same 40 customers.
func TestSamplesAreTheSameCustomers(t *testing.T) {
	var first string
	for _, name := range []string{"customers.csv", "customers.xlsx", "customers.ndjson"} {
		sb := sandboxtest.NewServer(t, sandbox.Options{})
		cfg := importCfg(filepath.Join("..", "samples", name), newClient(t, sb.URL, sandbox.TokenReadWrite, nil))
		cfg.Report = filepath.Join(t.TempDir(), "r.csv")
		sum, err := Import(context.Background(), cfg)
		if err != nil || sum.Counts[ResultCreated] != 40 {
			t.Fatalf("%s: %v %v %v", name, sum.Counts, sum.FirstErrors, err)
		}
		got := profiles(sb.Customers(sandbox.TenantDemo))
		if first == "" {
			first = got
		} else if got != first {
			t.Errorf("%s gives other customers than customers.csv:\n%s\nwant\n%s", name, got, first)
		}
	}
}
