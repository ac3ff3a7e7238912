package formats

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// The cell part of the XLSX reader: a cell's value by its type and
// style (text, number, boolean, date), and where it goes in the row.

// readCell reads one <c> element's content up to </c> and returns its text.
func (r *xlsxReader) readCell(num, col int, typ string, style int) (string, error) {
	r.text = r.text[:0]
	var (
		inV, inT, haveV bool
		haveF           bool // a formula, whose saved result is <v>
		inIS, inRPh     int
		size            int // bytes of text, kept or not
		cut             bool
	)
	for {
		tok, err := r.token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return "", sheetDamaged(fmt.Sprintf("sheet %q row %d", r.sheet, num), err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "v":
				inV, haveV = true, true
			case "f":
				haveF = true
			case "is":
				inIS++
			case "rPh":
				inRPh++
			case "t":
				inT = inIS > 0 && inRPh == 0
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "v":
				inV = false
			case "is":
				inIS--
			case "rPh":
				inRPh--
			case "t":
				inT = false
			case "c":
				if size > maxCellBytes || cut {
					r.setProblem(num, col-1, errCellTooLong(size, cut))
					r.blank = false
				}
				if haveF && (!haveV || len(r.text) == 0 && typ != "str") {
					// Written by a program that does not calculate
					// (openpyxl, pandas): reading it as blank would lose
					// the value without a word. openpyxl writes an
					// empty <v></v>; a spreadsheet that calculated an
					// empty text writes t="str" with it, which is blank.
					ref, _ := excelize.CoordinatesToCellName(col, num)
					r.setProblem(num, col-1, fmt.Errorf("cell %s is a formula with no saved result: open and save the file in a spreadsheet program, or export it as CSV", ref))
					r.blank = false
				}
				return r.cellText(num, col, typ, style, haveV), nil
			}
		case xml.CharData:
			if inV || inT {
				// Past the cell limit the text is counted, not kept.
				cut = cut || r.lim.Cut()
				if size += len(t); size <= maxCellBytes {
					r.text = append(r.text, t...)
				}
			}
		}
	}
}

// errCellTooLong says a cell is over the limit; cut means that only its
// first size bytes were read.
func errCellTooLong(size int, cut bool) error {
	more := ""
	if cut {
		more = " or more"
	}
	return fmt.Errorf("cell is %d KiB%s; the limit is %d KiB", kib(size), more, maxCellBytes>>10)
}

// cellText turns a cell's raw content into text according to its type.
func (r *xlsxReader) cellText(num, col int, typ string, style int, haveV bool) string {
	raw := r.text
	switch typ {
	case "s":
		if !haveV {
			return ""
		}
		i, err := strconv.Atoi(string(bytes.TrimSpace(raw)))
		if err != nil || i < 0 || i >= len(r.sst) {
			r.setProblem(num, col-1, fmt.Errorf("the cell refers to shared string %q, which the workbook does not have; open and save the workbook again", raw))
			return ""
		}
		if err, ok := r.sstLong[i]; ok {
			r.setProblem(num, col-1, err)
			r.blank = false
			return ""
		}
		return r.sst[i]
	case "b":
		switch string(raw) {
		case "1":
			return "true"
		case "0":
			return "false"
		}
		return string(raw)
	case "inlineStr", "str":
		return unescapeXString(string(raw))
	case "e", "d":
		return string(raw)
	}
	// A number.
	if len(raw) == 0 {
		return ""
	}
	if style > 0 && style < len(r.dateFmt) && r.dateFmt[style] {
		if s, ok := excelDate(string(raw), r.date1904); ok {
			return s
		}
	}
	if col-1 < len(r.numberWarn) && r.numberWarn[col-1] != "" {
		// A spreadsheet turns 0932092373 into the number 932092373.
		what := r.numberWarn[col-1]
		r.numberWarn[col-1] = ""
		ref, _ := excelize.CoordinatesToCellName(col, num)
		r.warn(fmt.Sprintf("the column %q of sheet %q holds %s stored as numbers (the first in cell %s): leading zeros and + may already be lost; format the column as text in the spreadsheet and check the numbers", r.header[col-1], r.sheet, what, ref))
	}
	return formatNumber(raw)
}

