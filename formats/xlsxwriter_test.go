package formats

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// writeXLSX writes rows with this package's XLSX writer and returns the
// file.
func writeXLSX(t testing.TB, opts WriterOptions, rows [][]string) []byte {
	t.Helper()
	opts.Format = FormatXLSX
	if opts.Sheet == "" {
		opts.Sheet = "Customers" // as export names it
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	return buf.Bytes()
}

func openExcelize(t *testing.T, data []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestXLSXWriterExcelize(t *testing.T) {
	long := strings.Repeat("é", excelize.TotalCellChars-1) + "😀" // the emoji does not fit
	rows := [][]string{
		{"c1", "12.5", "true", "2024-01-15T10:30:00Z", "Ada <a&b> \"q\" 'a'"},
		{"c2", "-3", "FALSE", "2024-01-15T12:30:00+02:00", " lead and trail\t"},
		{"c3", "+0.25", " true ", "2023-11-02T00:00:00.25Z", "tab\there\nnew line\r\ncrlf"},
		{"c4", "1,234.50", "yes", "yesterday", "ctl\x01\x1f bad\xffutf8 \uFFFE ok\u00a0"},
		{"c5", "", "", "", "_x0041_ and _x005F_ stay literal"},
		{"c6", "12345678901234567", "true", "1800-01-01T00:00:00Z", long},
		{"c7", "1e3", "false", "2024-02-29T23:59:59.999Z", "]]> 😀"},
	}
	header := []string{"id", "value", "autoPayment", "createdAt", "notes"}
	types := []ColumnType{ColumnText, ColumnNumber, ColumnBool, ColumnTime, ColumnText}
	data := writeXLSX(t, WriterOptions{Header: header, Types: types, Styled: true}, rows)
	f := openExcelize(t, data)

	if got := f.GetSheetList(); !reflect.DeepEqual(got, []string{"Customers"}) {
		t.Fatalf("sheets %q", got)
	}
	got, err := f.GetRows("Customers", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		header,
		{"c1", "12.5", "1", "45306.4375", `Ada <a&b> "q" 'a'`},
		{"c2", "-3", "0", "45306.4375", " lead and trail\t"},
		{"c3", "0.25", "1", "45232.00000289352", "tab\there\nnew line\r\ncrlf"},
		{"c4", "1,234.50", "yes", "yesterday", "ctl\uFFFD\uFFFD bad\uFFFDutf8 \uFFFD ok\u00a0"},
		{"c5", "", "", "", "_x0041_ and _x005F_ stay literal"},
		{"c6", "12345678901234567", "1", "1800-01-01T00:00:00Z", strings.Repeat("é", excelize.TotalCellChars-1)},
		{"c7", "1000", "0", "45351.999999988424", "]]> 😀"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d", len(got), len(want))
	}
	for i := range want {
		for len(got[i]) < len(want[i]) {
			got[i] = append(got[i], "")
		}
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("row %d:\n got %q\nwant %q", i+1, got[i], want[i])
		}
	}

	types2 := map[string]excelize.CellType{
		"A2": excelize.CellTypeInlineString, "B2": excelize.CellTypeUnset, "C2": excelize.CellTypeBool, "D2": excelize.CellTypeUnset,
		"B5": excelize.CellTypeInlineString, "C5": excelize.CellTypeInlineString, "D5": excelize.CellTypeInlineString,
	}
	for cell, want := range types2 {
		// excelize reports a number cell (no t attribute) as unset.
		if got, err := f.GetCellType("Customers", cell); err != nil || got != want {
			t.Errorf("GetCellType(%s) = %v, %v; want %v", cell, got, err, want)
		}
	}
	for cell, want := range map[string]string{"B2": "12.5", "D2": "2024-01-15 10:30:00", "D3": "2024-01-15 10:30:00", "C2": "TRUE"} {
		if got, err := f.GetCellValue("Customers", cell); err != nil || got != want {
			t.Errorf("GetCellValue(%s) = %q, %v; want %q", cell, got, err, want)
		}
	}
	// Date cells carry the date-time format; the header is bold.
	ds, _ := f.GetCellStyle("Customers", "D2")
	if st, err := f.GetStyle(ds); err != nil || st.CustomNumFmt == nil || *st.CustomNumFmt != "yyyy-mm-dd hh:mm:ss" {
		t.Errorf("D2 style %d: %+v, %v", ds, st, err)
	}
	hs, _ := f.GetCellStyle("Customers", "A1")
	if st, err := f.GetStyle(hs); err != nil || st.Font == nil || !st.Font.Bold {
		t.Errorf("A1 style %d: %+v, %v", hs, st, err)
	}
	if ds, _ := f.GetCellStyle("Customers", "A2"); ds != 0 {
		t.Errorf("A2 style %d, want 0", ds)
	}

	panes, err := f.GetPanes("Customers")
	if err != nil || !panes.Freeze || panes.YSplit != 1 || panes.TopLeftCell != "A2" || panes.ActivePane != "bottomLeft" {
		t.Errorf("panes %+v, %v", panes, err)
	}
	names := f.GetDefinedName()
	if len(names) != 1 || names[0].Name != "_xlnm._FilterDatabase" || names[0].RefersTo != "'Customers'!$A$1:$E$8" || names[0].Scope != "Customers" {
		t.Errorf("defined names %+v", names)
	}
	if w, err := f.GetColWidth("Customers", "A"); err != nil || w != 8 {
		t.Errorf("width A = %v, %v", w, err)
	}
	if w, err := f.GetColWidth("Customers", "E"); err != nil || w != 60 {
		t.Errorf("width E = %v, %v", w, err)
	}
	if sheet := zipPart(t, data, "xl/worksheets/sheet1.xml"); !strings.Contains(sheet, `<autoFilter ref="$A$1:$E$8">`) {
		t.Errorf("no autofilter in\n%.2000s", sheet)
	}

	// The project's reader gives back what was written, dates as ISO
	// 8601 without zone (UTC).
	r, err := NewReader(bytes.NewReader(data), ReaderOptions{Format: FormatXLSX})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	checkRows(t, readAll(t, r), []wantRow{
		{num: 2, cells: []string{"c1", "12.5", "true", "2024-01-15T10:30:00", `Ada <a&b> "q" 'a'`}},
		{num: 3, cells: []string{"c2", "-3", "false", "2024-01-15T10:30:00", " lead and trail\t"}},
		{num: 4, cells: []string{"c3", "0.25", "true", "2023-11-02", "tab\there\nnew line\r\ncrlf"}},
		{num: 5, cells: []string{"c4", "1,234.50", "yes", "yesterday", "ctl\uFFFD\uFFFD bad\uFFFDutf8 \uFFFD ok\u00a0"}},
		{num: 6, cells: []string{"c5", "", "", "", "_x0041_ and _x005F_ stay literal"}},
		{num: 7, cells: []string{"c6", "12345678901234567", "true", "1800-01-01T00:00:00Z", strings.Repeat("é", excelize.TotalCellChars-1)}},
		{num: 8, cells: []string{"c7", "1000", "false", "2024-03-01", "]]> 😀"}},
	})
}

func TestXLSXWriterPlain(t *testing.T) {
	// Unstyled: no panes, filter or widths, no bold header; all text.
	data := writeXLSX(t, WriterOptions{Header: []string{"name", "value"}}, [][]string{{"a", "1"}, {"", ""}, {"b", ""}})
	sheet := zipPart(t, data, "xl/worksheets/sheet1.xml")
	for _, bad := range []string{"<pane", "<autoFilter", "<cols>", ` s="`} {
		if strings.Contains(sheet, bad) {
			t.Errorf("unstyled sheet has %s:\n%s", bad, sheet)
		}
	}
	f := openExcelize(t, data)
	if names := f.GetDefinedName(); len(names) != 0 {
		t.Errorf("defined names %+v", names)
	}
	rows, err := f.GetRows("Customers")
	if err != nil || !reflect.DeepEqual(rows, [][]string{{"name", "value"}, {"a", "1"}, nil, {"b"}}) {
		t.Errorf("rows %q, %v", rows, err)
	}
	if typ, _ := f.GetCellType("Customers", "B2"); typ != excelize.CellTypeInlineString {
		t.Errorf("B2 type %v", typ)
	}

	// No rows at all: the header alone, styled or not.
	for _, styled := range []bool{false, true} {
		data := writeXLSX(t, WriterOptions{Header: []string{"_row", "_result"}, Styled: styled, Sheet: "Report"}, nil)
		f := openExcelize(t, data)
		rows, err := f.GetRows("Report")
		if err != nil || !reflect.DeepEqual(rows, [][]string{{"_row", "_result"}}) {
			t.Errorf("styled %v: rows %q, %v", styled, rows, err)
		}
	}
}

func TestXLSXWriterSheetsExcelize(t *testing.T) {
	old := xlsxMaxDataRows
	xlsxMaxDataRows = 150 // past the styled writer's sample
	defer func() { xlsxMaxDataRows = old }()
	header := []string{"id", "n"}
	var rows [][]string
	for i := range 400 {
		rows = append(rows, []string{"r" + strconv.Itoa(i), strconv.Itoa(i)})
	}
	data := writeXLSX(t, WriterOptions{Header: header, Types: []ColumnType{ColumnText, ColumnNumber}, Styled: true}, rows)
	f := openExcelize(t, data)
	if got := f.GetSheetList(); !reflect.DeepEqual(got, []string{"Customers", "Customers 2", "Customers 3"}) {
		t.Fatalf("sheets %q", got)
	}
	next := 0
	for i, sheet := range f.GetSheetList() {
		got, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got[0], header) {
			t.Errorf("%s: header %q", sheet, got[0])
		}
		for _, r := range got[1:] {
			if want := rows[next]; !reflect.DeepEqual(r, want) {
				t.Fatalf("%s: row %q, want %q", sheet, r, want)
			}
			next++
		}
		panes, _ := f.GetPanes(sheet)
		if !panes.Freeze || panes.YSplit != 1 {
			t.Errorf("%s: panes %+v", sheet, panes)
		}
		wantRows := []int{151, 151, 101}[i]
		if len(got) != wantRows {
			t.Errorf("%s: %d rows, want %d", sheet, len(got), wantRows)
		}
	}
	if next != len(rows) {
		t.Errorf("read %d rows, want %d", next, len(rows))
	}
	var refs []string
	for _, n := range f.GetDefinedName() {
		refs = append(refs, n.Scope+" "+n.RefersTo)
	}
	if want := []string{"Customers 'Customers'!$A$1:$B$151", "Customers 2 'Customers 2'!$A$1:$B$151", "Customers 3 'Customers 3'!$A$1:$B$101"}; !reflect.DeepEqual(refs, want) {
		t.Errorf("filters %q", refs)
	}
}

// readXLSXCells writes one column of cells (typed as typ) and returns
// each data cell's raw value and type as excelize reads them.
func readXLSXCells(t *testing.T, typ ColumnType, cells []string) (raw []string, types []excelize.CellType) {
	t.Helper()
	rows := make([][]string, len(cells))
	for i, c := range cells {
		rows[i] = []string{c}
	}
	f := openExcelize(t, writeXLSX(t, WriterOptions{Header: []string{"v"}, Types: []ColumnType{typ}}, rows))
	got, err := f.GetRows("Customers", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range cells {
		v := ""
		if i+1 < len(got) && len(got[i+1]) > 0 {
			v = got[i+1][0]
		}
		typ, err := f.GetCellType("Customers", "A"+strconv.Itoa(i+2))
		if err != nil {
			t.Fatal(err)
		}
		raw, types = append(raw, v), append(types, typ)
	}
	return raw, types
}

// xmlChars is s with what XML 1.0 cannot carry (control characters other
// than tab, LF and CR, U+FFFE, U+FFFF, invalid UTF-8) as U+FFFD.
func xmlChars(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return utf8.RuneError
		}
		return r
	}, s)
}

