package formats

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// allocDuring returns the bytes allocated while fn runs.
func allocDuring(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestXLSXHugeCellBoundedMemory: a cell far over the 64 KiB limit, inline
// or in the shared strings, costs a row error and memory well below its
// size: the limit applies while the XML is read (D8).
func TestXLSXHugeCellBoundedMemory(t *testing.T) {
	// Under excelize's 16 MiB spool limit, so that a sheet handed to
	// excelize would be read into memory whole.
	const cellSize = 12 << 20
	huge := strings.Repeat("w", cellSize)
	header := `<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c><c r="B1" t="inlineStr"><is><t>notes</t></is></c></row>`
	tests := []struct {
		name, sheet, sst, wantErr string
		maxAlloc                  uint64
	}{
		{
			name:     "inline string",
			sheet:    header + `<row r="2"><c r="A2" t="inlineStr"><is><t>Ada</t></is></c><c r="B2" t="inlineStr"><is><t>` + huge + `</t></is></c></row>`,
			wantErr:  "row 2: notes: cell is 1024 KiB or more; the limit is 64 KiB",
			maxAlloc: cellSize / 2, // the race detector's instrumentation allocates more
		},
		{
			name:     "number value",
			sheet:    header + `<row r="2"><c r="A2" t="inlineStr"><is><t>Ada</t></is></c><c r="B2"><v>` + strings.Repeat("9", cellSize) + `</v></c></row>`,
			wantErr:  "row 2: notes: cell is 1024 KiB or more; the limit is 64 KiB",
			maxAlloc: cellSize / 2, // the race detector's instrumentation allocates more
		},
		{
			name:     "shared string",
			sheet:    header + `<row r="2"><c r="A2" t="inlineStr"><is><t>Ada</t></is></c><c r="B2" t="s"><v>1</v></c></row>`,
			sst:      `<si><t>small</t></si><si><t>` + huge + `</t></si>`,
			wantErr:  "row 2: notes: cell is 1024 KiB or more; the limit is 64 KiB",
			maxAlloc: cellSize / 2, // the race detector's instrumentation allocates more
		},
		{
			name:    "shared string in rich-text runs",
			sheet:   header + `<row r="2"><c r="A2" t="inlineStr"><is><t>Ada</t></is></c><c r="B2" t="s"><v>0</v></c></row>`,
			sst:     `<si>` + strings.Repeat(`<r><t>`+strings.Repeat("w", 1000)+`</t></r>`, cellSize/1000) + `</si>`,
			wantErr: "row 2: notes: cell is 12288 KiB; the limit is 64 KiB",
			// Many small runs: garbage per token as in any sheet, but the
			// string is not kept (that alone would be 3 × its size).
			maxAlloc: cellSize / 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := rawBook(t, tt.sheet+`<row r="3"><c r="A3" t="inlineStr"><is><t>Bob</t></is></c></row>`, tt.sst, "", `<xf numFmtId="0"/>`)
			var rows []Row
			alloc := allocDuring(func() {
				r, err := OpenReader(p, ReaderOptions{})
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				rows = readAll(t, r)
			})
			checkRows(t, rows, []wantRow{
				{num: 2, wantErr: tt.wantErr},
				{num: 3, cells: []string{"Bob", ""}},
			})
			if alloc > tt.maxAlloc {
				t.Errorf("reading allocated %d MiB for a %d MiB cell; want well below its size", alloc>>20, cellSize>>20)
			}
			t.Logf("allocated %d KiB", alloc>>10)
		})
	}
}

