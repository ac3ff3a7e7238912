package formats

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// xlsxMaxDataRows is how many data rows a sheet takes before the writer
// goes on with a new sheet (Excel's limit of 1,048,576 rows, less the
// header row). A variable so that tests can lower it.
var xlsxMaxDataRows = 1<<20 - 1

// xlsxSampleRows is how many rows a styled writer holds back to size the
// columns, since a sheet's widths come before its first row.
const xlsxSampleRows = 100

// xlsxWriter writes a workbook as it goes, straight into a zip archive on
// the caller's writer (see xlsxStream): memory stays flat however many
// rows there are.
type xlsxWriter struct {
	st     *xlsxStream
	opts   WriterOptions
	base   string // first sheet's name; later ones are "base 2", …
	sheets int
	row    int  // last row written on the current sheet
	open   bool // a sheet is being written

	cellOpen []string // per column `<c r="B`, to which the row number is added
	lastCol  string
	sample   [][]string // rows held back to size the columns
	widths   []float64
	rowNum   []byte // the current row's number, as text
	closed   bool
}

// newXLSXWriter starts a workbook with one sheet, named "Report" when the
// header starts with the report's "_row" column and "Customers"
// otherwise. Cells are inline text, except by opts.Types: numbers as
// numbers, true/false as booleans and RFC 3339 times as date cells shown
// as yyyy-mm-dd hh:mm:ss (UTC); a cell that does not parse as its type
// stays text. Cells are never formula-escaped: they are text cells, which
// a spreadsheet does not run. Text beyond Excel's 32,767 characters per
// cell is cut; characters XML cannot carry become U+FFFD. With
// opts.Styled the header row is bold and frozen, an autofilter covers the
// data and columns are as wide as their first rows need. Past 1,048,575
// data rows the writer goes on in a new sheet with the header repeated.
func newXLSXWriter(w io.Writer, opts WriterOptions) (*xlsxWriter, error) {
	x := &xlsxWriter{st: newXLSXStream(w), opts: opts, base: "Customers", sheets: 1}
	if opts.Header[0] == "_row" {
		x.base = "Report"
	}
	x.cellOpen = make([]string, len(opts.Header))
	for i := range x.cellOpen {
		x.cellOpen[i] = `<c r="` + xlsxColumnName(i+1)
	}
	x.lastCol = xlsxColumnName(len(opts.Header))
	if opts.Styled {
		return x, nil // the sheet starts once the sample is in
	}
	if err := x.startSheet(x.base); err != nil {
		return nil, fmt.Errorf("cannot start the workbook: %v", err)
	}
	return x, nil
}

// startSheet begins a sheet and writes the header row.
func (x *xlsxWriter) startSheet(sheet string) error {
	if x.opts.Styled && x.widths == nil {
		x.widths = columnWidths(x.opts.Header, x.sample)
	}
	x.st.beginSheet(sheet, x.widths, x.opts.Styled)
	x.open, x.row = true, 0
	style := 0
	if x.opts.Styled {
		style = xlsxStyleBold
	}
	x.beginRow()
	b := x.st.buf
	for i, h := range x.opts.Header {
		b = x.appendText(b, i, h, style)
	}
	x.st.buf = append(b, `</row>`...)
	return x.st.err
}

// columnWidths sizes each column to its longest text among the header and
// the sampled rows, within 8 to 60 characters.
func columnWidths(header []string, rows [][]string) []float64 {
	widths := make([]float64, len(header))
	for i, h := range header {
		n := utf8.RuneCountInString(h) + 2 // bold, and the filter button
		for _, r := range rows {
			if i < len(r) {
				n = max(n, utf8.RuneCountInString(r[i]))
			}
		}
		widths[i] = float64(min(max(n+2, 8), 60))
	}
	return widths
}

// Write appends one row (copying the cells if it holds them back).
func (x *xlsxWriter) Write(cells []string) error {
	if err := checkWidth(cells, x.opts.Header); err != nil {
		return err
	}
	if x.closed {
		return fmt.Errorf("writer: the workbook is closed")
	}
	if !x.open {
		x.sample = append(x.sample, append([]string(nil), cells...))
		if len(x.sample) < xlsxSampleRows {
			return nil
		}
		return x.flushSample()
	}
	return x.writeRow(cells)
}

