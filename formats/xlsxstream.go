package formats

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"errors"
	"io"
	"strconv"
	"time"
	"unicode/utf8"
)

// xlsxStream writes an XLSX package (OOXML SpreadsheetML) straight into a
// zip archive on an io.Writer, one part after the other: the worksheets
// as their rows come, then the workbook, its relationships and the
// content types, which list every sheet, at close. Nothing but the XML of
// the row being written and a flush buffer is held in memory; strings are
// inline (no shared-strings table).
type xlsxStream struct {
	bw       *bufio.Writer
	zw       *zip.Writer
	part     io.Writer // the open zip entry, or nil
	buf      []byte    // XML not yet handed to part
	modified time.Time
	sheets   []xlsxSheet
	err      error // sticky
}

// xlsxSheet is what the workbook needs to know about a finished sheet.
type xlsxSheet struct {
	name   string
	filter string // autofilter range such as "A1:M5", or ""
}

// xlsxDeflateLevel is the compress/flate level of every part. On export
// rows BestSpeed takes about 15% less CPU than level 2 and 25% less than
// level 3, for files 10% and 17% larger (BenchmarkXLSXDeflateLevels); the
// sheet XML is ~720 bytes a row and deflate is most of the writer's work.
// A variable for that benchmark.
var xlsxDeflateLevel = flate.BestSpeed

// xlsxFlushSize is how much XML is gathered before it goes to the
// compressor.
const xlsxFlushSize = 64 << 10

// Cell styles (indexes into cellXfs of xlsxStylesXML).
const (
	xlsxStyleDate = 1
	xlsxStyleBold = 2
)

func newXLSXStream(w io.Writer) *xlsxStream {
	s := &xlsxStream{bw: bufio.NewWriterSize(w, 64<<10), modified: time.Now()}
	s.zw = zip.NewWriter(s.bw)
	pool := newDeflatePool(xlsxDeflateLevel)
	s.zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return pool.newWriter(out), nil
	})
	s.buf = make([]byte, 0, xlsxFlushSize+4<<10)
	return s
}

// create starts a new part, ending the one before.
func (s *xlsxStream) create(name string) {
	if s.err != nil {
		return
	}
	s.flush()
	if s.err != nil {
		return
	}
	s.part, s.err = s.zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: s.modified})
}

// flush hands the gathered XML to the open part.
func (s *xlsxStream) flush() {
	if s.err == nil && len(s.buf) > 0 && s.part != nil {
		_, s.err = s.part.Write(s.buf)
	}
	s.buf = s.buf[:0]
}

// maybeFlush flushes once enough XML is gathered.
func (s *xlsxStream) maybeFlush() {
	if len(s.buf) >= xlsxFlushSize {
		s.flush()
	}
}

// writePart writes a whole small part.
func (s *xlsxStream) writePart(name string, body ...string) {
	s.create(name)
	for _, b := range body {
		s.buf = append(s.buf, b...)
	}
	s.flush()
}

const xlsxXMLHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"

const xlsxNS = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`

// beginSheet starts the worksheet part of a new sheet: the views (a
// frozen first row when frozen) and the column widths (none when widths
// is nil), up to the opening of <sheetData>.
func (s *xlsxStream) beginSheet(name string, widths []float64, frozen bool) {
	n := len(s.sheets) + 1
	s.sheets = append(s.sheets, xlsxSheet{name: name})
	s.create("xl/worksheets/sheet" + strconv.Itoa(n) + ".xml")
	b := append(s.buf, xlsxXMLHead...)
	b = append(b, `<worksheet `...)
	b = append(b, xlsxNS...)
	b = append(b, `><sheetViews><sheetView`...)
	if n == 1 {
		b = append(b, ` tabSelected="1"`...)
	}
	b = append(b, ` workbookViewId="0"`...)
	if frozen {
		b = append(b, `><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView>`...)
	} else {
		b = append(b, `/>`...)
	}
	b = append(b, `</sheetViews><sheetFormatPr defaultRowHeight="15"/>`...)
	if len(widths) > 0 {
		b = append(b, `<cols>`...)
		for i, w := range widths {
			b = append(b, `<col min="`...)
			b = strconv.AppendInt(b, int64(i+1), 10)
			b = append(b, `" max="`...)
			b = strconv.AppendInt(b, int64(i+1), 10)
			b = append(b, `" width="`...)
			b = strconv.AppendFloat(b, w, 'f', -1, 64)
			b = append(b, `" customWidth="1"/>`...)
		}
		b = append(b, `</cols>`...)
	}
	s.buf = append(b, `<sheetData>`...)
}

