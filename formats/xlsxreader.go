package formats

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// XLSX limits. xlsxUnzipLimit is the most a workbook may unpack to (a zip
// bomb fails at open); xlsxSpoolLimit is the part size above which
// excelize spools to a temporary file instead of memory (it is only given
// the small style parts, see excelizeDateStyles). Variables so that tests
// can lower them.
var (
	xlsxUnzipLimit int64 = 1 << 30
	xlsxSpoolLimit int64 = 16 << 20
	// xlsxMaxStrings bounds the shared-strings part we hold in memory.
	xlsxMaxStrings int64 = 256 << 20
)

// xlsxReader streams one worksheet.
//
// excelize opens the workbook's small parts (checking the unzip limits)
// and tells which styles are dates; the rows themselves are read by this
// streaming parser, because excelize v2.11.1's Rows/Columns cannot keep
// what the README promises (measured, see the README's design note on
// XLSX reading): it gives no cell types (the number 007 and the text
// "007", a boolean 1 and the number 1 read alike; dates read as serials,
// or in the workbook's display format), no row numbers (rows stored out
// of order are merged into one row), no formula flag, and it ignores XML
// errors (a damaged sheet just ends) and invalid shared-string indexes;
// a 12 MiB cell costs it 104 MiB of allocations, against 2.6 MiB here.
type xlsxReader struct {
	zr       *zip.ReadCloser
	part     io.ReadCloser
	lim      *xmlLimitReader
	dec      *xml.Decoder
	spool    string // temporary copy of a stream, removed on Close
	sheet    string
	sst      []string
	sstLong  map[int]error // shared strings over the cell limit, by index
	dateFmt  []bool        // by cell style index
	date1904 bool

	header []string
	width  int
	rowNum int
	// headerRow is --header-row: the sheet row that holds the header (the
	// rows before it are left out); 0 means the first non-blank row.
	headerRow int
	// numberWarn[i] is what column i holds (ReaderOptions.TextColumn,
	// "phone numbers") while it has not been warned about numbers; warn
	// is ReaderOptions.Warn.
	numberWarn []string
	warn       func(string)
	textColumn func(string) string
	// rowSeen has a bit per sheet row number read, to tell a row number
	// used twice (128 KiB for Excel's 1048576 rows).
	rowSeen []uint64

	// Per row, while reading it.
	cells   []string
	problem *RowError
	blank   bool
	text    []byte
}

// openXLSX opens the workbook at p. spool, when not "", is a temporary
// file that Close (or a failed open) removes.
func openXLSX(p string, opts ReaderOptions, spool string) (_ *xlsxReader, err error) {
	r := &xlsxReader{spool: spool, warn: opts.Warn, textColumn: opts.TextColumn, headerRow: opts.HeaderRow}
	defer func() {
		if err != nil {
			r.Close()
		}
	}()
	r.zr, err = zip.OpenReader(p)
	if err != nil {
		return nil, notWorkbookError(p, err)
	}
	var total uint64
	for _, f := range r.zr.File {
		total += f.UncompressedSize64
		if total > uint64(xlsxUnzipLimit) {
			return nil, fmt.Errorf("the workbook unpacks to more than %d MiB, the limit (it may be a zip bomb); split it into smaller files or save the sheet as CSV", xlsxUnzipLimit>>20)
		}
	}
	if r.dateFmt, err = excelizeDateStyles(r.zr); err != nil {
		return nil, err
	}
	wb, err := readWorkbook(r.zr)
	if err != nil {
		return nil, err
	}
	r.date1904 = wb.date1904
	var sh *wbSheet
	for i := range wb.sheets {
		if opts.Sheet == "" || strings.EqualFold(wb.sheets[i].name, strings.TrimSpace(opts.Sheet)) {
			sh = &wb.sheets[i]
			break
		}
	}
	if sh == nil {
		names := make([]string, len(wb.sheets))
		for i, s := range wb.sheets {
			names[i] = strconv.Quote(s.name)
		}
		if opts.Sheet == "" {
			return nil, errors.New("the workbook has no sheets")
		}
		return nil, fmt.Errorf("the workbook has no sheet named %q; its sheets are %s; give one of them with --sheet", opts.Sheet, strings.Join(names, ", "))
	}
	r.sheet = sh.name
	if !sh.worksheet {
		return nil, fmt.Errorf("sheet %q is a chart, not a table of cells; give another sheet with --sheet", sh.name)
	}
	if wb.sst != "" {
		if r.sst, r.sstLong, err = readSharedStrings(r.zr, wb.sst); err != nil {
			return nil, err
		}
	}
	zf := zipFile(r.zr, sh.path)
	if zf == nil {
		return nil, fmt.Errorf("the workbook is damaged: sheet %q has no data part; open and save it again in a spreadsheet program", sh.name)
	}
	if r.part, err = zf.Open(); err != nil {
		return nil, fmt.Errorf("the workbook is damaged: %v", err)
	}
	r.lim = newXMLLimitReader(r.part)
	r.dec = xml.NewDecoder(r.lim)
	if err := r.seekSheetData(); err != nil {
		return nil, err
	}
	if err := r.readHeader(); err != nil {
		if errors.Is(err, errEmptySheet) && opts.Sheet == "" {
			return nil, r.emptyFirstSheet(wb, err)
		}
		return nil, err
	}
	if opts.Sheet == "" && r.warn != nil {
		if msg := r.otherSheetsNotice(wb); msg != "" {
			r.warn(msg)
		}
	}
	return r, nil
}