func TestXLSXWriterText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text", "plain text"},
		{`a<b>&"c'`, `a<b>&"c'`},
		{"tab\tlf\ncr\r", "tab\tlf\ncr\r"},
		{"nul\x00 bell\x07 del\x7f", "nul\uFFFD bell\uFFFD del\x7f"},
		{"bad \xff\xfe utf8 \xe2\x82", "bad \uFFFD\uFFFD utf8 \uFFFD\uFFFD"},
		{"\uFFFE\uFFFF\uFFFD", "\uFFFD\uFFFD\uFFFD"},
		{"surrogate \xed\xa0\x80", "surrogate \uFFFD\uFFFD\uFFFD"},
		{"_x0041_ _x00e9_ _xZZZZ_ _x004_ x_ _x005F_", "_x0041_ _x00e9_ _xZZZZ_ _x004_ x_ _x005F_"},
		{" lead", " lead"},
		{"trail\n", "trail\n"},
		{"Jörg 😀 日本", "Jörg 😀 日本"},
		// Cut at Excel's 32,767 UTF-16 units, never inside a character.
		{strings.Repeat("a", 32767) + "b", strings.Repeat("a", 32767)},
		{strings.Repeat("😀", 32767/2) + "😀", strings.Repeat("😀", 32767/2)},
		{strings.Repeat("日", 32767), strings.Repeat("日", 32767)},
	}
	var in []string
	for _, tt := range tests {
		in = append(in, tt.in)
		if got := xmlChars(tt.in); len(tt.in) < 100 && got != tt.want {
			t.Errorf("xmlChars(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	raw, types := readXLSXCells(t, ColumnText, in)
	for i, tt := range tests {
		if raw[i] != tt.want || types[i] != excelize.CellTypeInlineString {
			t.Errorf("%.40q: read back %.40q (%d bytes, type %v), want %.40q (%d bytes)", tt.in, raw[i], len(raw[i]), types[i], tt.want, len(tt.want))
		}
	}
}

func TestXLSXWriterDates(t *testing.T) {
	tests := []struct {
		in   string
		want float64 // serial; 0: stays text
	}{
		{"2024-01-15T10:30:00Z", 45306.4375},
		{"2024-01-15T12:30:00+02:00", 45306.4375},
		{"2024-01-15T00:00:00Z", 45306},
		{"1900-01-01T00:00:00Z", 1},
		{"1900-02-28T00:00:00Z", 59},
		{"1900-03-01T00:00:00Z", 61}, // Excel counts a phantom 1900-02-29
		{"1899-12-31T06:00:00Z", 0.25},
		{"1899-12-31T00:00:00Z", 0}, // serial 0
		{"1899-12-30T23:59:59Z", 0},
		{"1600-01-01T00:00:00Z", 0},
		{"9999-12-31T23:59:59Z", 2958465.99998842593},
		{"2024-01-15T23:59:59.9999999Z", 45307},
		{"1970-01-01T00:00:00.000001Z", 25569.00000000001},
	}
	rng := rand.New(rand.NewPCG(3, 4))
	lo := time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC).Unix()
	hi := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC).Unix()
	var random []time.Time
	var in []string
	for _, tt := range tests {
		in = append(in, tt.in)
	}
	for range 2000 {
		tm := time.Unix(lo+rng.Int64N(hi-lo), int64(rng.IntN(1e9))).UTC()
		if rng.IntN(2) == 0 {
			tm = tm.Truncate(time.Second)
		}
		random = append(random, tm)
		in = append(in, tm.Format(time.RFC3339Nano))
	}
	raw, types := readXLSXCells(t, ColumnTime, in)
	for i, tt := range tests {
		if tt.want == 0 {
			if raw[i] != tt.in || types[i] != excelize.CellTypeInlineString {
				t.Errorf("%s: %q (type %v), want it as text", tt.in, raw[i], types[i])
			}
			continue
		}
		v, err := strconv.ParseFloat(raw[i], 64)
		if err != nil || types[i] != excelize.CellTypeUnset || math.Abs(v-tt.want) > 1e-9 {
			t.Errorf("%s: serial %q (type %v), want %v", tt.in, raw[i], types[i], tt.want)
		}
	}
	for j, tm := range random {
		i := len(tests) + j
		v, err := strconv.ParseFloat(raw[i], 64)
		if err != nil {
			t.Fatalf("%v: %q: %v", tm, raw[i], err)
		}
		// Exactly (to float64 precision: 30 µs in year 9999) ...
		want := float64(tm.Unix()-excelFirstDate.Unix()+86400) + float64(tm.Nanosecond())/1e9
		if d := v*86400 - want; math.Abs(d) > 50e-6 {
			t.Fatalf("%v: serial %v is %v s off", tm, v, d)
		}
		// ... and as excelize reads it (to the second).
		back, err := excelize.ExcelDateToTime(v, false)
		if err != nil {
			t.Fatal(err)
		}
		if d := back.Sub(tm); d < -time.Second || d > time.Second {
			t.Fatalf("%v: serial %v reads back as %v", tm, v, back)
		}
	}
}

