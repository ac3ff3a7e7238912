package formats

import (
	"archive/zip"
	"bytes"
	"hash/crc32"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestXLSXLibreOffice(t *testing.T) {
	r, err := OpenReader("testdata/crm-export-libreoffice.xlsx", ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	wantHeader := []string{"Customer Name", "E-mail Address", "Phone Number", "Status", "Type", "Lifetime Value", "Auto Payment", "Customer Since", "Notes"}
	if !reflect.DeepEqual(r.Header(), wantHeader) {
		t.Errorf("Header = %q", r.Header())
	}
	checkRows(t, readAll(t, r), []wantRow{
		{num: 2, cells: []string{"Jane Smith", "jane@example.com", "18001234567", "Active", "individual", "1250.5", "true", "2024-01-15", "Enterprise account"}},
		{num: 3, cells: []string{"José Álvarez", "jose.alvarez@example.es", "+34 912 345 678", "inactive", "business", "0", "false", "2023-11-02", ""}},
		{num: 4, cells: []string{"Zoë Müller", "zoe.mueller@example.de", "4930123456", "blocked", "individual", "99.99", "true", "2022-06-30", "Prefers email, not phone"}},
		{num: 5, cells: []string{"Li Wei", "li.wei@example.cn", "8613800138000", "active", "individual", "3400", "false", "2025-03-09", "VIP"}},
		{num: 6},
		{num: 7, cells: []string{"O'Brien Patrick", "patrick.obrien@example.ie", "(01) 555 0123", "active", "individual", "", "false", "2020-02-29", "Leap day signup"}},
		{num: 8},
		{num: 9},
	})
}

// excelizeBook writes a workbook built by fill to a test file.
func excelizeBook(t *testing.T, fill func(f *excelize.File)) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	fill(f)
	p := filepath.Join(t.TempDir(), "book.xlsx")
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestXLSXTypedCells(t *testing.T) {
	p := excelizeBook(t, func(f *excelize.File) {
		f.SetSheetName("Sheet1", "Data")
		// Row 1 is left empty: the header is the first non-empty row.
		set := func(cell string, v any) {
			if err := f.SetCellValue("Data", cell, v); err != nil {
				t.Fatal(err)
			}
		}
		for i, h := range []string{"name", " phone ", "value", "autoPayment", "notes"} {
			c, _ := excelize.CoordinatesToCellName(i+1, 2)
			set(c, h)
		}
		set("A3", "Ada")
		set("B3", 18001234567)
		set("C3", 1234.5)
		set("D3", true)
		set("A4", "Bob")
		set("B4", 18001234567.0)
		set("C4", 0.1+0.2)
		set("D4", false)
		set("E4", "=not a formula")
		// Row 5 empty, row 6 only a first cell.
		set("A6", "Cy")
		set("A7", "Dee")
		set("G7", "stray")
		f.NewSheet("Other")
		f.SetCellValue("Other", "A1", "email")
		f.SetCellValue("Other", "A2", "x@example.com")
	})
	r, err := OpenReader(p, ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"name", "phone", "value", "autoPayment", "notes"}; !reflect.DeepEqual(r.Header(), want) {
		t.Errorf("Header = %q, want %q", r.Header(), want)
	}
	checkRows(t, readAll(t, r), []wantRow{
		{num: 3, cells: []string{"Ada", "18001234567", "1234.5", "true", ""}},
		{num: 4, cells: []string{"Bob", "18001234567", "0.3", "false", "=not a formula"}},
		{num: 6, cells: []string{"Cy", "", "", "", ""}},
		{num: 7, cells: []string{"Dee", "", "", "", ""}, wantErr: "row 7: has a value in column G, which has no header"},
	})
	r.Close()

	r, err = OpenReader(p, ReaderOptions{Sheet: "other"})
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, readAll(t, r), []wantRow{{num: 2, cells: []string{"x@example.com"}}})
	r.Close()

	_, err = OpenReader(p, ReaderOptions{Sheet: "Customers"})
	if err == nil || !strings.Contains(err.Error(), `no sheet named "Customers"; its sheets are "Data", "Other"; give one of them with the sheet option`) {
		t.Errorf("err = %v", err)
	}
}

// rawBook writes a minimal workbook around the given sheet XML (the
// <sheetData> content), shared strings and cellXfs, to control exactly
// what a cell holds.
func rawBook(t *testing.T, sheetData, sst, numFmts, cellXfs string) string {
	t.Helper()
	parts := map[string]string{
		"[Content_Types].xml":        `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>`,
		"_rels/.rels":                `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml":            `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`,
		"xl/worksheets/sheet1.xml":   `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` + sheetData + `</sheetData></worksheet>`,
		"xl/sharedStrings.xml":       `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` + sst + `</sst>`,
		"xl/styles.xml":              `<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts>` + numFmts + `</numFmts><fonts count="1"><font/></fonts><fills count="1"><fill/></fills><borders count="1"><border/></borders><cellXfs>` + cellXfs + `</cellXfs></styleSheet>`,
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range parts {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return writeTemp(t, "raw.xlsx", buf.Bytes())
}

func TestXLSXRawCells(t *testing.T) {
	sheet := `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>b</t></is></c><c t="str"><v>c</v></c><c r="D1" t="s"><v>1</v></c><c r="E1" t="s"><v>2</v></c></row>` +
		`<row r="2"><c r="A2"><v>1.8001234567E10</v></c><c r="B2" t="inlineStr"><is><r><t>rich </t></r><r><t>text</t></r></is></c><c r="C2" t="e"><v>#N/A</v></c><c r="D2" s="1"><v>45306.5</v></c><c r="E2" s="2"><v>45306</v></c></row>` +
		`<row r="3"><c r="A3"><v>-0.0</v></c><c r="B3" t="s"><v>3</v></c><c r="C3" t="str"><f>A1</f><v>from formula</v></c><c r="D3" s="1"><v>0.25</v></c><c r="E3" s="3"><v>12.5</v></c></row>` +
		`<row r="4"><c r="A4" t="s"><v>99</v></c></row>`
	sst := `<si><t>a</t></si><si><t>d</t></si><si><r><t>e</t></r><rPh><t>phonetic</t></rPh></si><si><t>line_x000D_break _x005F_x0041_</t></si>`
	numFmts := `<numFmt numFmtId="164" formatCode="yyyy\-mm\-dd"/><numFmt numFmtId="165" formatCode="&quot;days&quot;0.0"/>`
	xfs := `<xf numFmtId="0"/><xf numFmtId="22"/><xf numFmtId="164"/><xf numFmtId="165"/>`
	r, err := OpenReader(rawBook(t, sheet, sst, numFmts, xfs), ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if want := []string{"a", "b", "c", "d", "e"}; !reflect.DeepEqual(r.Header(), want) {
		t.Errorf("Header = %q, want %q", r.Header(), want)
	}
	checkRows(t, readAll(t, r), []wantRow{
		{num: 2, cells: []string{"18001234567", "rich text", "#N/A", "2024-01-15T12:00:00", "2024-01-15"}},
		{num: 3, cells: []string{"0", "line\rbreak _x0041_", "from formula", "06:00:00", "12.5"}},
		{num: 4, cells: []string{"", "", "", "", ""}, wantErr: "a: the cell refers to shared string \"99\""},
	})
}

func TestFormatNumber(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"18001234567", "18001234567"},
		{"1.8001234567E10", "18001234567"},
		{"18001234567.0", "18001234567"},
		{"0.30000000000000004", "0.3"},
		{"1234.5", "1234.5"},
		{"-3", "-3"},
		{"1E-7", "0.0000001"},
		{"12345678901234567890", "12345678901234567890"},
		{"007", "7"},
		{"abc", "abc"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			if got := formatNumber([]byte(tt.raw)); got != tt.want {
				t.Errorf("formatNumber(%q) = %q, want %q", tt.raw, got, tt.want)
			}
		})
	}
}