// endSheet closes the current worksheet, with an autofilter over filter
// (a range such as "A1:M5") unless it is "".
func (s *xlsxStream) endSheet(filter string) {
	b := append(s.buf, `</sheetData>`...)
	if filter != "" {
		b = append(b, `<autoFilter ref="`...)
		b = append(b, filter...)
		b = append(b, `"/>`...)
		s.sheets[len(s.sheets)-1].filter = filter
	}
	b = append(b, `<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>`...)
	s.buf = b
	s.flush()
}

// close writes the workbook parts, the zip directory and flushes all
// into the underlying writer (which it does not close).
func (s *xlsxStream) close() error {
	if s.err != nil {
		return s.err
	}
	s.writePart("xl/styles.xml", xlsxStylesXML)

	wb := []byte(xlsxXMLHead + `<workbook ` + xlsxNS + `><workbookPr/><bookViews><workbookView xWindow="0" yWindow="0" windowWidth="16384" windowHeight="8192"/></bookViews><sheets>`)
	for i, sh := range s.sheets {
		wb = append(wb, `<sheet name="`...)
		wb = appendXMLAttr(wb, sh.name)
		wb = append(wb, `" sheetId="`...)
		wb = strconv.AppendInt(wb, int64(i+1), 10)
		wb = append(wb, `" r:id="rId`...)
		wb = strconv.AppendInt(wb, int64(i+1), 10)
		wb = append(wb, `"/>`...)
	}
	wb = append(wb, `</sheets>`...)
	names := false
	for i, sh := range s.sheets {
		if sh.filter == "" {
			continue
		}
		if !names {
			wb = append(wb, `<definedNames>`...)
			names = true
		}
		wb = append(wb, `<definedName name="_xlnm._FilterDatabase" localSheetId="`...)
		wb = strconv.AppendInt(wb, int64(i), 10)
		wb = append(wb, `" hidden="1">`...)
		wb = appendXMLText(wb, quoteSheetName(sh.name)+"!"+absoluteRange(sh.filter))
		wb = append(wb, `</definedName>`...)
	}
	if names {
		wb = append(wb, `</definedNames>`...)
	}
	wb = append(wb, `<calcPr calcId="191029"/></workbook>`...)
	s.writePart("xl/workbook.xml", string(wb))

	rels := []byte(xlsxXMLHead + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`)
	for i := range s.sheets {
		rels = append(rels, `<Relationship Id="rId`...)
		rels = strconv.AppendInt(rels, int64(i+1), 10)
		rels = append(rels, `" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet`...)
		rels = strconv.AppendInt(rels, int64(i+1), 10)
		rels = append(rels, `.xml"/>`...)
	}
	rels = append(rels, `<Relationship Id="rId`...)
	rels = strconv.AppendInt(rels, int64(len(s.sheets)+1), 10)
	rels = append(rels, `" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`...)
	s.writePart("xl/_rels/workbook.xml.rels", string(rels))

	s.writePart("_rels/.rels", xlsxXMLHead+`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>`+
		`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>`+
		`<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>`+
		`</Relationships>`)
	created := s.modified.UTC().Format("2006-01-02T15:04:05Z")
	s.writePart("docProps/core.xml", xlsxXMLHead+`<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">`+
		`<dc:creator>aivabatch</dc:creator><dcterms:created xsi:type="dcterms:W3CDTF">`+created+`</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">`+created+`</dcterms:modified></cp:coreProperties>`)
	s.writePart("docProps/app.xml", xlsxXMLHead+`<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><Application>aivabatch</Application></Properties>`)

	ct := []byte(xlsxXMLHead + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
		`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>` +
		`<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>` +
		`<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>`)
	for i := range s.sheets {
		ct = append(ct, `<Override PartName="/xl/worksheets/sheet`...)
		ct = strconv.AppendInt(ct, int64(i+1), 10)
		ct = append(ct, `.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`...)
	}
	ct = append(ct, `</Types>`...)
	s.writePart("[Content_Types].xml", string(ct))

	if s.err != nil {
		return s.err
	}
	if err := s.zw.Close(); err != nil {
		s.err = err
		return err
	}
	if err := s.bw.Flush(); err != nil {
		s.err = err
		return err
	}
	s.err = errors.New("xlsx: workbook already closed")
	return nil
}

// xlsxStylesXML has the cell styles: 0 plain, 1 (xlsxStyleDate) a date
// and time yyyy-mm-dd hh:mm:ss, 2 (xlsxStyleBold) bold.
const xlsxStylesXML = xlsxXMLHead + `<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
	`<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>` +
	`<fonts count="2"><font><sz val="11"/><color theme="1"/><name val="Calibri"/><family val="2"/><scheme val="minor"/></font>` +
	`<font><b/><sz val="11"/><color theme="1"/><name val="Calibri"/><family val="2"/><scheme val="minor"/></font></fonts>` +
	`<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
	`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
	`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
	`<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
	`<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
	`<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>` +
	`<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>` +
	`<dxfs count="0"/><tableStyles count="0" defaultTableStyle="TableStyleMedium2" defaultPivotStyle="PivotStyleLight16"/>` +
	`</styleSheet>`

