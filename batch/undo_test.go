package batch

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"aivabatch/apiclient"
	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
)

// tenantSnapshot is every customer of the demo tenant as email → data.
func tenantSnapshot(sb *sandboxtest.Server) map[string]string {
	m := map[string]string{}
	for _, c := range sb.Customers(sandbox.TenantDemo) {
		m[c.Email] = fmt.Sprintf("%s|%s|%s|%s|%s|%s|%v|%v|%s", c.Name, c.FirstName, c.LastName, c.Phone, c.Status, c.Type, c.Value, c.AutoPayment, c.Notes)
	}
	return m
}

// TestUndoAcrossLimitAndResume: an import with --undo run as --limit 4,
// then --resume with the same --undo: the resume appends to the undo
// file (one header, the first run's rows kept), and importing it puts
// the tenant back as it was (creates, updates and a delete reversed).
func TestUndoAcrossLimitAndResume(t *testing.T) {
	for _, ext := range []string{"csv", "ndjson"} {
		t.Run(ext, func(t *testing.T) {
			sb := sandboxtest.NewServer(t, sandbox.Options{})
			c := newClient(t, sb.URL, sandbox.TokenReadWrite, nil)
			ctx := context.Background()
			var ids []string
			for i := range 3 {
				cu, err := c.CreateCustomer(ctx, apiclient.Fields{"name": fmt.Sprintf("Old %d", i), "email": fmt.Sprintf("old%d@example.com", i), "phone": "+1 555 0100", "notes": "before"}, "")
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, cu.ID)
			}
			before := tenantSnapshot(sb)
			dir := t.TempDir()
			lines := []string{"id,name,email,phone,notes,action",
				ids[0] + ",Changed 0,,+1 555 0199,after,update",
				",New 1,new1@example.com,,,create",
				ids[1] + ",,,,,delete",
				",New 2,new2@example.com,,,create",
				// --limit 4 stops here
				",New 3,new3@example.com,,,create",
				ids[2] + ",Changed 2,,,after,update",
				",New 4,new4@example.com,,,create",
			}
			in := writeFile(t, dir, "in.csv", lines...)
			undoPath := filepath.Join(dir, "undo."+ext)
			cfg := importCfg(in, c)
			cfg.Undo, cfg.Limit = undoPath, 4
			if sum, err := Import(ctx, cfg); err != nil || sum.Counts[ResultCreated] != 2 || sum.Counts[ResultUpdated] != 1 || sum.Counts[ResultDeleted] != 1 {
				t.Fatalf("--limit 4: %v %v", sum.Counts, err)
			}
			first, _ := os.ReadFile(undoPath)
			cfg = importCfg(in, c)
			cfg.Undo, cfg.Resume = undoPath, true
			if sum, err := Import(ctx, cfg); err != nil || sum.Counts[ResultCreated] != 2 || sum.Counts[ResultUpdated] != 1 {
				t.Fatalf("--resume: %v %v %v", sum.Counts, sum.FirstErrors, err)
			}
			all, _ := os.ReadFile(undoPath)
			if !strings.HasPrefix(string(all), string(first)) || len(all) <= len(first) {
				t.Fatalf("the resume did not append to the undo file:\nfirst run:\n%s\nafter the resume:\n%s", first, all)
			}
			if ext == "csv" && strings.Count(string(all), "action,id,") != 1 {
				t.Errorf("the undo file has its header %d times:\n%s", strings.Count(string(all), "action,id,"), all)
			}
			undo := importCfg(undoPath, c)
			undo.BlankClear = true
			if sum, err := Import(ctx, undo); err != nil || sum.Problems() != 0 || sum.Rows != 7 {
				t.Fatalf("importing the undo file: %v %v %v", sum.Counts, sum.FirstErrors, err)
			}
			if after := tenantSnapshot(sb); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("after the undo the tenant is\n%v\nwant\n%v", after, before)
			}
		})
	}
}

// TestUndoTornTailCut: a resume appending to an undo file whose last
// line a kill cut short drops that fragment first; a file that is not an
// undo file is refused rather than appended to.
func TestUndoTornTailCut(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "undo.csv")
	head := strings.Join(undoColumns, ",") + "\n"
	if err := os.WriteFile(p, []byte(head+"delete,abc,,,,,,,,,,\ndelete,de"), 0o600); err != nil {
		t.Fatal(err)
	}
	u, err := openUndo(p, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := u.add(&Outcome{Result: ResultCreated, CustomerID: "xyz"}, &plan{}); err != nil {
		t.Fatal(err)
	}
	if err := u.close(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != head+"delete,abc,,,,,,,,,,\ndelete,xyz,,,,,,,,,,\n" {
		t.Errorf("undo file after the resume:\n%s", b)
	}
	other := writeFile(t, dir, "customers.csv", "name,email", "Ana,ana@example.com")
	if _, err := openUndo(other, true); !IsInputError(err) || !strings.Contains(err.Error(), "not an undo file") {
		t.Errorf("appending to a file that is not an undo file: %v", err)
	}
	if b, _ := os.ReadFile(other); string(b) != "name,email\nAna,ana@example.com\n" {
		t.Errorf("the refused file was changed: %q", b)
	}
	if _, err := openUndo(filepath.Join(dir, "u.xlsx"), false); !IsInputError(err) {
		t.Errorf("--undo .xlsx: %v, want an input error", err)
	}
}
