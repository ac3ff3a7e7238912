package formats

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode"
)

func TestWriterRoundTrip(t *testing.T) {
	header := []string{"id", "name", "notes", "value", "autoPayment", "createdAt"}
	types := []ColumnType{ColumnText, ColumnText, ColumnText, ColumnNumber, ColumnBool, ColumnTime}
	rows := [][]string{
		{"a1", "Ada Lovelace", `He said "hi", then left`, "1234.5", "true", "2024-01-15T10:30:00Z"},
		{"b2", "Jörg Müller", "line one\nline two", "-3", "false", ""},
		{"c3", "  padded  ", "=SUM(1,2)", "", "", "2023-11-02T00:00:00Z"},
		{"d4", "tab\there", "semi;colon|pipe", "0.25", "TRUE", "not a time"},
	}
	tests := []struct {
		format string
		opts   WriterOptions
		want   [][]string // what the reader gives back; nil means rows
	}{
		{format: FormatCSV},
		{format: FormatCSV, opts: WriterOptions{BOM: true}},
		{format: FormatTSV},
		{format: FormatNDJSON},
		{
			format: FormatNDJSON,
			opts:   WriterOptions{Types: types},
			want: [][]string{
				rows[0], rows[1], rows[2],
				{"d4", "tab\there", "semi;colon|pipe", "0.25", "true", "not a time"},
			},
		},
		{format: FormatXLSX},
		{
			format: FormatXLSX,
			opts:   WriterOptions{Types: types, Styled: true},
			want: [][]string{
				{"a1", "Ada Lovelace", `He said "hi", then left`, "1234.5", "true", "2024-01-15T10:30:00"},
				{"b2", "Jörg Müller", "line one\nline two", "-3", "false", ""},
				{"c3", "  padded  ", "=SUM(1,2)", "", "", "2023-11-02"},
				{"d4", "tab\there", "semi;colon|pipe", "0.25", "true", "not a time"},
			},
		},
	}
	for _, tt := range tests {
		name := tt.format
		if tt.opts.Types != nil || tt.opts.BOM {
			name += " typed/BOM"
		}
		t.Run(name, func(t *testing.T) {
			opts := tt.opts
			opts.Format, opts.Header = tt.format, header
			var buf bytes.Buffer
			w, err := NewWriter(&buf, opts)
			if err != nil {
				t.Fatal(err)
			}
			line := make([]string, len(header))
			for _, r := range rows {
				copy(line, r) // the writer must not keep the caller's slice
				if err := w.Write(line); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Write([]string{"short"}); err == nil {
				t.Error("a row of the wrong width was accepted")
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			r, err := NewReader(&buf, ReaderOptions{Format: tt.format})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if !reflect.DeepEqual(r.Header(), header) {
				t.Errorf("Header = %q", r.Header())
			}
			want := tt.want
			if want == nil {
				want = rows
			}
			got := readAll(t, r)
			if len(got) != len(want) {
				t.Fatalf("got %d rows, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i].Err != nil || !reflect.DeepEqual(got[i].Cells, want[i]) {
					t.Errorf("row %d: %q (%v), want %q", i, got[i].Cells, got[i].Err, want[i])
				}
			}
		})
	}
}

func TestNDJSONWriterTypes(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, WriterOptions{
		Format: FormatNDJSON,
		Header: []string{"name", "value", "autoPayment", "createdAt", "weird\"key"},
		Types:  []ColumnType{ColumnText, ColumnNumber, ColumnBool, ColumnTime, ColumnText},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range [][]string{
		{"Ada <a&b>", "1234.5", "true", "2024-01-15T10:30:00Z", "\x01\u2028"},
		{"", "", "", "", ""},
		{"x", "1,234.50", "yes", "now", "bad \xff utf8"},
		{"y", "007", "False", "", ""},
	} {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := `{"name":"Ada <a&b>","value":1234.5,"autoPayment":true,"createdAt":"2024-01-15T10:30:00Z","weird\"key":"\u0001\u2028"}
{"name":"","value":null,"autoPayment":null,"createdAt":null,"weird\"key":""}
{"name":"x","value":"1,234.50","autoPayment":"yes","createdAt":"now","weird\"key":"bad \ufffd utf8"}
{"name":"y","value":"007","autoPayment":false,"createdAt":null,"weird\"key":""}
`
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestCSVWriterEscapesFormulas(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, WriterOptions{Format: FormatCSV, Header: []string{"name", "phone"}, EscapeFormulas: true})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]string{"=HYPERLINK(\"http://evil\")", "+1 (800) 123-4567"})
	w.Write([]string{"@SUM(1)", "-2+3"})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := "name,phone\n\"'=HYPERLINK(\"\"http://evil\"\")\",+1 (800) 123-4567\n'@SUM(1),'-2+3\n"
	if buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
}

func TestEscapeFormula(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"},
		{"=1+1", "'=1+1"},
		{"@SUM(1)", "'@SUM(1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"+SUM(1)", "'+SUM(1)"},
		{"-2+3", "'-2+3"},
		{"-A1", "'-A1"},
		{"-", "'-"},
		{"+", "'+"},
		{"-3", "-3"},
		{"-12.5", "-12.5"},
		{"+0.25", "+0.25"},
		{"-1.5E+10", "-1.5E+10"},
		{"+1 (800) 123-4567", "+1 (800) 123-4567"},
		{"+44 20 7946 0018", "+44 20 7946 0018"},
		{"+1-247-266-0963x4995", "+1-247-266-0963x4995"},
		{"+1 800 123 4567 ext. 12", "+1 800 123 4567 ext. 12"},
		{"-1199", "-1199"},
		{"+1 (800) CALL-NOW", "'+1 (800) CALL-NOW"},
		{"'=x", "''=x"},
		{"'hello", "''hello"},
		{"a=b", "a=b"},
		{"  '  spaced", "'  '  spaced"},
		{" \t'x", "' \t'x"},
		{"  spaced", "  spaced"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := EscapeFormula(tt.in)
			if got != tt.want {
				t.Errorf("EscapeFormula(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if unescapeFormula(got) != tt.in {
				t.Errorf("unescapeFormula(%q) = %q, want %q", got, unescapeFormula(got), tt.in)
			}
		})
	}
}

func TestUnescapeFormula(t *testing.T) {
	tests := []struct{ in, want string }{
		{"'=SUM(1)", "=SUM(1)"},
		{"'+1", "+1"},
		{"'-x", "-x"},
		{"'@x", "@x"},
		{"'\tx", "\tx"},
		{"'\rx", "\rx"},
		{"'hello", "'hello"},
		{"'", "'"},
		{"''=x", "'=x"},
		{"=x", "=x"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := unescapeFormula(tt.in); got != tt.want {
				t.Errorf("unescapeFormula(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// zipPart returns one part of an XLSX file.
func zipPart(t *testing.T, data []byte, name string) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == name {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			return string(b)
		}
	}
	t.Fatalf("no part %s", name)
	return ""
}

func TestXLSXWriterSheetsAndStyle(t *testing.T) {
	old := xlsxMaxDataRows
	xlsxMaxDataRows = 3
	defer func() { xlsxMaxDataRows = old }()

	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	var buf bytes.Buffer
	header := []string{"_row", "_result", "name"}
	w, err := NewWriter(&buf, WriterOptions{Format: FormatXLSX, Header: header, Styled: true, Sheet: "Report"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 7; i++ {
		if err := w.Write([]string{strings.Repeat("9", i), "valid", "a rather long customer name"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("temporary files left: %v", entries)
	}
	data := buf.Bytes()
	sheet1 := zipPart(t, data, "xl/worksheets/sheet1.xml")
	for _, want := range []string{`<autoFilter ref="$A$1:$C$4"`, `state="frozen"`, `<col min="1" max="1" width="9" customWidth="1"/><col min="2"`} {
		if !strings.Contains(sheet1, want) {
			t.Errorf("sheet1 lacks %s:\n%s", want, sheet1)
		}
	}
	p := writeTemp(t, "report.xlsx", data)
	for _, tt := range []struct {
		sheet    string
		wantRows []wantRow
	}{
		{sheet: "", wantRows: []wantRow{{num: 2, cells: []string{"9", "valid", "a rather long customer name"}}, {num: 3}, {num: 4}}},
		{sheet: "Report 2", wantRows: []wantRow{{num: 2, cells: []string{"9999", "valid", "a rather long customer name"}}, {num: 3}, {num: 4}}},
		{sheet: "Report 3", wantRows: []wantRow{{num: 2, cells: []string{"9999999", "valid", "a rather long customer name"}}}},
	} {
		r, err := OpenReader(p, ReaderOptions{Sheet: tt.sheet})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(r.Header(), header) {
			t.Errorf("sheet %q: header %q", tt.sheet, r.Header())
		}
		checkRows(t, readAll(t, r), tt.wantRows)
		r.Close()
	}
}

func TestAtomicFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "export.csv")
	if err := os.WriteFile(p, []byte("old contents\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	onlyTarget := func(t *testing.T) {
		t.Helper()
		entries, _ := os.ReadDir(dir)
		if len(entries) != 1 || entries[0].Name() != "export.csv" {
			t.Errorf("directory holds %v, want only export.csv", entries)
		}
	}

	t.Run("abort keeps the old file", func(t *testing.T) {
		a, err := CreateAtomic(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(a, "half an export"); err != nil {
			t.Fatal(err)
		}
		if err := a.Abort(); err != nil {
			t.Fatal(err)
		}
		if err := a.Abort(); err != nil {
			t.Errorf("second Abort: %v", err)
		}
		if b, _ := os.ReadFile(p); string(b) != "old contents\n" {
			t.Errorf("old file changed to %q", b)
		}
		onlyTarget(t)
	})
	t.Run("commit replaces", func(t *testing.T) {
		a, err := CreateAtomic(p)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Abort()
		io.WriteString(a, "new contents\n")
		if b, _ := os.ReadFile(p); string(b) != "old contents\n" {
			t.Errorf("file changed before Commit: %q", b)
		}
		if err := a.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := a.Abort(); err != nil {
			t.Errorf("Abort after Commit: %v", err)
		}
		if b, _ := os.ReadFile(p); string(b) != "new contents\n" {
			t.Errorf("file is %q", b)
		}
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("mode = %v, %v; want 0600", fi.Mode().Perm(), err)
		}
		onlyTarget(t)
	})
	t.Run("missing directory", func(t *testing.T) {
		if _, err := CreateAtomic(filepath.Join(dir, "no", "such.csv")); err == nil {
			t.Error("no error")
		}
	})
}

func TestCreateFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "report.csv")
	if err := os.WriteFile(p, []byte("old, longer contents"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := CreateFile(p)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("new")
	f.Close()
	fi, _ := os.Stat(p)
	if b, _ := os.ReadFile(p); string(b) != "new" || fi.Mode().Perm() != 0o600 {
		t.Errorf("file %q mode %v; want \"new\" 0600", b, fi.Mode().Perm())
	}
}

// unescapeFormula undoes EscapeFormula (the test oracle of what a
// reader gives back): a cell that starts with
// ' followed by =, +, -, @, tab, CR or ', or by whitespace and then ',
// loses the first '. Other cells are returned as they are.
func unescapeFormula(s string) string {
	if len(s) >= 2 && s[0] == '\'' {
		switch s[1] {
		case '=', '+', '-', '@', '\t', '\r', '\'':
			return s[1:]
		}
		if t := strings.TrimLeftFunc(s[1:], unicode.IsSpace); t != s[1:] && strings.HasPrefix(t, "'") {
			return s[1:]
		}
	}
	return s
}
