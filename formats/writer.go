package formats

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// NewWriter returns a writer of opts.Format to w, under opts.Header.
// Every Write takes exactly one cell per header column (anything else is
// an error) and does not keep the slice, so the caller may reuse it.
// Close flushes (for XLSX, writes the whole workbook) but does not close
// w.
//
// CSV and TSV: opts.Delimiter (CSV; a comma by default), LF line ends,
// quotes only where needed (encoding/csv rules), an optional BOM, and
// formula escaping with EscapeFormula when opts.EscapeFormulas. NDJSON: one object per row with the header as keys
// in order; with opts.Types, a number column's cell that is a JSON number
// is written as a number, a bool column's "true"/"false" as a boolean, and
// an empty number, bool or time cell as null; everything else is a
// string. XLSX: see newXLSXWriter.
func NewWriter(w io.Writer, opts WriterOptions) (RowWriter, error) {
	format, err := ParseFormat(opts.Format)
	if err == nil && format == "" {
		err = errors.New("no format given for the file to write")
	}
	if err != nil {
		return nil, err
	}
	if len(opts.Header) == 0 {
		return nil, errors.New("cannot write a file without columns")
	}
	if opts.Types != nil && len(opts.Types) != len(opts.Header) {
		return nil, fmt.Errorf("writer: %d column types for %d columns", len(opts.Types), len(opts.Header))
	}
	switch format {
	case FormatXLSX:
		return asWriter(newXLSXWriter(w, opts))
	case FormatNDJSON:
		return newNDJSONWriter(w, opts), nil
	}
	return asWriter(newCSVWriter(w, opts, format))
}

func asWriter[T RowWriter](w T, err error) (RowWriter, error) {
	if err != nil {
		return nil, err
	}
	return w, nil
}

func checkWidth(cells []string, header []string) error {
	if len(cells) != len(header) {
		return fmt.Errorf("writer: row has %d cells for %d columns", len(cells), len(header))
	}
	return nil
}

type csvWriter struct {
	bw     *bufio.Writer
	comma  byte
	header []string
	escape bool
	// special marks the bytes that make a field need quotes.
	special [256]bool
}

func newCSVWriter(w io.Writer, opts WriterOptions, format string) (*csvWriter, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	if opts.BOM {
		if _, err := bw.Write(utf8BOM); err != nil {
			return nil, err
		}
	}
	c := &csvWriter{bw: bw, comma: ',', header: opts.Header, escape: opts.EscapeFormulas}
	switch d := opts.Delimiter; {
	case format == FormatTSV:
		c.comma = '\t'
	case d == 0:
	case d >= utf8.RuneSelf || d == '"' || d == '\n' || d == '\r':
		return nil, fmt.Errorf("writer: the delimiter %q cannot be used", d)
	default:
		c.comma = byte(d)
	}
	for _, b := range []byte{'\n', '\r', '"', c.comma} {
		c.special[b] = true
	}
	if err := c.write(opts.Header); err != nil {
		return nil, err
	}
	return c, nil
}

// Write appends one record.
func (c *csvWriter) Write(cells []string) error {
	if err := checkWidth(cells, c.header); err != nil {
		return err
	}
	return c.write(cells)
}

// write quotes exactly as encoding/csv does (a field with the delimiter,
// a quote, CR or LF, one that starts with a space, and `\.`), with LF
// line ends, without its per-field overhead: reports and exports are
// written at the speed files are read.
func (c *csvWriter) write(cells []string) error {
	bw := c.bw
	for i, s := range cells {
		if i > 0 {
			bw.WriteByte(c.comma)
		}
		if c.escape {
			s = EscapeFormula(s)
		}
		if !c.needsQuotes(s) {
			bw.WriteString(s)
			continue
		}
		bw.WriteByte('"')
		for {
			j := strings.IndexByte(s, '"')
			if j < 0 {
				bw.WriteString(s)
				break
			}
			bw.WriteString(s[:j+1])
			bw.WriteByte('"')
			s = s[j+1:]
		}
		bw.WriteByte('"')
	}
	return bw.WriteByte('\n')
}

func (c *csvWriter) needsQuotes(s string) bool {
	if s == "" {
		return false
	}
	if s == `\.` {
		return true
	}
	for i := 0; i < len(s); i++ {
		if c.special[s[i]] {
			return true
		}
	}
	if s[0] < utf8.RuneSelf {
		return s[0] == ' ' || s[0] == '\t' || s[0] == '\v' || s[0] == '\f'
	}
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}

// Close flushes the buffered records.
func (c *csvWriter) Close() error {
	return c.bw.Flush()
}

type ndjsonWriter struct {
	bw    *bufio.Writer
	keys  [][]byte // `"key":` encoded once
	types []ColumnType
	n     int
	line  bytes.Buffer
	enc   *json.Encoder // writes to line, without HTML escaping: this is data, not a web page
}

func newNDJSONWriter(w io.Writer, opts WriterOptions) *ndjsonWriter {
	nw := &ndjsonWriter{bw: bufio.NewWriterSize(w, 64<<10), types: opts.Types, n: len(opts.Header)}
	nw.enc = json.NewEncoder(&nw.line)
	nw.enc.SetEscapeHTML(false)
	for _, h := range opts.Header {
		nw.line.Reset()
		nw.string(h)
		nw.keys = append(nw.keys, append(bytes.Clone(nw.line.Bytes()), ':'))
	}
	return nw
}