func (x *xlsxWriter) flushSample() error {
	if err := x.startSheet(x.base); err != nil {
		return err
	}
	for _, r := range x.sample {
		if err := x.writeRow(r); err != nil {
			return err
		}
	}
	x.sample = nil
	return nil
}

// beginRow opens the next row.
func (x *xlsxWriter) beginRow() {
	x.row++
	x.rowNum = strconv.AppendInt(x.rowNum[:0], int64(x.row), 10)
	b := append(x.st.buf, `<row r="`...)
	b = append(b, x.rowNum...)
	x.st.buf = append(b, `">`...)
}

func (x *xlsxWriter) writeRow(cells []string) error {
	if x.row-1 >= xlsxMaxDataRows {
		x.finishSheet()
		x.sheets++
		if err := x.startSheet(fmt.Sprintf("%s %d", x.base, x.sheets)); err != nil {
			return err
		}
	}
	x.beginRow()
	b := x.st.buf
	for i, s := range cells {
		if s == "" {
			continue
		}
		if x.opts.Types != nil {
			if t := x.opts.Types[i]; t != ColumnText {
				if nb, ok := x.appendTyped(b, i, t, s); ok {
					b = nb
					continue
				}
			}
		}
		b = x.appendText(b, i, s, 0)
	}
	x.st.buf = append(b, `</row>`...)
	x.st.maybeFlush()
	return x.st.err
}

// appendCellStart appends `<c r="B7`; the caller closes the quote. (A
// cell may leave out r when it follows the one before, for files a third
// smaller and a fifth less deflate work, but some readers, such as
// EPPlus and ClosedXML, need it.)
func (x *xlsxWriter) appendCellStart(b []byte, col int) []byte {
	b = append(b, x.cellOpen[col]...)
	return append(b, x.rowNum...)
}

// appendText appends an inline string cell.
func (x *xlsxWriter) appendText(b []byte, col int, s string, style int) []byte {
	s = cutCellText(s)
	b = x.appendCellStart(b, col)
	if style != 0 {
		b = append(b, `" s="`...)
		b = strconv.AppendInt(b, int64(style), 10)
	}
	if needsSpacePreserve(s) {
		b = append(b, `" t="inlineStr"><is><t xml:space="preserve">`...)
	} else {
		b = append(b, `" t="inlineStr"><is><t>`...)
	}
	b = appendXMLText(b, s)
	return append(b, `</t></is></c>`...)
}

// appendTyped appends a number, boolean or date cell, or reports that s
// does not parse as its column's type.
func (x *xlsxWriter) appendTyped(b []byte, col int, t ColumnType, s string) ([]byte, bool) {
	v := strings.TrimSpace(s)
	switch t {
	case ColumnNumber:
		if !isNumberCell(v) {
			return b, false
		}
		b = x.appendCellStart(b, col)
		b = append(b, `"><v>`...)
		b = appendNumber(b, v)
		return append(b, `</v></c>`...), true
	case ColumnBool:
		bv, ok := parseBool(v)
		if !ok {
			return b, false
		}
		b = x.appendCellStart(b, col)
		if bv {
			return append(b, `" t="b"><v>1</v></c>`...), true
		}
		return append(b, `" t="b"><v>0</v></c>`...), true
	case ColumnTime:
		sec, nsec, ok := parseRFC3339(v)
		if !ok {
			return b, false
		}
		days, frac, ok := excelSerial(sec, nsec)
		if !ok {
			return b, false
		}
		b = x.appendCellStart(b, col)
		b = append(b, `" s="1"><v>`...) // xlsxStyleDate
		b = appendSerial(b, days, frac)
		return append(b, `</v></c>`...), true
	}
	return b, false
}

// finishSheet ends the current sheet, with the autofilter over the
// header and data when styled.
func (x *xlsxWriter) finishSheet() {
	filter := ""
	if x.opts.Styled {
		filter = "A1:" + x.lastCol + strconv.Itoa(x.row)
	}
	x.st.endSheet(filter)
	x.open = false
}

// Close finishes the workbook and flushes it into the underlying writer.
func (x *xlsxWriter) Close() error {
	if x.closed {
		return nil
	}
	x.closed = true
	if !x.open {
		if err := x.flushSample(); err != nil {
			return err
		}
	}
	x.finishSheet()
	return x.st.close()
}
