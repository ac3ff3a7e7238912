package formats

import (
	"archive/zip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"

	"github.com/xuri/excelize/v2"
)

// SheetInfo is one sheet of a workbook, for --list-sheets.
type SheetInfo struct {
	Name string
	// Rows counts the rows with a non-blank cell, the header included.
	Rows int
	// Chart is true for a chart sheet (no cells).
	Chart bool
}

// ListSheets returns the sheets of the workbook at path in workbook
// order, with their row counts. It reads every sheet through (streaming:
// memory does not grow with the rows) with the unzip limits of
// OpenReader.
func ListSheets(path string) ([]SheetInfo, error) {
	r, err := openXLSXBook(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	wb, err := readWorkbook(r.zr)
	if err != nil {
		return nil, err
	}
	if wb.sst != "" {
		if r.sst, r.sstLong, err = readSharedStrings(r.zr, wb.sst); err != nil {
			return nil, err
		}
	}
	out := make([]SheetInfo, 0, len(wb.sheets))
	for _, sh := range wb.sheets {
		info := SheetInfo{Name: sh.name, Chart: !sh.worksheet}
		if sh.worksheet {
			if info.Rows, err = r.countRows(sh, -1); err != nil {
				return nil, err
			}
		}
		out = append(out, info)
	}
	return out, nil
}

// openXLSXBook opens the zip with the unzip limit, for ListSheets.
func openXLSXBook(p string) (*xlsxReader, error) {
	r := &xlsxReader{}
	var err error
	if r.zr, err = zip.OpenReader(p); err != nil {
		return nil, notWorkbookError(p, err)
	}
	var total uint64
	for _, f := range r.zr.File {
		total += f.UncompressedSize64
		if total > uint64(xlsxUnzipLimit) {
			r.Close()
			return nil, fmt.Errorf("the workbook unpacks to more than %d MiB, the limit (it may be a zip bomb)", xlsxUnzipLimit>>20)
		}
	}
	return r, nil
}

// countRows counts the non-blank rows of a worksheet, stopping once it
// reached stop (stop < 0: all). It uses its own decoder: r's position in
// the sheet it reads is left alone.
func (r *xlsxReader) countRows(sh wbSheet, stop int) (int, error) {
	zf := zipFile(r.zr, sh.path)
	if zf == nil {
		return 0, nil
	}
	part, err := zf.Open()
	if err != nil {
		return 0, fmt.Errorf("the workbook is damaged: %v", err)
	}
	defer part.Close()
	c := &xlsxReader{zr: r.zr, sst: r.sst, sstLong: r.sstLong, dateFmt: r.dateFmt, date1904: r.date1904, sheet: sh.name, width: -1}
	c.lim = newXMLLimitReader(part)
	c.dec = xml.NewDecoder(c.lim)
	if err := c.seekSheetData(); err != nil {
		return 0, err
	}
	n := 0
	for stop < 0 || n < stop {
		c.cells = c.cells[:0]
		if _, err := c.readRow(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return n, err
		}
		if !c.blank {
			n++
		}
	}
	return n, nil
}

// sheetsWithData names the worksheets other than skip that have a
// non-blank row, quoted, for the message of an empty first sheet.
func (r *xlsxReader) sheetsWithData(wb *workbookInfo, skip string) []string {
	var names []string
	for _, sh := range wb.sheets {
		if !sh.worksheet || sh.name == skip {
			continue
		}
		if n, err := r.countRows(sh, 1); err == nil && n > 0 {
			names = append(names, strconv.Quote(sh.name))
		}
	}
	return names
}

// emptyFirstSheet extends the "sheet is empty" error of a workbook read
// without --sheet whose other sheets hold data: it names them and --sheet.
func (r *xlsxReader) emptyFirstSheet(wb *workbookInfo, err error) error {
	names := r.sheetsWithData(wb, r.sheet)
	if len(names) == 0 {
		return err
	}
	what := "sheet " + names[0] + " holds"
	if len(names) > 1 {
		what = "sheets " + strings.Join(names, ", ") + " hold"
	}
	return fmt.Errorf("the first sheet %q is empty (it has no header row), but %s data: read it with %s %s (%s lists the sheets)", r.sheet, what, optionName(r.names, OptSheet), names[0], optionName(r.names, OptListSheets))
}

// otherSheetScan is how many rows of another sheet the notice of
// otherSheetsNotice reads at most (a variable so that tests can lower it).
var otherSheetScan = 10000

// otherSheetsNotice is the notice of a workbook read without --sheet whose
// other worksheets hold data: it names each with its row count, or ""
// when none does. The first sheet is read in full by the run itself; the
// others are counted cheaply, never parsed through:
//   - a sheet whose <dimension> (the used range Excel, LibreOffice and
//     openpyxl write at its top) spans more than otherSheetScan rows is
//     given that declared size, without reading its rows;
//   - any other sheet is counted by a bounded scan of at most
//     otherSheetScan+1 rows (a missing or one-cell dimension, as
//     excelize's stream writer leaves, may hide rows, so it is not
//     trusted for "empty"); past that it is "more than otherSheetScan".
func (r *xlsxReader) otherSheetsNotice(wb *workbookInfo) string {
	var parts, names []string
	for _, sh := range wb.sheets {
		if !sh.worksheet || sh.name == r.sheet {
			continue
		}
		var what string
		if d := r.declaredRows(sh); d > otherSheetScan {
			what = fmt.Sprintf("about %d rows, by the size the sheet declares", d)
		} else {
			n, err := r.countRows(sh, otherSheetScan+1)
			switch {
			case err != nil || n == 0:
				continue
			case n > otherSheetScan:
				what = fmt.Sprintf("more than %d rows", otherSheetScan)
			case n == 1:
				what = "1 row"
			default:
				what = fmt.Sprintf("%d rows, the header included", n)
			}
		}
		parts = append(parts, fmt.Sprintf("%q (%s)", sh.name, what))
		names = append(names, sh.name)
	}
	if len(parts) == 0 {
		return ""
	}
	if len(parts) == 1 {
		return fmt.Sprintf("only the first sheet %q was read; the workbook has another sheet with data: %s; read it with %s %q (each sheet's report gets its own name)", r.sheet, parts[0], optionName(r.names, OptSheet), names[0])
	}
	return fmt.Sprintf("only the first sheet %q was read; the workbook has other sheets with data: %s; read one with %s NAME (each sheet's report gets its own name)", r.sheet, strings.Join(parts, ", "), optionName(r.names, OptSheet))
}

// declaredRows is the row count a worksheet declares in its <dimension
// ref="A1:H942"> (942 - 1 + 1), or 0 when it has none, or a one-cell one.
// It reads only the elements before <sheetData>.
func (r *xlsxReader) declaredRows(sh wbSheet) int {
	zf := zipFile(r.zr, sh.path)
	if zf == nil {
		return 0
	}
	part, err := zf.Open()
	if err != nil {
		return 0
	}
	defer part.Close()
	lim := newXMLLimitReader(part)
	dec := xml.NewDecoder(lim)
	for {
		lim.StartToken()
		tok, err := dec.RawToken()
		if err != nil {
			return 0
		}
		t, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch t.Name.Local {
		case "sheetData":
			return 0
		case "dimension":
			for _, a := range t.Attr {
				if a.Name.Local != "ref" {
					continue
				}
				from, to, ok := strings.Cut(a.Value, ":")
				if !ok {
					return 0
				}
				_, r1, err1 := excelize.CellNameToCoordinates(strings.ReplaceAll(from, "$", ""))
				_, r2, err2 := excelize.CellNameToCoordinates(strings.ReplaceAll(to, "$", ""))
				if err1 != nil || err2 != nil || r2 < r1 {
					return 0
				}
				return r2 - r1 + 1
			}
			return 0
		}
	}
}

// SheetName returns the name the workbook at path gives the sheet that
// --sheet name selects (matched ignoring case, as the reader does), or
// name itself when the workbook cannot be read or has no such sheet (the
// reader then says why). It reads only the workbook part.
func SheetName(path, name string) string {
	name = strings.TrimSpace(name)
	zr, err := zip.OpenReader(path)
	if err != nil {
		return name
	}
	defer zr.Close()
	wb, err := readWorkbook(zr)
	if err != nil {
		return name
	}
	for _, sh := range wb.sheets {
		if strings.EqualFold(sh.name, name) {
			return sh.name
		}
	}
	return name
}

// SafeFileName turns a sheet name into a part of a file name: characters
// that are not letters, digits, '-', '_' or '.' (path separators, spaces,
// quotes, *, ?, :, control characters) become '_', dots at either end are
// dropped, and it is cut to 64 bytes. An empty result is "sheet".
func SafeFileName(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case unicode.IsLetter(c) || unicode.IsDigit(c) || c == '-' || c == '_' || c == '.':
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 64 {
			break
		}
	}
	out := strings.Trim(b.String(), ".")
	if out == "" {
		return "sheet"
	}
	return out
}