// string appends s to line as a JSON string.
func (w *ndjsonWriter) string(s string) {
	_ = w.enc.Encode(s)               // a string always encodes
	w.line.Truncate(w.line.Len() - 1) // Encode's newline
}

// Write appends one object line.
func (w *ndjsonWriter) Write(cells []string) error {
	if len(cells) != w.n {
		return fmt.Errorf("writer: row has %d cells for %d columns", len(cells), w.n)
	}
	w.line.Reset()
	w.line.WriteByte('{')
	for i, s := range cells {
		if i > 0 {
			w.line.WriteByte(',')
		}
		w.line.Write(w.keys[i])
		t := ColumnText
		if w.types != nil {
			t = w.types[i]
		}
		switch {
		case t != ColumnText && s == "":
			w.line.WriteString("null")
		case t == ColumnNumber && isJSONNumber(s):
			w.line.WriteString(s)
		case t == ColumnBool && (s == "true" || s == "false"):
			w.line.WriteString(s)
		case t == ColumnBool && strings.EqualFold(s, "true"):
			w.line.WriteString("true")
		case t == ColumnBool && strings.EqualFold(s, "false"):
			w.line.WriteString("false")
		default:
			w.string(s)
		}
	}
	w.line.WriteString("}\n")
	_, err := w.bw.Write(w.line.Bytes())
	return err
}

// Close flushes the buffered lines.
func (w *ndjsonWriter) Close() error { return w.bw.Flush() }

// isJSONNumber reports whether s is a number literal as JSON writes it
// (no leading +, no leading zeros, digits on both sides of the point).
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i == len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i == len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	return i == len(s)
}

// EscapeFormula returns s made safe to open in a spreadsheet (CSV formula
// injection, as OWASP describes it): a
// cell that starts with =, @, tab or CR, or with + or - not followed by a
// plain number or a phone number (-3, -12.5, +1 (800) 123-4567 x12 stay
// as they are), gets a ' in front. So does a cell that starts with ' itself:
// import takes a leading ' as a spreadsheet's text marker and drops it
// (customer.CellText), so the doubled one comes back as the one the data
// had.
//
// A cell whose text starts with ' after leading whitespace ("  ' x") gets
// one too: import trims the cell before it looks for the marker, so
// without it the ' would be taken for one.
func EscapeFormula(s string) string {
	if s == "" {
		return s
	}
	if t := strings.TrimLeftFunc(s, unicode.IsSpace); t != s && strings.HasPrefix(t, "'") {
		return "'" + s
	}
	switch s[0] {
	case '=', '@', '\t', '\r', '\'':
		return "'" + s
	case '+', '-':
		if isDecimalOrExponent(s) || isPhoneLike(s) {
			return s
		}
		return "'" + s
	}
	return s
}

// isDecimalOrExponent reports whether s is a decimal number with an optional
// sign and an optional exponent: 1234.5, -3, +0.25, .5, 7., 1e5. Any such
// cell is a number to a spreadsheet, so it is neither escaped as a formula
// nor kept as text by a typed writer. (The row rules' isPlainDecimal in
// batch refuses the exponent.)
func isDecimalOrExponent(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '+' || s[0] == '-' {
		s = s[1:]
	}
	digits := 0
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == j {
			return false
		}
	}
	return i == len(s)
}

// isPhoneLike reports whether s (starting with + or -) is a phone number:
// digits, spaces and ( ) - . / only, with an optional extension such as
// "x12" or "ext. 12" at the end. Such a cell can at worst be read as
// arithmetic, never as a function call.
func isPhoneLike(s string) bool {
	rest := s[1:]
	// An extension: trailing digits after x, ext or ext.
	if j := strings.LastIndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' }); j >= 0 && j < len(rest)-1 {
		head := strings.TrimRight(rest[:j+1], " ")
		lower := strings.ToLower(head)
		for _, suf := range []string{"ext.", "ext", "x"} {
			if strings.HasSuffix(lower, suf) {
				rest = strings.TrimRight(head[:len(head)-len(suf)], " ")
				break
			}
		}
	}
	digits := 0
	for i := 0; i < len(rest); i++ {
		switch c := rest[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == ' ' || c == '(' || c == ')' || c == '-' || c == '.' || c == '/':
		default:
			return false
		}
	}
	return digits > 0
}

// parseBool reads the booleans a typed writer accepts: true or false in
// any case.
func parseBool(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

// parseNumber reads a decimal cell for a typed writer; a number with more
// significant digits than a float64 keeps (15) stays text.
func parseNumber(s string) (float64, bool) {
	if !isDecimalOrExponent(s) {
		return 0, false
	}
	sig := 0
	for i := 0; i < len(s); i++ {
		if s[i] == 'e' || s[i] == 'E' {
			break
		}
		if s[i] >= '0' && s[i] <= '9' && (sig > 0 || s[i] != '0') {
			sig++
		}
	}
	if sig > 15 {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}