// formatNumber writes a stored number the way a person reads it: whole
// numbers without exponent or ".0" (18001234567, not 1.8001234567E10),
// others rounded to the 15 significant digits Excel keeps, so that
// 0.30000000000000004 reads 0.3.
func formatNumber(raw []byte) string {
	if isPlainInteger(raw) {
		return string(raw)
	}
	s := string(raw)
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return s
	}
	f, _ = strconv.ParseFloat(strconv.FormatFloat(f, 'g', 15, 64), 64)
	if f == 0 {
		return "0"
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func isPlainInteger(b []byte) bool {
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 1 && b[0] == '0' {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// excelDate renders a date serial as ISO 8601: a date (2024-01-15) when
// whole, a date and time (2024-01-15T10:30:00) otherwise, a time of day
// (10:30:00) below 1. The workbook's zone is unknown, so none is given.
func excelDate(raw string, date1904 bool) (string, bool) {
	v, err := strconv.ParseFloat(raw, 64)
	if err != nil || v < 0 || v > 2958465 { // 9999-12-31
		return "", false
	}
	t, err := excelize.ExcelDateToTime(v, date1904)
	if err != nil {
		return "", false
	}
	t = t.Round(time.Second)
	switch {
	case v < 1:
		return t.Format("15:04:05"), true
	case t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0:
		return t.Format("2006-01-02"), true
	}
	return t.Format("2006-01-02T15:04:05"), true
}

// refColumn returns the 1-based column of a cell reference such as
// "AB12", or 0.
func refColumn(ref string) int {
	col := 0
	for i := 0; i < len(ref); i++ {
		c := ref[i]
		switch {
		case c >= 'A' && c <= 'Z':
			col = col*26 + int(c-'A'+1)
		case c >= 'a' && c <= 'z':
			col = col*26 + int(c-'a'+1)
		default:
			return col
		}
		if col > excelize.MaxColumns {
			return 0
		}
	}
	return col
}

// setCell stores a cell's text. A non-blank cell right of the header's
// last column is a row error: its value would otherwise be lost without
// a word.
func (r *xlsxReader) setCell(num, col int, val string) {
	if strings.TrimSpace(val) == "" {
		if col <= len(r.cells) {
			r.cells[col-1] = val
		}
		return
	}
	r.blank = false
	if r.width < 0 {
		for len(r.cells) < col {
			r.cells = append(r.cells, "")
		}
		r.cells[col-1] = val
		return
	}
	if col > r.width {
		r.beyondHeader(num, col)
		return
	}
	r.checkSize(num, col, val)
	r.cells[col-1] = val
}

// beyondHeader is the problem of row num: a value in column col, past
// the header's last.
func (r *xlsxReader) beyondHeader(num, col int) {
	name, _ := excelize.ColumnNumberToName(col)
	r.setProblem(num, -1, fmt.Errorf("has a value in column %s, which has no header; give the column a header or clear it", name))
}

// checkSize refuses a cell (column col of row num) over the cell limit.
func (r *xlsxReader) checkSize(num, col int, val string) {
	if len(val) > maxCellBytes {
		r.setProblem(num, col-1, fmt.Errorf("cell is %d KiB; the limit is %d KiB", kib(len(val)), maxCellBytes>>10))
	}
}

func (r *xlsxReader) setProblem(num, col int, err error) {
	if r.problem != nil {
		return
	}
	field := ""
	switch {
	case col >= 0 && col < len(r.header) && r.header[col] != "":
		field = r.header[col]
	case col >= 0:
		name, _ := excelize.ColumnNumberToName(col + 1)
		field = "column " + name
	}
	r.problem = &RowError{Row: num, Field: field, Err: err}
}