// TestXLSXCutTextEdges: the cut of an over-long text lands between whole
// characters and whole entity references (the cell is then a row error,
// the sheet still readable); constructs that cutting could change (CDATA,
// comments) are bounded by a fatal error instead, never by lost rows.
func TestXLSXCutTextEdges(t *testing.T) {
	header := `<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c></row>`
	bob := `<row r="3"><c r="A3" t="inlineStr"><is><t>Bob</t></is></c></row>`
	cell := func(text string) string {
		return header + `<row r="2"><c r="A2" t="inlineStr"><is><t>` + text + `</t></is></c></row>` + bob
	}
	n := 2 * xmlTextLimit
	tests := []struct {
		name, sheet string
		wantErr     string // row 2's error; "" with wantFatal
		cut         bool   // row 2's error says the cell was not read to its end
		wantFatal   string
	}{
		{name: "two-byte runes", sheet: cell(strings.Repeat("é", n/2)), wantErr: "row 2: name: cell is ", cut: true},
		{name: "three-byte runes", sheet: cell(strings.Repeat("€", n/3)), wantErr: "row 2: name: cell is ", cut: true},
		{name: "entities", sheet: cell(strings.Repeat("&amp;", n/5)), wantErr: "row 2: name: cell is ", cut: true},
		{name: "numeric entities", sheet: cell("x" + strings.Repeat("&#x20AC;", n/8)), wantErr: "row 2: name: cell is ", cut: true},
		{name: "long but under the cut", sheet: cell(strings.Repeat("&quot;", 70<<10)), wantErr: "row 2: name: cell is 70 KiB; the limit is 64 KiB"},
		{name: "huge CDATA", sheet: header + `<row r="2"><c r="A2" t="inlineStr"><is><t><![CDATA[` + strings.Repeat("<a>", 2<<20) + `]]></t></is></c></row>` + bob, wantFatal: "over 4 MiB"},
		{name: "huge comment", sheet: header + `<!--` + strings.Repeat("w", 5<<20) + `-->` + `<row r="2"><c r="A2" t="inlineStr"><is><t>Ada</t></is></c></row>` + bob, wantFatal: "over 4 MiB"},
		{name: "huge attribute", sheet: header + `<row r="2" x="` + strings.Repeat("w", 5<<20) + `"><c r="A2" t="inlineStr"><is><t>Ada</t></is></c></row>` + bob, wantFatal: "over 4 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := OpenReader(rawBook(t, tt.sheet, "", "", `<xf numFmtId="0"/>`), ReaderOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			var rows []Row
			var fatal error
			for {
				row, err := r.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					fatal = err
					break
				}
				rows = append(rows, row)
			}
			if tt.wantFatal != "" {
				if fatal == nil || !strings.Contains(fatal.Error(), tt.wantFatal) || !strings.Contains(fatal.Error(), "row ") {
					t.Fatalf("fatal error = %v, want one naming the row and saying %q", fatal, tt.wantFatal)
				}
				return
			}
			if fatal != nil {
				t.Fatalf("fatal error %v", fatal)
			}
			checkRows(t, rows, []wantRow{{num: 2, wantErr: tt.wantErr}, {num: 3, cells: []string{"Bob"}}})
			if tt.cut && !strings.Contains(rows[0].Err.Error(), "KiB or more; the limit is 64 KiB") {
				t.Errorf("row 2: error %q does not say the cell was cut", rows[0].Err)
			}
		})
	}
}