func TestXLSXWriterTimeCells(t *testing.T) {
	// A time column's cell is a date cell exactly when time.Parse takes
	// it as RFC 3339; anything else stays text as written.
	inputs := []string{
		"2024-01-15T10:30:00Z", "2024-01-15T10:30:00.123Z", "2024-01-15T10:30:00.123456789Z",
		"2024-01-15T10:30:00.1234567891Z", "2024-01-15T10:30:00+02:00", "2024-01-15T10:30:00.5-05:30",
		"2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2000-02-29T00:00:00Z",
		"2024-04-31T00:00:00Z", "2024-13-01T00:00:00Z", "2024-00-01T00:00:00Z", "2024-01-00T00:00:00Z",
		"2024-01-15T24:00:00Z", "2024-01-15T23:60:00Z", "2024-01-15T23:59:60Z", "2024-01-15t10:30:00z",
		"2024-01-15 10:30:00Z", "2024-01-15T10:30:00", "2024-01-15T10:30:00+2:00", "2024-01-15T10:30:00+24:00",
		"2024-01-15T10:30:00+23:59", "2024-01-15T10:30:00-00:00", "2024-01-15T10:30:00.Z", "2024-01-15T10:30:00,5Z",
		"+024-01-15T10:30:00Z", "9999-12-31T23:59:59.999999999Z", "2024-1-15T10:30:00Z",
		"2024-01-15T10:30:00Z ", " 2024-01-15T10:30:00Z", "2024-01-15T10:30:00ZZ", "2024-01-15T1a:30:00Z",
		"2024-01-15T10:30:00+02:0a", "now",
	}
	raw, types := readXLSXCells(t, ColumnTime, inputs)
	for i, s := range inputs {
		_, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
		isDate := types[i] == excelize.CellTypeUnset
		if isDate != (err == nil) {
			t.Errorf("%q: date cell %v (raw %q), time.Parse err %v", s, isDate, raw[i], err)
		}
		if !isDate && raw[i] != s {
			t.Errorf("%q: text cell %q", s, raw[i])
		}
	}
}