func notWorkbookError(p string, err error) error {
	if f, oerr := os.Open(p); oerr == nil {
		head := make([]byte, 8)
		n, _ := io.ReadFull(f, head)
		f.Close()
		if bytes.Equal(head[:n], []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}) {
			return errors.New("the file is a password-protected workbook or an old .xls file; save it as .xlsx without a password")
		}
	}
	if errors.Is(err, zip.ErrFormat) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return errors.New("the file is not an XLSX workbook (it is not a zip archive); save it as .xlsx, or give --format csv if it is text")
	}
	return fmt.Errorf("cannot open the workbook: %v", err)
}

// excelizeParts are the parts excelize needs to tell the cell styles.
var excelizeParts = []string{"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"}

// excelizeDateStyles opens the workbook's style parts with excelize, under
// the unzip limits, and returns for each cell style whether it formats
// numbers as dates or times. excelize is given a copy of the archive with
// only those parts (copied compressed): it reads every part it is given
// into memory or a temporary file, and the sheets, shared strings and
// images can be hundreds of MiB that only the streaming row reader should
// touch. excelize is closed (and its temporary files removed) before the
// rows are read.
func excelizeDateStyles(zr *zip.ReadCloser) (dates []bool, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("cannot open the workbook: it is damaged (%v)", v)
		}
	}()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range excelizeParts {
		zf := zipFile(zr, name)
		if zf == nil {
			continue
		}
		if zf.UncompressedSize64 > maxSmallPart {
			return nil, fmt.Errorf("the workbook part %s is larger than %d MiB; this is not a normal workbook", name, maxSmallPart>>20)
		}
		fh := zf.FileHeader
		fh.Name = name
		w, err := zw.CreateRaw(&fh)
		if err != nil {
			return nil, fmt.Errorf("cannot open the workbook: %v", err)
		}
		raw, err := zf.OpenRaw()
		if err != nil {
			return nil, fmt.Errorf("the workbook is damaged: %v", err)
		}
		if _, err := io.Copy(w, raw); err != nil {
			return nil, fmt.Errorf("the workbook is damaged: %v", err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("cannot open the workbook: %v", err)
	}
	f, err := excelize.OpenReader(&buf, excelize.Options{UnzipSizeLimit: xlsxUnzipLimit, UnzipXMLSizeLimit: min(xlsxSpoolLimit, xlsxUnzipLimit)})
	if err != nil {
		if errors.Is(err, excelize.ErrWorkbookFileFormat) || errors.Is(err, excelize.ErrWorkbookPassword) {
			return nil, errors.New("the file is a password-protected workbook or an old .xls file; save it as .xlsx without a password")
		}
		return nil, fmt.Errorf("cannot open the workbook: %v", err)
	}
	defer f.Close()
	for i := 0; i < excelize.MaxCellStyles; i++ {
		st, err := f.GetStyle(i)
		if err != nil || st == nil {
			break
		}
		switch {
		case st.CustomNumFmt != nil:
			dates = append(dates, isDateFormat(*st.CustomNumFmt))
		default:
			dates = append(dates, isBuiltinDateFormat(st.NumFmt))
		}
	}
	return dates, nil
}

func isBuiltinDateFormat(id int) bool {
	return (id >= 14 && id <= 22) || (id >= 27 && id <= 36) || (id >= 45 && id <= 47) || (id >= 50 && id <= 58)
}

// isDateFormat reports whether a number format code shows a date or a
// time: it has y, m, d, h or s outside quoted text, [..] sections and
// escaped characters.
func isDateFormat(code string) bool {
	if i := strings.IndexByte(code, ';'); i >= 0 {
		code = code[:i] // the positive-number section decides
	}
	for i := 0; i < len(code); i++ {
		switch c := code[i]; c {
		case '"':
			j := strings.IndexByte(code[i+1:], '"')
			if j < 0 {
				return false
			}
			i += j + 1
		case '[':
			j := strings.IndexByte(code[i+1:], ']')
			if j < 0 {
				return false
			}
			i += j + 1
		case '\\', '_', '*':
			i++
		case 'y', 'Y', 'm', 'M', 'd', 'D', 'h', 'H', 's', 'S':
			return true
		}
	}
	return false
}

// The workbook structure, read from the zip directly (it is small).

type wbSheet struct {
	name, path string
	worksheet  bool
}

type workbookInfo struct {
	sheets   []wbSheet
	sst      string
	date1904 bool
}

type xmlRels struct {
	Rels []struct {
		ID     string `xml:"Id,attr"`
		Target string `xml:"Target,attr"`
		Type   string `xml:"Type,attr"`
	} `xml:"Relationship"`
}

type xmlWorkbook struct {
	Pr struct {
		Date1904 string `xml:"date1904,attr"`
	} `xml:"workbookPr"`
	Sheets []struct {
		Name  string     `xml:"name,attr"`
		Attrs []xml.Attr `xml:",any,attr"`
	} `xml:"sheets>sheet"`
}

const maxSmallPart = 16 << 20

func readWorkbook(zr *zip.ReadCloser) (*workbookInfo, error) {
	wbPath := "xl/workbook.xml"
	var root xmlRels
	if ok, err := readXMLPart(zr, "_rels/.rels", &root); err != nil {
		return nil, err
	} else if ok {
		for _, rel := range root.Rels {
			if strings.HasSuffix(rel.Type, "/officeDocument") {
				wbPath = strings.TrimPrefix(path.Clean("/"+rel.Target), "/")
			}
		}
	}
	var wb xmlWorkbook
	if ok, err := readXMLPart(zr, wbPath, &wb); err != nil {
		return nil, err
	} else if !ok {
		return nil, errors.New("the file is a zip archive but not an XLSX workbook (it has no workbook part); save it as .xlsx")
	}
	var rels xmlRels
	dir := path.Dir(wbPath)
	if _, err := readXMLPart(zr, path.Join(dir, "_rels", path.Base(wbPath)+".rels"), &rels); err != nil {
		return nil, err
	}
	target := func(t string) string {
		if strings.HasPrefix(t, "/") {
			return strings.TrimPrefix(path.Clean(t), "/")
		}
		return path.Join(dir, t)
	}
	info := &workbookInfo{date1904: wb.Pr.Date1904 == "1" || strings.EqualFold(wb.Pr.Date1904, "true")}
	byID := map[string]int{}
	for i, rel := range rels.Rels {
		byID[rel.ID] = i
		if strings.HasSuffix(rel.Type, "/sharedStrings") {
			info.sst = target(rel.Target)
		}
	}
	if info.sst == "" && zipFile(zr, path.Join(dir, "sharedStrings.xml")) != nil {
		info.sst = path.Join(dir, "sharedStrings.xml")
	}
	for _, s := range wb.Sheets {
		sh := wbSheet{name: s.Name}
		for _, a := range s.Attrs {
			if a.Name.Local != "id" {
				continue
			}
			if i, ok := byID[a.Value]; ok {
				sh.path = target(rels.Rels[i].Target)
				sh.worksheet = strings.HasSuffix(rels.Rels[i].Type, "/worksheet")
			}
		}
		info.sheets = append(info.sheets, sh)
	}
	return info, nil
}

// zipFile finds a part by name, ignoring case as Excel does.
func zipFile(zr *zip.ReadCloser, name string) *zip.File {
	var fold *zip.File
	for _, f := range zr.File {
		n := strings.ReplaceAll(f.Name, "\\", "/")
		if n == name {
			return f
		}
		if fold == nil && strings.EqualFold(n, name) {
			fold = f
		}
	}
	return fold
}

func readXMLPart(zr *zip.ReadCloser, name string, v any) (bool, error) {
	f := zipFile(zr, name)
	if f == nil {
		return false, nil
	}
	if f.UncompressedSize64 > maxSmallPart {
		return false, fmt.Errorf("the workbook part %s is larger than %d MiB; this is not a normal workbook", name, maxSmallPart>>20)
	}
	rc, err := f.Open()
	if err != nil {
		return false, fmt.Errorf("the workbook is damaged: %v", err)
	}
	defer rc.Close()
	if err := xml.NewDecoder(rc).Decode(v); err != nil {
		return false, fmt.Errorf("the workbook is damaged: %s: %v", name, err)
	}
	return true, nil
}

// readSharedStrings loads the shared-string table: the text of each <si>,
// rich-text runs joined, phonetic runs (<rPh>) left out. A string over the
// cell limit is not kept: long maps its index to the error of a cell
// that uses it, so that such a cell is a row error and memory stays
// bounded.
func readSharedStrings(zr *zip.ReadCloser, name string) (sst []string, long map[int]error, err error) {
	f := zipFile(zr, name)
	if f == nil {
		return nil, nil, nil
	}
	if f.UncompressedSize64 > uint64(xlsxMaxStrings) {
		return nil, nil, fmt.Errorf("the workbook's shared strings are larger than %d MiB; save the sheet as CSV instead", xlsxMaxStrings>>20)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, nil, fmt.Errorf("the workbook is damaged: %v", err)
	}
	defer rc.Close()
	lim := newXMLLimitReader(rc)
	dec := xml.NewDecoder(lim)
	var (
		text  []byte
		size  int // bytes of the current string's text, kept or not
		cut   bool
		inSI  bool
		inT   bool
		inRPh int
	)
	for {
		lim.StartToken()
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			return sst, long, nil
		}
		if err != nil {
			// No row can be blamed: the strings are read before the rows.
			return nil, nil, fmt.Errorf("the workbook is damaged: shared strings (the table of cell texts, read before any row): %v; open and save it again in a spreadsheet program, or save the sheet as CSV", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				inSI, text, size, cut = true, text[:0], 0, false
			case "t":
				inT = inSI && inRPh == 0
			case "rPh":
				inRPh++
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "si":
				if size > maxCellBytes || cut {
					if long == nil {
						long = map[int]error{}
					}
					long[len(sst)] = errCellTooLong(size, cut)
					sst = append(sst, "")
				} else {
					sst = append(sst, unescapeXString(string(text)))
				}
				inSI = false
			case "t":
				inT = false
			case "rPh":
				inRPh--
			}
		case xml.CharData:
			if inT {
				cut = cut || lim.Cut()
				if size += len(t); size <= maxCellBytes {
					text = append(text, t...)
				}
			}
		}
	}
}