// quoteSheetName quotes a sheet name for a formula: 'Customers 2'.
func quoteSheetName(name string) string {
	q := []byte{'\''}
	for i := 0; i < len(name); i++ {
		if name[i] == '\'' {
			q = append(q, '\'')
		}
		q = append(q, name[i])
	}
	return string(append(q, '\''))
}

// absoluteRange turns "A1:M5" into "$A$1:$M$5".
func absoluteRange(r string) string {
	var b []byte
	letters := false
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case c >= 'A' && c <= 'Z':
			if !letters {
				b = append(b, '$')
				letters = true
			}
		case c >= '0' && c <= '9':
			if letters {
				b = append(b, '$')
				letters = false
			}
		default:
			letters = false
		}
		b = append(b, c)
	}
	return string(b)
}

// xlsxColumnName returns the letters of 1-based column n: 1 → A, 27 → AA.
func xlsxColumnName(n int) string {
	var b []byte
	for n > 0 {
		n--
		b = append([]byte{byte('A' + n%26)}, b...)
		n /= 26
	}
	return string(b)
}

// xlsxMaxCellUnits is Excel's limit on a cell's text, in UTF-16 units.
const xlsxMaxCellUnits = 32767

// cutCellText cuts s to Excel's 32,767 characters (UTF-16 units) per
// cell, never inside a character.
func cutCellText(s string) string {
	if len(s) <= xlsxMaxCellUnits {
		return s // a UTF-16 unit takes at least one byte
	}
	units := 0
	for i, r := range s {
		n := 1
		if r >= 0x10000 {
			n = 2
		}
		if units+n > xlsxMaxCellUnits {
			return s[:i]
		}
		units += n
	}
	return s
}

// xmlTextOK marks the ASCII bytes that go into XML text as they are.
// '_' is not among them: it may start an _xHHHH_ escape.
var xmlTextOK = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = true
	}
	t['\t'], t['\n'] = true, true
	t['&'], t['<'], t['>'], t['_'] = false, false, false, false
	return t
}()

// appendXMLText appends s as XML character data. & < > are escaped and CR
// becomes &#xD; (a parser would turn a raw CR into LF). Characters XML
// 1.0 cannot carry (control characters other than tab, LF and CR, U+FFFE,
// U+FFFF) and invalid UTF-8 become U+FFFD. A literal _xHHHH_, which
// spreadsheets read as an escaped character, gets its _ escaped as
// _x005F_ so that it reads back as written.
func appendXMLText(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if xmlTextOK[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '&':
				b = append(b, "&amp;"...)
			case '<':
				b = append(b, "&lt;"...)
			case '>':
				b = append(b, "&gt;"...)
			case '\r':
				b = append(b, "&#xD;"...)
			case '_':
				if isXEscape(s[i:]) {
					b = append(b, "_x005F"...)
				}
				b = append(b, '_')
			default:
				b = append(b, "\uFFFD"...)
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == 0xFFFE || r == 0xFFFF {
			b = append(b, s[start:i]...)
			b = append(b, "\uFFFD"...)
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(b, s[start:]...)
}

// appendXMLAttr appends s escaped for a double-quoted attribute value.
func appendXMLAttr(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '"':
			esc = "&quot;"
		case '\t':
			esc = "&#x9;"
		case '\n':
			esc = "&#xA;"
		default:
			continue
		}
		b = appendXMLText(b, s[start:i])
		b = append(b, esc...)
		start = i + 1
	}
	return appendXMLText(b, s[start:])
}

