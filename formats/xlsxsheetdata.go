package formats

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// The sheet part of the XLSX reader: the streamed <sheetData>, its header
// row and its rows.

// token returns the sheet's next raw token, with the limits of
// xmlLimitReader.
func (r *xlsxReader) token() (xml.Token, error) {
	r.lim.StartToken()
	return r.dec.RawToken()
}

// seekSheetData moves the decoder into <sheetData>.
func (r *xlsxReader) seekSheetData() error {
	for {
		tok, err := r.token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return sheetDamaged(fmt.Sprintf("sheet %q", r.sheet), err)
		}
		if t, ok := tok.(xml.StartElement); ok && t.Name.Local == "sheetData" {
			return nil
		}
	}
}

// errEmptySheet marks readHeader's error for a sheet with no rows; its
// text is empty so that it adds nothing to the message.
var errEmptySheet = errors.New("")

// readHeader takes the first row with a non-blank cell as the header,
// or with --header-row N the first at or after sheet row N (the rows
// before it, a title or notes above the table, are left out unread, as
// the lines before a CSV's --header-row are). Without --header-row, a
// first row that names no known column may be a preamble (a title, an
// export date): lookAhead finds the header below it, as for CSV.
func (r *xlsxReader) readHeader() error {
	skipped := 0
	for {
		r.cells = r.cells[:0]
		r.width = -1 // collect every cell
		num, err := r.readRow()
		if errors.Is(err, io.EOF) && r.headerRow > 0 && skipped > 0 {
			return fmt.Errorf("%s %d: sheet %q has no row with a value from row %d on (its last is row %d)", optionName(r.names, OptHeaderRow), r.headerRow, r.sheet, r.headerRow, r.rowNum)
		}
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("sheet %q is empty: it has no header row; the first row must name the columns, for example name and email%w", r.sheet, errEmptySheet)
		}
		if err != nil {
			return err
		}
		if num < r.headerRow {
			if !r.blank || r.problem != nil {
				skipped++
			}
			continue
		}
		if r.blank {
			continue
		}
		if r.problem != nil {
			return fmt.Errorf("cannot read the header in row %d: %v", num, r.problem.Err)
		}
		cells := r.cells
		pre := preamble{known: r.knownColumn}
		if _, stop := pre.next(cells); r.headerRow == 0 && r.knownColumn != nil && !stop {
			cells = slices.Clone(cells)
			found, err := r.lookAhead(&pre)
			if err != nil {
				return err
			}
			if found != nil {
				cells = found
			}
		}
		r.setHeader(cells)
		return nil
	}
}

// heldRow is a row read ahead of its time (see xlsxReader.held), with
// every cell it has.
type heldRow struct {
	num     int
	cells   []string
	problem *RowError
}

// lookAhead reads up to maxPreambleLines rows after the first (judged
// by pre, naming no known column) for the header below a preamble (see
// preamble). Found, it returns that row's cells, says so (Warn) and
// leaves the rows before it out; otherwise it returns nil and the rows
// read are held for Next.
func (r *xlsxReader) lookAhead(pre *preamble) ([]string, error) {
	var held []heldRow
	for len(held) < maxPreambleLines {
		r.cells = r.cells[:0]
		r.width = -1
		n, err := r.readRow()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if r.blank && r.problem == nil {
			continue
		}
		h := heldRow{num: n, cells: slices.Clone(r.cells), problem: r.problem}
		if h.problem != nil {
			held = append(held, h) // never the header
			continue
		}
		found, stop := pre.next(h.cells)
		if found {
			if r.warn != nil {
				first := QuoteName(strings.Join(pre.first, " "))
				rows := fmt.Sprintf("the rows before it (%s, …) are", first)
				if len(held) == 0 {
					rows = fmt.Sprintf("the row before it (%s) is", first)
				}
				r.warn(fmt.Sprintf("the header of sheet %q is on row %d: %s not a header and left out; if the header is on another row, give %s N", r.sheet, n, rows, optionName(r.names, OptHeaderRow)))
			}
			return h.cells, nil
		}
		held = append(held, h)
		if stop {
			break // data, not a preamble
		}
	}
	r.held = held
	return nil, nil
}

// setHeader makes cells (trimmed, trailing blanks dropped) the header.
func (r *xlsxReader) setHeader(cells []string) {
	h := make([]string, len(cells))
	for i, c := range cells {
		h[i] = strings.TrimSpace(c)
	}
	for len(h) > 0 && h[len(h)-1] == "" {
		h = h[:len(h)-1]
	}
	r.header, r.width = h, len(h)
	r.cells = nil
	if r.warn != nil && r.textColumn != nil {
		r.numberWarn = make([]string, len(h))
		for i, name := range h {
			r.numberWarn[i] = r.textColumn(name)
		}
	}
}

