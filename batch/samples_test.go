package batch

import (
	"context"
	"path/filepath"
	"testing"

	"aivabatch/apiclient"
	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
	"aivabatch/batch/customer"
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

// TestCustomers100BuildsNames imports the real-world datablist file with
// the flags its validate error suggests: names come from First and Last
// Name, phones from Phone 1, and "Customer Id" is not taken as the id.
func TestCustomers100BuildsNames(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	cfg := importCfg(filepath.Join("..", "testdata", "customers-100.csv"), newClient(t, sb.URL, sandbox.TokenReadWrite, nil))
	cfg.Report = filepath.Join(t.TempDir(), "r.csv")
	cfg.Map = customer.MapOptions{Map: map[string]string{"Phone 1": "phone"}, IgnoreUnknown: true}
	sum, err := Import(context.Background(), cfg)
	if err != nil || sum.Counts[ResultCreated] != 100 {
		t.Fatalf("%v %v %v", sum.Counts, sum.FirstErrors, err)
	}
	byEmail := map[string]apiclient.Customer{}
	for _, c := range sb.Customers(sandbox.TenantDemo) {
		byEmail[c.Email] = c
	}
	c := byEmail["zunigavanessa@smith.info"]
	if c.Name != "Sheryl Baxter" || c.FirstName != "Sheryl" || c.LastName != "Baxter" || c.Phone != "229.077.5154" || c.ID == "DD37Cf93aecA6Dc" {
		t.Errorf("row 2 became %+v", c)
	}
}