func TestXLSXOpenErrors(t *testing.T) {
	// A zip whose directory declares more than the unzip limit: refused
	// before anything is inflated.
	var bomb bytes.Buffer
	zw := zip.NewWriter(&bomb)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Store, CRC32: crc32.ChecksumIEEE([]byte("x")), CompressedSize64: 1, UncompressedSize64: 2 << 30})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("x"))
	zw.Close()

	tests := []struct {
		name    string
		path    string
		opts    ReaderOptions
		wantErr string
	}{
		{name: "zip bomb", path: writeTemp(t, "bomb.xlsx", bomb.Bytes()), wantErr: "the workbook unpacks to more than 1024 MiB, the limit (it may be a zip bomb)"},
		{name: "not a zip", path: writeTemp(t, "text.xlsx", []byte("name,email\n")), wantErr: "not an XLSX workbook (it is not a zip archive)"},
		{name: "old xls", path: writeTemp(t, "old.xlsx", []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0}), wantErr: "password-protected workbook or an old .xls"},
		{name: "empty sheet", path: excelizeBook(t, func(*excelize.File) {}), wantErr: `sheet "Sheet1" is empty: it has no header row`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := OpenReader(tt.path, tt.opts)
			if err == nil {
				r.Close()
				t.Fatalf("no error, want %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %q, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestXLSXTempFilesRemoved(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	old := xlsxSpoolLimit
	xlsxSpoolLimit = 1 // make excelize spool every sheet to a temporary file
	defer func() { xlsxSpoolLimit = old }()

	data, err := os.ReadFile("testdata/crm-export-libreoffice.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	var spooled []string
	for _, stream := range []bool{false, true} {
		var r RowReader
		if stream {
			r, err = NewReader(onlyReader{bytes.NewReader(data)}, ReaderOptions{Format: FormatXLSX})
		} else {
			r, err = OpenReader("testdata/crm-export-libreoffice.xlsx", ReaderOptions{})
		}
		if err != nil {
			t.Fatal(err)
		}
		if stream {
			entries, _ := os.ReadDir(tmp)
			for _, e := range entries {
				spooled = append(spooled, e.Name())
			}
		}
		if rows := readAll(t, r); len(rows) != 8 {
			t.Errorf("stream=%v: got %d rows", stream, len(rows))
		}
		if err := r.Close(); err != nil {
			t.Error(err)
		}
		entries, _ := os.ReadDir(tmp)
		if len(entries) != 0 {
			t.Errorf("stream=%v: temporary files left: %v", stream, entries)
		}
	}
	if len(spooled) != 1 {
		t.Errorf("while reading a stream, temp dir held %q, want the one spooled copy", spooled)
	}
	// A stream that is not a workbook leaves nothing behind either.
	if _, err := NewReader(strings.NewReader("not a zip"), ReaderOptions{Format: FormatXLSX}); err == nil {
		t.Error("no error for a text stream")
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("temporary files left after a failed open: %v", entries)
	}
}

func TestXLSXLimits(t *testing.T) {
	cell := func(ref string, n int) string {
		return `<c r="` + ref + `" t="inlineStr"><is><t>` + strings.Repeat("w", n) + `</t></is></c>`
	}
	var wide strings.Builder
	wide.WriteString(`<row r="3">`)
	for i := 1; i <= 20; i++ {
		ref, _ := excelize.CoordinatesToCellName(1+i%2, 3) // 20 cells in two columns
		wide.WriteString(cell(ref, 60<<10))
	}
	wide.WriteString(`</row>`)
	sheet := `<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c><c r="B1" t="inlineStr"><is><t>notes</t></is></c></row>` +
		`<row r="2">` + cell("A2", 3) + cell("B2", 70<<10) + `</row>` + wide.String() +
		`<row r="4">` + cell("A4", 3) + `</row>`
	r, err := OpenReader(rawBook(t, sheet, "", "", `<xf numFmtId="0"/>`), ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	checkRows(t, readAll(t, r), []wantRow{
		{num: 2, wantErr: "notes: cell is 70 KiB; the limit is 64 KiB"},
		{num: 3, wantErr: "row 3: the row is longer than 1 MiB"},
		{num: 4, cells: []string{"www", ""}},
	})
}