func TestXLSXWriterNumberCells(t *testing.T) {
	inputs := []string{"0", "-0", "12.5", "1234.50", "-3", "0.000001", "123456789012345", "1.23456789012345", "0.123456789012345",
		"1e3", "+0.25", "007", ".5", "5.", "1E-7", "1234567890123456", "0.1234567890123456", "1e400", "-", "1,234.50", "0x10", "NaN", "Inf", "1.2.3", "--1", "1e", "12a"}
	raw, types := readXLSXCells(t, ColumnNumber, inputs)
	for i, s := range inputs {
		want, ok := parseNumber(s)
		if !ok {
			if types[i] != excelize.CellTypeInlineString || raw[i] != s {
				t.Errorf("%q: %q (type %v), want it as text", s, raw[i], types[i])
			}
			continue
		}
		got, err := strconv.ParseFloat(raw[i], 64)
		if types[i] != excelize.CellTypeUnset || err != nil || got != want {
			t.Errorf("%q: %q (type %v), want the number %v", s, raw[i], types[i], want)
		}
	}
}

// failAfter fails every write after n bytes.
type failAfter struct{ n int }

func (f *failAfter) Write(p []byte) (int, error) {
	if f.n -= len(p); f.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestXLSXWriterWriteError(t *testing.T) {
	pool := customerPool(256)
	w, err := NewWriter(&failAfter{n: 100000}, WriterOptions{Format: FormatXLSX, Header: exportHeader, Types: exportTypes, Styled: true})
	if err != nil {
		t.Fatal(err)
	}
	var werr error
	for i := 0; i < 200000 && werr == nil; i++ {
		werr = w.Write(pool[i%len(pool)])
	}
	cerr := w.Close()
	if werr == nil && cerr == nil {
		t.Error("no error")
	}
	for _, err := range []error{werr, cerr} {
		if err != nil && !strings.Contains(err.Error(), "disk full") {
			t.Errorf("error %v", err)
		}
	}
}

func TestXLSXWriterFlatMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 300,000 rows")
	}
	pool := customerPool(1024)
	var peak uint64
	var cw countingWriter
	w, err := NewWriter(&cw, WriterOptions{Format: FormatXLSX, Header: exportHeader, Types: exportTypes, Styled: true})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var m runtime.MemStats
	for i := range 300_000 {
		if err := w.Write(pool[i%len(pool)]); err != nil {
			t.Fatal(err)
		}
		if i%20000 == 0 {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// excelize holds up to 16 MiB of sheet XML (in a buffer that may
	// have grown to twice that) before it moves it to its temporary
	// file; the 300,000 rows are some 200 MiB of XML.
	if peak > 64<<20 {
		t.Errorf("heap in use peaked at %d MiB", peak>>20)
	}
	if cw < 1<<20 {
		t.Errorf("only %d bytes written", cw)
	}
}

// TestXLSXWriterLibreOffice converts a written workbook to CSV with
// LibreOffice, when XLSX_LIBREOFFICE=1 and soffice is installed.
func TestXLSXWriterLibreOffice(t *testing.T) {
	if os.Getenv("XLSX_LIBREOFFICE") != "1" {
		t.Skip("set XLSX_LIBREOFFICE=1 to run LibreOffice")
	}
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		t.Skip("no soffice")
	}
	pool := customerPool(2000)
	rows := append(pool, []string{"_x0041_ <&>", " lead", "a\tb", "Jörg 😀", "x@example.com", "+1 (800) 123-4567", "active", "individual", "+0.25", "TRUE", "ctl\x01", "2024-01-15T12:30:00+02:00", "not a time"})
	dir := t.TempDir()
	p := filepath.Join(dir, "out.xlsx")
	if err := os.WriteFile(p, writeXLSX(t, WriterOptions{Header: exportHeader, Types: exportTypes, Styled: true}, rows), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(soffice, "-env:UserInstallation=file://"+filepath.Join(dir, "profile"), "--headless",
		"--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1", "--outdir", dir, p)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	f, err := os.Open(filepath.Join(dir, "out.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(rows)+1 || !reflect.DeepEqual(got[0], exportHeader) {
		t.Fatalf("%d records, header %q", len(got), got[0])
	}
	bad := 0
	for i, src := range rows {
		for j, want := range src {
			switch exportTypes[j] {
			case ColumnBool:
				if b, ok := parseBool(want); ok {
					want = strings.ToUpper(strconv.FormatBool(b))
				}
			case ColumnTime:
				if tm, err := time.Parse(time.RFC3339Nano, want); err == nil {
					// LibreOffice shows whole seconds, cut, not rounded.
					want = tm.UTC().Format("2006-01-02 15:04:05")
				}
			case ColumnNumber:
				if f, ok := parseNumber(want); ok {
					want = strconv.FormatFloat(f, 'f', -1, 64)
				}
			default:
				want = xmlChars(want)
			}
			if got[i+1][j] != want && bad < 10 {
				bad++
				t.Errorf("row %d col %s: %q, want %q", i+2, exportHeader[j], got[i+1][j], want)
			}
		}
	}
}

// TestXLSXKeepsALeadingQuote: a text starting with ' is written as it is,
// with or without EscapeFormulas: in a workbook the ' is data (the text
// marker is a cell style), and import reads it back as data.
func TestXLSXKeepsALeadingQuote(t *testing.T) {
	for _, escape := range []bool{true, false} {
		var buf bytes.Buffer
		w, err := NewWriter(&buf, WriterOptions{Format: FormatXLSX, Header: []string{"name"}, EscapeFormulas: escape})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write([]string{"'=1+1"}); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := f.GetCellValue(f.GetSheetName(0), "A2")
		if want := "'=1+1"; got != want {
			t.Errorf("EscapeFormulas %v: A2 = %q, want %q", escape, got, want)
		}
	}
}

// sheetDimensions unzips an XLSX file and returns, per worksheet part, the
// ref of its <dimension> element ("" when there is none) and the range its
// rows actually use ("A1:C4").
func sheetDimensions(t *testing.T, data []byte) map[string][2]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][2]string{}
	for _, zf := range zr.File {
		if !strings.HasPrefix(zf.Name, "xl/worksheets/sheet") {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		dec := xml.NewDecoder(rc)
		dim, maxRow, maxCol := "", 0, 0
		for {
			tok, err := dec.Token()
			if err != nil {
				break
			}
			se, ok := tok.(xml.StartElement)
			if !ok {
				continue
			}
			for _, a := range se.Attr {
				switch {
				case se.Name.Local == "dimension" && a.Name.Local == "ref":
					dim = a.Value
				case se.Name.Local == "c" && a.Name.Local == "r":
					col, row, err := excelize.CellNameToCoordinates(a.Value)
					if err != nil {
						t.Fatal(err)
					}
					maxRow, maxCol = max(maxRow, row), max(maxCol, col)
				}
			}
		}
		rc.Close()
		last, _ := excelize.CoordinatesToCellName(maxCol, maxRow)
		out[zf.Name] = [2]string{dim, "A1:" + last}
	}
	return out
}

// TestXLSXWriterDimension: a workbook the tool writes (export, report,
// undo: all go through this writer) declares the range its rows use, or
// no range at all, never excelize's default "A1" that makes a reader
// trusting it (openpyxl read-only) see one cell.
func TestXLSXWriterDimension(t *testing.T) {
	header := []string{"id", "name", "email"}
	rowsOf := func(n int) [][]string {
		var rows [][]string
		for i := range n {
			rows = append(rows, []string{strconv.Itoa(i), "N " + strconv.Itoa(i), "n" + strconv.Itoa(i) + "@x.io"})
		}
		return rows
	}
	for _, tc := range []struct {
		name   string
		styled bool
		rows   int
		// wantDim: the declared range, "" for none.
		wantDim string
	}{
		{"styled within the sample", true, 3, "A1:C4"},
		{"styled header only", true, 0, "A1:C1"},
		{"styled past the sample", true, xlsxSampleRows + 50, ""},
		{"plain", false, 7, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := writeXLSX(t, WriterOptions{Header: header, Styled: tc.styled}, rowsOf(tc.rows))
			dims := sheetDimensions(t, data)
			if len(dims) != 1 {
				t.Fatalf("sheets %v", dims)
			}
			for part, d := range dims {
				if d[0] != tc.wantDim {
					t.Errorf("%s: <dimension ref=%q>, want %q (rows use %s)", part, d[0], tc.wantDim, d[1])
				}
				if d[0] != "" && d[0] != d[1] {
					t.Errorf("%s: declares %s but its rows use %s", part, d[0], d[1])
				}
				if want := fmt.Sprintf("A1:C%d", tc.rows+1); d[1] != want {
					t.Errorf("%s: rows use %s, want %s", part, d[1], want)
				}
			}
		})
	}
	// Several sheets: none declares a wrong range.
	old := xlsxMaxDataRows
	xlsxMaxDataRows = 150
	defer func() { xlsxMaxDataRows = old }()
	for part, d := range sheetDimensions(t, writeXLSX(t, WriterOptions{Header: header, Styled: true}, rowsOf(400))) {
		if d[0] != "" && d[0] != d[1] {
			t.Errorf("%s: declares %s but its rows use %s", part, d[0], d[1])
		}
	}
}

// TestXLSXWriterSheetName: the first sheet is named by opts.Sheet, and
// "Sheet" without it.
func TestXLSXWriterSheetName(t *testing.T) {
	for sheet, want := range map[string]string{"": "Sheet", "Report": "Report"} {
		var buf bytes.Buffer
		w, err := NewWriter(&buf, WriterOptions{Format: FormatXLSX, Header: []string{"a"}, Sheet: sheet})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if got := openExcelize(t, buf.Bytes()).GetSheetList(); !reflect.DeepEqual(got, []string{want}) {
			t.Errorf("Sheet %q: sheets %q, want %q", sheet, got, want)
		}
	}
}