// replay returns a held row as Next would have read it, the header
// known: its cells cut to the header's width (a value beyond it is the
// row's problem), an oversized cell refused.
func (r *xlsxReader) replay(h heldRow) Row {
	cells := make([]string, r.width)
	r.problem = h.problem
	for i, v := range h.cells {
		switch {
		case i < r.width:
			cells[i] = v
			r.checkSize(h.num, i+1, v)
		case strings.TrimSpace(v) != "":
			r.beyondHeader(h.num, i+1)
		}
	}
	row := Row{Num: h.num, Cells: cells}
	if r.problem != nil {
		row.Err = r.problem
	}
	r.problem = nil
	return row
}

// readRow reads the next <row> into r.cells (by column; with width < 0 it
// grows to hold every cell), setting r.blank and r.problem. It returns
// the sheet row number, or io.EOF after the last row.
func (r *xlsxReader) readRow() (int, error) {
	r.blank, r.problem = true, nil
	for {
		tok, err := r.token()
		if errors.Is(err, io.EOF) {
			return 0, io.EOF
		}
		if err != nil {
			return 0, sheetDamaged(fmt.Sprintf("sheet %q after row %d", r.sheet, r.rowNum), err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "row" {
				continue
			}
			// The row number is the sheet's own (r="N"), which the user
			// sees, even when rows are stored out of order; a row without
			// one follows the previous row.
			num := r.rowNum + 1
			for _, a := range t.Attr {
				if a.Name.Local == "r" {
					if n, err := strconv.Atoi(a.Value); err == nil && n >= 1 && n <= excelize.TotalRows {
						num = n
					}
				}
			}
			r.rowNum = num
			twice := r.seenRow(num)
			if err := r.readCells(num); err != nil {
				return 0, err
			}
			if twice && !r.blank {
				r.setProblem(num, -1, fmt.Errorf("the sheet holds a second row numbered %d; open and save the workbook in a spreadsheet program, or save the sheet as CSV", num))
			}
			return num, nil
		case xml.EndElement:
			if t.Name.Local == "sheetData" {
				return 0, io.EOF
			}
		}
	}
}

// sheetDamaged is the fatal error for a sheet whose XML cannot be read
// on at where. The XML decoder's own line number is left out: it counts
// lines of XML (often all on line 1), not rows.
func sheetDamaged(where string, err error) error {
	msg := err.Error()
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		msg = se.Msg
	}
	return fmt.Errorf("the workbook is damaged: %s: %s; open and save it again in a spreadsheet program, or save the sheet as CSV", where, msg)
}

// seenRow marks row num as read and reports whether it was read before.
func (r *xlsxReader) seenRow(num int) bool {
	if num < 1 || num > excelize.TotalRows {
		return false
	}
	if r.rowSeen == nil {
		r.rowSeen = make([]uint64, (excelize.TotalRows+63)/64)
	}
	w, bit := (num-1)/64, uint64(1)<<((num-1)%64)
	seen := r.rowSeen[w]&bit != 0
	r.rowSeen[w] |= bit
	return seen
}

// readCells reads the <c> elements of one row up to </row>.
func (r *xlsxReader) readCells(num int) error {
	col, size := 0, 0
	for {
		tok, err := r.token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return sheetDamaged(fmt.Sprintf("sheet %q row %d", r.sheet, num), err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "c" {
				continue
			}
			var typ string
			style := 0
			next := col + 1
			for _, a := range t.Attr {
				switch a.Name.Local {
				case "r":
					if c := refColumn(a.Value); c > 0 {
						next = c
					}
				case "t":
					typ = a.Value
				case "s":
					style, _ = strconv.Atoi(a.Value)
				}
			}
			col = next
			val, err := r.readCell(num, col, typ, style)
			if err != nil {
				return err
			}
			// Past the row limit, cells are read but no longer kept, so
			// that one hostile row cannot fill the memory.
			if size += len(val); size > maxRecordBytes {
				r.setProblem(num, -1, fmt.Errorf("the row is longer than %d MiB, the limit", maxRecordBytes>>20))
				r.blank = false
				continue
			}
			r.setCell(num, col, val)
		case xml.EndElement:
			if t.Name.Local == "row" {
				return nil
			}
		}
	}
}
