package batch

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"aivabatch/formats"
)

// TestReportKeepsInputDialect: the report of a CSV input keeps its
// delimiter, and has a BOM when the input had one or was Windows-1252 (so
// that Excel reads it right); reading the report back gives the input's
// cells.
func TestReportKeepsInputDialect(t *testing.T) {
	tests := []struct {
		name      string
		file      string
		input     []byte
		wantHead  string // the report's first bytes
		wantCells [][]string
	}{
		{
			name:      "semicolons in Windows-1252",
			file:      "in.csv",
			input:     []byte("Full Name;E-mail;Notes\r\nJos\xe9 \xc1lvarez;jose@example.com;\"caf\xe9; cr\xe8me\"\r\nZo\xeb;not-an-email;\x80 5\r\n"),
			wantHead:  "\ufeff_row;_result;_customer_id;_http_status;_error;_changes;Full Name;E-mail;Notes\n",
			wantCells: [][]string{{"José Álvarez", "jose@example.com", "café; crème"}, {"Zoë", "not-an-email", "€ 5"}},
		},
		{
			name:      "UTF-8 with a BOM and pipes",
			file:      "in.csv",
			input:     []byte("\ufeffname|email\nJosé|jose@example.com\n"),
			wantHead:  "\ufeff_row|_result|",
			wantCells: [][]string{{"José", "jose@example.com"}},
		},
		{
			name:      "plain UTF-8 commas",
			file:      "in.csv",
			input:     []byte("name,email\nJosé,jose@example.com\n"),
			wantHead:  "_row,_result,",
			wantCells: [][]string{{"José", "jose@example.com"}},
		},
		{
			name:      "TSV in Windows-1252",
			file:      "in.tsv",
			input:     []byte("name\temail\nJos\xe9\tjose@example.com\n"),
			wantHead:  "\ufeff_row\t_result\t",
			wantCells: [][]string{{"José", "jose@example.com"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, tt.file)
			if err := os.WriteFile(in, tt.input, 0o600); err != nil {
				t.Fatal(err)
			}
			sum, err := Validate(context.Background(), ValidateConfig{InputConfig: InputConfig{Path: in}})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Rows != len(tt.wantCells) {
				t.Fatalf("summary counts %d rows, want %d", sum.Rows, len(tt.wantCells))
			}
			data, err := os.ReadFile(sum.Report)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(data, []byte(tt.wantHead)) {
				t.Fatalf("report starts %q, want %q", data[:min(len(data), 80)], tt.wantHead)
			}
			// Read back with format and encoding detected: the input's
			// columns hold the input's cells.
			r, err := formats.OpenReader(sum.Report, formats.ReaderOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			skip := len(ReportColumns)
			var got [][]string
			for {
				row, err := r.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil || row.Err != nil {
					t.Fatalf("reading the report back: %v %v", err, row.Err)
				}
				got = append(got, row.Cells[skip:])
			}
			if !reflect.DeepEqual(got, tt.wantCells) {
				t.Errorf("report read back = %q, want %q", got, tt.wantCells)
			}
		})
	}
}

// xlsxWithSheetData writes a minimal workbook around sheetData.
func xlsxWithSheetData(t *testing.T, sheetData string) string {
	t.Helper()
	parts := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Customers" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`},
		{"xl/worksheets/sheet1.xml", `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` + sheetData + `</sheetData></worksheet>`},
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range parts {
		w, err := zw.Create(p.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, p.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "book.xlsx")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestValidateCountsRowsBeforeFatalError: a workbook that turns
// unreadable part way (a bad XML entity in row 502) still reports and
// counts the 500 rows read before, and the error names the row (D15).
func TestValidateCountsRowsBeforeFatalError(t *testing.T) {
	inline := func(ref, s string) string {
		return `<c r="` + ref + `" t="inlineStr"><is><t>` + s + `</t></is></c>`
	}
	var sheet strings.Builder
	sheet.WriteString(`<row r="1">` + inline("A1", "name") + inline("B1", "email") + `</row>`)
	for i := 2; i <= 501; i++ {
		n := strconv.Itoa(i)
		sheet.WriteString(`<row r="` + n + `">` + inline("A"+n, "Person "+n) + inline("B"+n, "p"+n+"@example.com") + `</row>`)
	}
	sheet.WriteString(`<row r="502">` + inline("A502", "Bad &bogus; entity") + `</row>`)
	sheet.WriteString(`<row r="503">` + inline("A503", "Never read") + `</row>`)
	path := xlsxWithSheetData(t, sheet.String())
	report := filepath.Join(t.TempDir(), "book.validate.csv")

	sum, err := Validate(context.Background(), ValidateConfig{InputConfig: InputConfig{Path: path, Report: report}})
	if err == nil {
		t.Fatal("no error for a damaged workbook")
	}
	if IsInputError(err) {
		t.Errorf("error %v is an input error (found before any row), but 500 rows were read", err)
	}
	if !strings.Contains(err.Error(), "row 502") {
		t.Errorf("error %q does not name row 502", err)
	}
	if sum == nil {
		t.Fatal("no summary")
	}
	if sum.Rows != 500 || sum.Counts[ResultValid] != 500 {
		t.Errorf("summary: %d rows, counts %v; want the 500 rows read before the error, all valid", sum.Rows, sum.Counts)
	}
	if !strings.Contains(sum.Aborted, "after row 501") {
		t.Errorf("summary Aborted = %q, want it to say reading stopped after row 501", sum.Aborted)
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 501 || !strings.HasPrefix(lines[500], "501,valid,") {
		t.Errorf("report has %d lines, last %q; want the header and rows 2 to 501", len(lines), lines[len(lines)-1])
	}
}
