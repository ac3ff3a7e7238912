package batch

import (
	"context"
	"strings"
	"testing"

	"aivabatch/apiclient"
	"aivabatch/apiclient/sandbox"
)

// TestCheckAfterImportAndEdits: after a clean import the tenant matches
// the file (no problems, nothing written by the check); then a phone
// changed on the server, a customer deleted there and one added there
// are differs (the field named, tenant → file), missing and extra.
func TestCheckAfterImportAndEdits(t *testing.T) {
	sb := mirrorTenant(t, 0, nil)
	dir := t.TempDir()
	in := mirrorFile(t, dir, "in.csv", without(10))
	c := newClient(t, sb.URL, sandbox.TokenReadWrite, nil)
	ctx := context.Background()
	if sum, err := Import(ctx, mirrorCfg(in, c)); err != nil || sum.Counts[ResultCreated] != 10 {
		t.Fatalf("import: %v %v", sum.Counts, err)
	}
	writes := func() int64 {
		r := sb.Stats().Requests
		return r.Create + r.Update + r.Status + r.Delete
	}
	w0 := writes()
	sum, err := Check(ctx, mirrorCfg(in, c))
	if err != nil || sum.Problems() != 0 || sum.Counts[ResultSame] != 10 || writes() != w0 {
		t.Fatalf("check after the import: %v %v, %d writes", sum.Counts, err, writes()-w0)
	}
	if !strings.HasSuffix(sum.Report, "in.check.csv") {
		t.Errorf("the check's report is %s, want in.check.csv beside the input", sum.Report)
	}

	byEmail := map[string]apiclient.Customer{}
	for _, cu := range sb.Customers(sandbox.TenantDemo) {
		byEmail[cu.Email] = cu
	}
	if _, err := c.UpdateCustomer(ctx, byEmail["m3@example.com"].ID, apiclient.Fields{"phone": "+1 555 0199"}); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteCustomer(ctx, byEmail["m7@example.com"].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateCustomer(ctx, apiclient.Fields{"name": "Stray", "email": "stray@example.com"}, ""); err != nil {
		t.Fatal(err)
	}
	w0 = writes()
	sum, err = Check(ctx, mirrorCfg(in, c))
	if err != nil || sum.Counts[ResultSame] != 8 || sum.Counts[ResultDiffers] != 1 || sum.Counts[ResultMissing] != 1 || sum.Counts[ResultExtra] != 1 || writes() != w0 {
		t.Fatalf("check after the edits: %v %v, %d writes", sum.Counts, err, writes()-w0)
	}
	if sum.Problems() != 3 {
		t.Errorf("problems %d, want 3 (exit 1)", sum.Problems())
	}
	if len(sum.Differences) != 1 || sum.Differences[0].Field != "phone" || sum.Differences[0].Rows != 1 || !strings.Contains(sum.Differences[0].First, "+1 555 0199 → +1 555 0100") {
		t.Errorf("differences: %+v", sum.Differences)
	}
	got := map[string]string{}
	for _, r := range readReport(t, sum.Report) {
		got[r["email"]] = r["_result"] + "|" + r["_changes"] + "|" + r["_row"]
	}
	for email, want := range map[string]string{
		"m3@example.com":    "differs|phone: +1 555 0199 → +1 555 0100|5",
		"m7@example.com":    "missing||9",
		"stray@example.com": "extra|in no row of the file|",
		"m0@example.com":    "same||2",
	} {
		if got[email] != want {
			t.Errorf("%s: %q, want %q", email, got[email], want)
		}
	}
	// A status filter leaves the stray customer out of the comparison.
	cfg := mirrorCfg(in, c)
	cfg.Status = []string{"blocked"}
	if sum, err := Check(ctx, cfg); err != nil || sum.Counts[ResultExtra] != 0 {
		t.Fatalf("check --status blocked: %v %v", sum.Counts, err)
	}
}
