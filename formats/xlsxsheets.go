package formats

import (
	"archive/zip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
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
	return fmt.Errorf("the first sheet %q is empty (it has no header row), but %s data: read it with --sheet %s (aivabatch validate --list-sheets FILE lists the sheets)", r.sheet, what, names[0])
}