// TestXLSXRowNumbersFromSheet: Row.Num is the sheet's own row number (the
// r attribute), for rows stored out of order or with gaps; a row without
// one follows the previous row; a number used twice is a row error (D18).
func TestXLSXRowNumbersFromSheet(t *testing.T) {
	row := func(r, name string) string {
		attr := ""
		if r != "" {
			attr = ` r="` + r + `"`
		}
		return `<row` + attr + `><c t="inlineStr"><is><t>` + name + `</t></is></c></row>`
	}
	sheet := row("2", "name") + row("6", "Ada") + row("3", "Bob") + row("", "Cy") + row("10", "Dee") + row("", "Eve") +
		row("9", "") + row("4", "Fay") + row("junk", "Gus") + row("6", "Hal")
	r, err := OpenReader(rawBook(t, sheet, "", "", `<xf numFmtId="0"/>`), ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	checkRows(t, readAll(t, r), []wantRow{
		{num: 6, cells: []string{"Ada"}},
		{num: 3, cells: []string{"Bob"}},
		{num: 4, cells: []string{"Cy"}},
		{num: 10, cells: []string{"Dee"}},
		{num: 11, cells: []string{"Eve"}},
		{num: 4, cells: []string{"Fay"}, wantErr: "row 4: the sheet holds a second row numbered 4"},
		{num: 5, cells: []string{"Gus"}},
		{num: 6, cells: []string{"Hal"}, wantErr: "row 6: the sheet holds a second row numbered 6"},
	})
}

// TestXLSXFormulaWithoutResult: a formula cell without a saved result (as
// openpyxl and pandas write them) is a row error naming the cell; one with
// a saved result reads as that result. openpyxl writes an empty <v></v>
// (or <v/>) under the formula: that is no result either; a spreadsheet's
// calculated empty text (t="str" with an empty <v>) is a blank cell.
func TestXLSXFormulaWithoutResult(t *testing.T) {
	sheet := `<row r="1"><c r="A1" t="inlineStr"><is><t>email</t></is></c><c r="B1" t="inlineStr"><is><t>name</t></is></c><c r="C1" t="inlineStr"><is><t>value</t></is></c></row>` +
		`<row r="2"><c r="A2" t="inlineStr"><is><t>ada@example.com</t></is></c><c r="B2" t="str"><f>"Ada"&amp;" L"</f><v>Ada L</v></c><c r="C2"><f>1+1</f><v>2</v></c></row>` +
		`<row r="5"><c r="A5" t="inlineStr"><is><t>bob@example.com</t></is></c><c r="B5"><f>A1+1</f></c></row>` +
		`<row r="6"><c r="C6"><f t="shared" ref="C6:C7" si="0">A6*2</f></c></row>` +
		`<row r="7"><c r="A7" t="inlineStr"><is><t>cy@example.com</t></is></c><c r="C7"><f t="shared" si="0"/><v>14</v></c></row>` +
		`<row r="8"><c r="A8" t="inlineStr"><is><t>dee@example.com</t></is></c><c r="B8"><f>CONCAT("D","ee")</f><v></v></c></row>` +
		`<row r="9"><c r="A9" t="inlineStr"><is><t>eve@example.com</t></is></c><c r="C9"><f>1+1</f><v/></c></row>` +
		`<row r="10"><c r="A10" t="inlineStr"><is><t>fay@example.com</t></is></c><c r="B10" t="str"><f>IF(1,"","x")</f><v></v></c></row>`
	r, err := OpenReader(rawBook(t, sheet, "", "", `<xf numFmtId="0"/>`), ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	checkRows(t, readAll(t, r), []wantRow{
		{num: 2, cells: []string{"ada@example.com", "Ada L", "2"}},
		{num: 5, wantErr: "row 5: name: cell B5 is a formula with no saved result: open and save the file in a spreadsheet program, or export it as CSV"},
		{num: 6, wantErr: "row 6: value: cell C6 is a formula with no saved result"},
		{num: 7, cells: []string{"cy@example.com", "", "14"}},
		{num: 8, wantErr: "row 8: name: cell B8 is a formula with no saved result"},
		{num: 9, wantErr: "row 9: value: cell C9 is a formula with no saved result"},
		{num: 10, cells: []string{"fay@example.com", "", ""}},
	})
}

// TestXLSXPhoneNumbersWarnOnce: a phone column stored as numbers (as
// LibreOffice makes of 0932092373) gets one warning naming the column; a
// phone column stored as text and other number columns get none.
func TestXLSXPhoneNumbersWarnOnce(t *testing.T) {
	s := func(ref, v string) string { return `<c r="` + ref + `" t="inlineStr"><is><t>` + v + `</t></is></c>` }
	n := func(ref, v string) string { return `<c r="` + ref + `"><v>` + v + `</v></c>` }
	sheet := `<row r="1">` + s("A1", "name") + s("B1", "Phone Number") + s("C1", "mobile") + s("D1", "value") + `</row>` +
		`<row r="2">` + s("A2", "Ada") + n("B2", "932092373") + s("C2", "+34 600") + n("D2", "12") + `</row>` +
		`<row r="3">` + s("A3", "Bob") + n("B3", "18001234567") + s("C3", "0600") + n("D3", "13") + `</row>` +
		`<row r="4">` + s("A4", "Cy") + s("B4", "+44 20 7946") + `</row>`
	var warnings []string
	r, err := OpenReader(rawBook(t, sheet, "", "", `<xf numFmtId="0"/>`), ReaderOptions{
		Warn: func(m string) { warnings = append(warnings, m) },
		// The caller's hook (batch/customer.TextColumn in aivabatch).
		TextColumn: func(name string) string {
			if name == "Phone Number" {
				return "phone numbers"
			}
			return ""
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	checkRows(t, readAll(t, r), []wantRow{
		{num: 2, cells: []string{"Ada", "932092373", "+34 600", "12"}},
		{num: 3, cells: []string{"Bob", "18001234567", "0600", "13"}},
		{num: 4, cells: []string{"Cy", "+44 20 7946", "", ""}},
	})
	want := `the column "Phone Number" of sheet "S" holds phone numbers stored as numbers (the first in cell B2): leading zeros and + may already be lost; format the column as text`
	if len(warnings) != 1 || !strings.HasPrefix(warnings[0], want) {
		t.Errorf("warnings = %q, want one starting %q", warnings, want)
	}
}

// TestOtherSheetsCount: the other-sheets notice counts a sheet by a
// bounded scan (never past otherSheetScan+1 rows), unless its <dimension>
// declares more rows than that, which is taken without reading its rows.
// A one-cell dimension (excelize's stream writer) is not trusted.
func TestOtherSheetsCount(t *testing.T) {
	defer func(n int) { otherSheetScan = n }(otherSheetScan)
	otherSheetScan = 3
	rows := func(n int) [][]any {
		out := [][]any{{"name", "email"}}
		for i := 1; i < n; i++ {
			out = append(out, []any{fmt.Sprint("P", i), fmt.Sprintf("p%d@example.com", i)})
		}
		return out
	}
	f := excelize.NewFile()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.SetSheetName("Sheet1", "First"))
	for _, sh := range []struct {
		name string
		n    int
	}{{"First", 2}, {"Small", 3}, {"Declared", 6}, {"Blank", 0}} {
		name, n := sh.name, sh.n
		if name != "First" {
			_, err := f.NewSheet(name)
			must(err)
		}
		for i, row := range rows(n) {
			if n == 0 {
				break
			}
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			must(f.SetSheetRow(name, cell, &row))
		}
	}
	// excelize declares "A1" unless told, as Excel would declare it.
	must(f.SetSheetDimension("Declared", "A1:B6"))
	// Streamed: excelize leaves its dimension at A1, so 5 rows are
	// scanned, and the scan stops past 3.
	sw, err := func() (*excelize.StreamWriter, error) {
		if _, err := f.NewSheet("Streamed"); err != nil {
			return nil, err
		}
		return f.NewStreamWriter("Streamed")
	}()
	must(err)
	for i, row := range rows(5) {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		must(sw.SetRow(cell, row))
	}
	must(sw.Flush())
	p := filepath.Join(t.TempDir(), "book.xlsx")
	must(f.SaveAs(p))
	f.Close()

	var warnings []string
	r, err := OpenReader(p, ReaderOptions{Warn: func(m string) { warnings = append(warnings, m) }})
	must(err)
	r.Close()
	want := `only the first sheet "First" was read; the workbook has other sheets with data: "Small" (3 rows, the header included), "Declared" (about 6 rows, by the size the sheet declares), "Streamed" (more than 3 rows); read one with the sheet option NAME`
	if len(warnings) != 1 || !strings.HasPrefix(warnings[0], want) {
		t.Errorf("warnings = %q\nwant one starting %q", warnings, want)
	}

	warnings = nil
	r, err = OpenReader(p, ReaderOptions{Sheet: "small", Warn: func(m string) { warnings = append(warnings, m) }})
	must(err)
	r.Close()
	if len(warnings) != 0 {
		t.Errorf("with --sheet: warnings %q, want none", warnings)
	}
	if got := SheetName(p, " declared "); got != "Declared" {
		t.Errorf("SheetName = %q, want the workbook's spelling Declared", got)
	}
}

func TestSafeFileName(t *testing.T) {
	for in, want := range map[string]string{
		"Sheet2":                 "Sheet2",
		"Q1 list <EU>":           "Q1_list__EU_",
		"../../etc":              "_.._etc",
		"..":                     "sheet",
		"Kunden 2024/ä":          "Kunden_2024_ä",
		"a\x00b":                 "a_b",
		"":                       "sheet",
		strings.Repeat("x", 100): strings.Repeat("x", 64),
	} {
		if got := SafeFileName(in); got != want {
			t.Errorf("SafeFileName(%q) = %q, want %q", in, got, want)
		}
	}
}
