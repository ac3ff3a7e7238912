package batch

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"aivabatch/batch/customer"
	"aivabatch/formats"
)

var update = flag.Bool("update", false, "rewrite the golden reports in ../testdata/golden")

// TestValidateGolden runs Validate on the fixtures in ../testdata and
// compares each report with its golden copy (go test ./batch -update
// rewrites them).
func TestValidateGolden(t *testing.T) {
	tests := []struct {
		name       string
		input      string
		mapOpts    customer.MapOptions
		wantCounts map[Result]int
	}{
		{name: "messy", input: "messy.csv",
			wantCounts: map[Result]int{ResultValid: 2, ResultInvalid: 8}},
		{name: "crm-export-libreoffice", input: "crm-export-libreoffice.xlsx",
			mapOpts:    customer.MapOptions{Map: map[string]string{"Lifetime Value": "value", "Customer Since": "-"}},
			wantCounts: map[Result]int{ResultValid: 6, ResultInvalid: 2}},
		{name: "customers-100", input: "customers-100.csv",
			mapOpts:    customer.MapOptions{Map: map[string]string{"Phone 1": "phone"}, IgnoreUnknown: true},
			wantCounts: map[Result]int{ResultValid: 100}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			report := filepath.Join(t.TempDir(), tt.name+".report.csv")
			sum, err := Validate(context.Background(), ValidateConfig{InputConfig: InputConfig{
				Path: filepath.Join("..", "testdata", tt.input), Map: tt.mapOpts, Report: report}})
			if err != nil {
				t.Fatal(err)
			}
			for r, n := range tt.wantCounts {
				if sum.Counts[r] != n {
					t.Errorf("%s = %d, want %d (counts %v)", r, sum.Counts[r], n, sum.Counts)
				}
			}
			got, err := os.ReadFile(report)
			if err != nil {
				t.Fatal(err)
			}
			if st, _ := os.Stat(report); st.Mode().Perm() != 0o600 {
				t.Errorf("report mode = %v, want 0600", st.Mode().Perm())
			}
			golden := filepath.Join("..", "testdata", "golden", tt.name+".report.csv")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./batch -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("report differs from %s:\n%s", golden, lineDiff(string(want), string(got)))
			}
		})
	}
}

func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("- " + wl + "\n+ " + gl + "\n")
		}
	}
	return b.String()
}

func TestValidateCRMSpecifics(t *testing.T) {
	report := filepath.Join(t.TempDir(), "crm.report.csv")
	_, err := Validate(context.Background(), ValidateConfig{InputConfig: InputConfig{
		Path: "../testdata/crm-export-libreoffice.xlsx", Report: report,
		Map: customer.MapOptions{Map: map[string]string{"Lifetime Value": "value", "Customer Since": "-"}}}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := formats.OpenReader(report, formats.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	h := r.Header()
	col := func(name string) int {
		for i, c := range h {
			if c == name {
				return i
			}
		}
		t.Fatalf("no column %q in %q", name, h)
		return -1
	}
	phone, result, msg := col("Phone Number"), col("_result"), col("_error")
	phones := map[string]bool{}
	invalid := map[string]string{}
	for {
		row, err := r.Next()
		if err != nil {
			break
		}
		phones[row.Cells[phone]] = true
		if row.Cells[result] == "invalid" {
			invalid[row.Cells[0]] = row.Cells[msg]
		}
	}
	if !phones["18001234567"] {
		t.Errorf("phone 18001234567 not intact; phones = %v", phones)
	}
	if !strings.Contains(invalid["8"], "E-mail Address: required") {
		t.Errorf("row 8 error = %q, want the missing email", invalid["8"])
	}
	if !strings.Contains(invalid["9"], `"pending" is not a status`) {
		t.Errorf("row 9 error = %q, want the bad status", invalid["9"])
	}
}

func TestValidateInputErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(s), 0o600)
		return p
	}
	tests := []struct {
		name, path string
		mapOpts    customer.MapOptions
		want       []string
	}{
		{name: "unknown columns name the fix (in words: no flag)", path: "../testdata/customers-100.csv",
			want: []string{"Phone 1", "Customer Id", `with map "Phone 1,Phone 2=phone"`, "ignore unknown"}},
		{name: "empty file", path: write("empty.csv", ""), want: []string{"empty"}},
		{name: "missing file", path: filepath.Join(dir, "nope.csv"), want: []string{"nope.csv"}},
		{name: "report would overwrite input", path: write("x.csv", "name,email\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ValidateConfig{InputConfig: InputConfig{Path: tt.path, Map: tt.mapOpts}}
			if tt.name == "report would overwrite input" {
				cfg.Report = tt.path
				tt.want = []string{"overwrite the input"}
			}
			_, err := Validate(context.Background(), cfg)
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want an *InputError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "--") {
				t.Errorf("error %q names a flag", err)
			}
		})
	}
}

// TestOnProblemCounts: OnProblem gets the invalid and the failed rows
// apart (messy.csv has 8 invalid rows and validate fails none).
func TestOnProblemCounts(t *testing.T) {
	var invalid, failed, calls int
	_, err := Validate(context.Background(), ValidateConfig{InputConfig: InputConfig{
		Path: filepath.Join("..", "testdata", "messy.csv"), Report: filepath.Join(t.TempDir(), "r.csv"),
		OnProblem: func(i, f int) { invalid, failed, calls = i, f, calls+1 }}})
	if err != nil {
		t.Fatal(err)
	}
	if invalid != 8 || failed != 0 || calls != 8 {
		t.Errorf("last OnProblem(%d invalid, %d failed) after %d calls, want (8, 0) after 8", invalid, failed, calls)
	}
}