// isXEscape reports whether s starts with _xHHHH_.
func isXEscape(s string) bool {
	if len(s) < 7 || s[1] != 'x' || s[6] != '_' {
		return false
	}
	for i := 2; i < 6; i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// needsSpacePreserve reports whether a text starts or ends with white
// space, which a spreadsheet keeps only under xml:space="preserve".
func needsSpacePreserve(s string) bool {
	if s == "" {
		return false
	}
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
	return isSpace(s[0]) || isSpace(s[len(s)-1])
}

const (
	excelEpoch       = -2209161600 // 1899-12-30T00:00:00Z, day 0 of Excel's 1900 date system
	excelLeapBugEnds = -2203891200 // 1900-03-01T00:00:00Z
)

// excelSerial returns the instant sec.nsec (Unix time) as an Excel date
// serial in the 1900 date system: whole days since 1899-12-30, and the
// fraction of the day in units of 1e-11 day (0.864 µs), rounded. Excel
// counts a phantom 1900-02-29, so serials before March 1900 are one less.
// ok is false before 1899-12-31 (serial 0 and below), which Excel cannot
// show as a date.
func excelSerial(sec int64, nsec int) (days, frac int64, ok bool) {
	d := sec - excelEpoch
	days, rem := d/86400, d%86400
	if rem < 0 {
		days--
		rem += 86400
	}
	if sec < excelLeapBugEnds {
		days--
	}
	frac = (rem*1e9 + int64(nsec) + 432) / 864 // (ns of the day) / 86400e9 * 1e11
	if frac >= 1e11 {
		days, frac = days+1, 0
	}
	return days, frac, days > 0 || days == 0 && frac > 0
}

// appendSerial appends an Excel serial as decimal text: 45306.4375.
func appendSerial(b []byte, days, frac int64) []byte {
	b = strconv.AppendInt(b, days, 10)
	if frac == 0 {
		return b
	}
	var d [12]byte
	d[0] = '.'
	for i := 11; i > 0; i-- {
		d[i] = byte('0' + frac%10)
		frac /= 10
	}
	n := 12
	for d[n-1] == '0' {
		n--
	}
	return append(b, d[:n]...)
}

// parseRFC3339 parses an RFC 3339 time as time.Parse(time.RFC3339Nano, s)
// does, to Unix seconds and nanoseconds; the common forms
// (2024-01-15T10:30:00Z, with up to 9 fractional digits, or an offset
// such as +02:00) without going through time.Time.
func parseRFC3339(s string) (sec int64, nsec int, ok bool) {
	if sec, nsec, ok = parseRFC3339Fast(s); ok {
		return sec, nsec, true
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, 0, false
	}
	return t.Unix(), t.Nanosecond(), true
}

// parseRFC3339Fast accepts only yyyy-mm-ddThh:mm:ss[.f{1,9}](Z|±hh:mm)
// with fields in range; anything else is left to time.Parse.
func parseRFC3339Fast(s string) (sec int64, nsec int, ok bool) {
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return 0, 0, false
	}
	num := func(s string) int {
		n := 0
		for i := 0; i < len(s); i++ {
			c := s[i] - '0'
			if c > 9 {
				return -1
			}
			n = n*10 + int(c)
		}
		return n
	}
	year, month, day := num(s[0:4]), num(s[5:7]), num(s[8:10])
	hour, minute, second := num(s[11:13]), num(s[14:16]), num(s[17:19])
	if year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) ||
		hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 {
		return 0, 0, false
	}
	s = s[19:]
	if s[0] == '.' {
		n := 1
		for n < len(s) && s[n] >= '0' && s[n] <= '9' {
			n++
		}
		if n == 1 || n > 10 {
			return 0, 0, false
		}
		nsec = num(s[1:n])
		for i := n; i < 10; i++ {
			nsec *= 10
		}
		s = s[n:]
	}
	offset := 0
	switch {
	case s == "Z":
	case len(s) == 6 && (s[0] == '+' || s[0] == '-') && s[3] == ':':
		oh, om := num(s[1:3]), num(s[4:6])
		if oh < 0 || oh > 23 || om < 0 || om > 59 {
			return 0, 0, false
		}
		offset = (oh*60 + om) * 60
		if s[0] == '-' {
			offset = -offset
		}
	default:
		return 0, 0, false
	}
	sec = daysFromCivil(year, month, day)*86400 + int64(hour*3600+minute*60+second-offset)
	return sec, nsec, true
}

func daysInMonth(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the days from 1970-01-01 to the given proleptic
// Gregorian date (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// isNumberCell reports whether a number column's (trimmed) cell is
// stored as a number: a finite decimal with at most 15 significant
// digits, as parseNumber decides.
func isNumberCell(s string) bool {
	if isPlainDecimal(s) {
		return true
	}
	_, ok := parseNumber(s)
	return ok
}

// isPlainDecimal reports whether s is a decimal as JSON writes it,
// without exponent, of at most 15 significant digits: such a text is
// a valid finite number as it stands (the common case, checked without
// strconv).
func isPlainDecimal(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i == len(s) {
		return false
	}
	sig := 0
	if s[i] == '0' {
		i++
	} else {
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			sig++
		}
		if sig == 0 {
			return false
		}
	}
	if i < len(s) && s[i] == '.' {
		i++
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if sig > 0 || s[i] != '0' {
				sig++
			}
			i++
		}
		if i == j {
			return false
		}
	}
	return i == len(s) && sig <= 15
}

// appendNumber appends a number cell's value: the text as written when
// it is in JSON's form (12.5 stays 12.5), else the parsed value (+0.25,
// 007 and .5 become 0.25, 7 and 0.5). s must pass isNumberCell.
func appendNumber(b []byte, s string) []byte {
	if isJSONNumber(s) {
		return append(b, s...)
	}
	f, _ := parseNumber(s)
	return strconv.AppendFloat(b, f, 'f', -1, 64)
}