// unescapeXString decodes the _xHHHH_ escapes that OOXML uses for
// characters XML cannot carry (_x005F_ is a literal underscore).
func unescapeXString(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "_x")
		if i < 0 || i+7 > len(s) || s[i+6] != '_' {
			if i < 0 || i+7 > len(s) {
				b.WriteString(s)
				return b.String()
			}
			b.WriteString(s[:i+2])
			s = s[i+2:]
			continue
		}
		v, err := strconv.ParseUint(s[i+2:i+6], 16, 16)
		if err != nil {
			b.WriteString(s[:i+2])
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		b.WriteRune(rune(v))
		s = s[i+7:]
	}
}

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
// the lines before a CSV's --header-row are).
func (r *xlsxReader) readHeader() error {
	skipped := 0
	for {
		r.cells = r.cells[:0]
		r.width = -1 // collect every cell
		num, err := r.readRow()
		if errors.Is(err, io.EOF) && r.headerRow > 0 && skipped > 0 {
			return fmt.Errorf("--header-row %d: sheet %q has no row with a value from row %d on (its last is row %d)", r.headerRow, r.sheet, r.headerRow, r.rowNum)
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
		h := make([]string, len(r.cells))
		for i, c := range r.cells {
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
		return nil
	}
}

// Header returns the trimmed header row. Trailing unnamed columns are
// dropped; an unnamed column in the middle keeps the name "".
func (r *xlsxReader) Header() []string { return r.header }

// Next returns the next row with a non-blank cell. Row.Cells is a fresh
// slice for every row.
func (r *xlsxReader) Next() (Row, error) {
	for {
		if r.cells == nil {
			r.cells = make([]string, r.width)
		} else {
			clear(r.cells)
		}
		num, err := r.readRow()
		if err != nil {
			return Row{}, err
		}
		if r.blank && r.problem == nil {
			continue
		}
		row := Row{Num: num, Cells: r.cells}
		if r.problem != nil {
			row.Err = r.problem
		}
		r.cells = nil
		return row, nil
	}
}

// Close releases the workbook and removes a spooled copy of a stream.
func (r *xlsxReader) Close() error {
	var err error
	if r.part != nil {
		err = r.part.Close()
		r.part = nil
	}
	if r.zr != nil {
		if cerr := r.zr.Close(); err == nil {
			err = cerr
		}
		r.zr = nil
	}
	if r.spool != "" {
		if rerr := os.Remove(r.spool); err == nil && !errors.Is(rerr, os.ErrNotExist) {
			err = rerr
		}
		r.spool = ""
	}
	return err
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
		name, _ := excelize.ColumnNumberToName(col)
		r.setProblem(num, -1, fmt.Errorf("has a value in column %s, which has no header; give the column a header or clear it", name))
		return
	}
	if len(val) > maxCellBytes {
		r.setProblem(num, col-1, fmt.Errorf("cell is %d KiB; the limit is %d KiB", kib(len(val)), maxCellBytes>>10))
	}
	r.cells[col-1] = val
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
