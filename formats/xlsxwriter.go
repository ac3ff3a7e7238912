package formats

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// xlsxMaxDataRows is how many data rows a sheet takes before the writer
// goes on with a new sheet (Excel's limit, less the header row). A
// variable so that tests can lower it.
var xlsxMaxDataRows = excelize.TotalRows - 1

// xlsxSampleRows is how many rows a styled writer holds back to size the
// columns, since a stream writer must set widths before the first row.
const xlsxSampleRows = 100

// excelFirstDate is the first instant with a positive date serial in
// Excel's 1900 date system; earlier times stay text.
var excelFirstDate = time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC)

// xlsxWriter writes a workbook through excelize's StreamWriter, which
// keeps each sheet's rows in a temporary file rather than in memory.
type xlsxWriter struct {
	f      *excelize.File
	sw     *excelize.StreamWriter
	bw     *bufio.Writer // under the zip archive excelize writes at Close
	zw     *zip.Writer
	opts   WriterOptions
	base   string // first sheet's name; later ones are "base 2", …
	sheet  string
	sheets int
	row    int // last row written on the current sheet

	sample     [][]string // rows held back to size the columns
	widths     []float64
	bold, date int
	vals       []any
	closed     bool
}

// newXLSXWriter starts a workbook with one sheet, named opts.Sheet. Cells are inline text, except by opts.Types: numbers as
// numbers, true/false as booleans and RFC 3339 times as date cells shown
// as yyyy-mm-dd hh:mm:ss (UTC); a cell that does not parse as its type
// stays text. Cells are never formula-escaped: they are text cells, which
// a spreadsheet does not run, and a leading ' is written as the data it
// is (import reads it back as data: only CSV has a ' text marker). Text beyond Excel's 32,767 characters per
// cell is cut; characters XML cannot carry become U+FFFD. With
// opts.Styled the header row is bold and frozen, an autofilter covers the
// data and columns are as wide as their first rows need. Past 1,048,575
// data rows the writer goes on in a new sheet with the header repeated.
func newXLSXWriter(w io.Writer, opts WriterOptions) (*xlsxWriter, error) {
	x := &xlsxWriter{f: excelize.NewFile(), opts: opts, base: opts.Sheet, sheets: 1}
	if x.base == "" {
		x.base = "Sheet"
	}
	// excelize builds the zip in a bytes.Buffer and then copies it to w
	// (over 200 MB at a million rows); its ZipWriter hook lets the
	// archive go straight to w instead, at deflate's fastest level, which
	// is most of the writer's CPU otherwise.
	x.bw = bufio.NewWriterSize(w, 64<<10)
	x.zw = zip.NewWriter(x.bw)
	x.zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	x.f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return x.zw })
	fail := func(err error) (*xlsxWriter, error) {
		x.f.Close()
		return nil, fmt.Errorf("cannot start the workbook: %v", err)
	}
	if err := x.f.SetSheetName("Sheet1", x.base); err != nil {
		return fail(err)
	}
	dateFmt := "yyyy-mm-dd hh:mm:ss"
	var err error
	if x.date, err = x.f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt}); err != nil {
		return fail(err)
	}
	if opts.Styled {
		if x.bold, err = x.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}); err != nil {
			return fail(err)
		}
		return x, nil // the sheet starts once the sample is in
	}
	if err := x.startSheet(x.base); err != nil {
		return fail(err)
	}
	return x, nil
}

// startSheet opens a stream on sheet and writes the header row.
//
// The stream writes the sheet's <dimension> (the used range) before its
// rows, and excelize's default is "A1": a reader that trusts it, such as
// openpyxl in read-only mode, would see one cell and no rows. When every
// row of the sheet is known already (a styled writer closed within its
// sample) the real range is declared; otherwise, since the row count is
// not known yet, none is (readers then look at the rows themselves).
func (x *xlsxWriter) startSheet(sheet string) error {
	dim := ""
	if x.closed && x.sheets == 1 && len(x.sample) <= xlsxMaxDataRows {
		last, err := excelize.CoordinatesToCellName(len(x.opts.Header), 1+len(x.sample))
		if err != nil {
			return err
		}
		dim = "A1:" + last
	}
	if err := x.f.SetSheetDimension(sheet, dim); err != nil {
		return err
	}
	sw, err := x.f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	x.sw, x.sheet, x.row = sw, sheet, 1
	hdr := make([]any, len(x.opts.Header))
	for i, h := range x.opts.Header {
		hdr[i] = excelize.Cell{StyleID: x.bold, Value: h}
	}
	if x.opts.Styled {
		if x.widths == nil {
			x.widths = columnWidths(x.opts.Header, x.sample)
		}
		// Set from the last column: excelize puts each new <col> first,
		// and Excel wants them in ascending order.
		for i := len(x.widths) - 1; i >= 0; i-- {
			if err := sw.SetColWidth(i+1, i+1, x.widths[i]); err != nil {
				return err
			}
		}
		if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
			Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}}); err != nil {
			return err
		}
	}
	return sw.SetRow("A1", hdr)
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
	if x.sw == nil {
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

func (x *xlsxWriter) writeRow(cells []string) error {
	if x.row-1 >= xlsxMaxDataRows {
		if err := x.finishSheet(); err != nil {
			return err
		}
		x.sheets++
		name := fmt.Sprintf("%s %d", x.base, x.sheets)
		if _, err := x.f.NewSheet(name); err != nil {
			return err
		}
		if err := x.startSheet(name); err != nil {
			return err
		}
	}
	if cap(x.vals) < len(cells) {
		x.vals = make([]any, len(cells))
	}
	vals := x.vals[:len(cells)]
	for i, s := range cells {
		vals[i] = x.value(i, s)
	}
	x.row++
	ref, err := excelize.CoordinatesToCellName(1, x.row)
	if err != nil {
		return err
	}
	return x.sw.SetRow(ref, vals)
}

// value turns a cell into what the stream writer should store.
func (x *xlsxWriter) value(col int, s string) any {
	if s == "" {
		return nil
	}
	if x.opts.Types != nil {
		switch x.opts.Types[col] {
		case ColumnNumber:
			if f, ok := parseNumber(strings.TrimSpace(s)); ok {
				return f
			}
		case ColumnBool:
			if b, ok := parseBool(strings.TrimSpace(s)); ok {
				return b
			}
		case ColumnTime:
			if t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s)); err == nil && t.After(excelFirstDate) {
				return excelize.Cell{StyleID: x.date, Value: t.UTC()}
			}
		}
	}
	// A text cell holds no formula, and a leading ' is data in a
	// workbook (its text marker is the quotePrefix style), so the text is
	// written as it is, whatever opts.EscapeFormulas says.
	return s
}

// finishSheet ends the current sheet's stream, adding the autofilter
// first (the stream writes it when flushed).
func (x *xlsxWriter) finishSheet() error {
	if x.opts.Styled {
		last, err := excelize.CoordinatesToCellName(len(x.opts.Header), x.row)
		if err != nil {
			return err
		}
		if err := x.f.AutoFilter(x.sheet, "A1:"+last, nil); err != nil {
			return err
		}
	}
	return x.sw.Flush()
}

// Close finishes the workbook and writes it to the underlying writer;
// temporary files are removed whether or not that succeeds.
func (x *xlsxWriter) Close() error {
	if x.closed {
		return nil
	}
	x.closed = true
	defer x.f.Close()
	if x.sw == nil {
		if err := x.flushSample(); err != nil {
			return err
		}
	}
	if err := x.finishSheet(); err != nil {
		return err
	}
	// WriteToBuffer fills and closes x.zw (see newXLSXWriter); the
	// buffer it returns stays empty.
	if _, err := x.f.WriteToBuffer(); err != nil {
		return err
	}
	return x.bw.Flush()
}
