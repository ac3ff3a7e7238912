package formats

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// csvReader is a CSV/TSV parser written for messy files rather than
// encoding/csv: it must number rows by physical line, keep going after a
// broken record, and resynchronise after a runaway quote, none of which
// encoding/csv can do.
//
// The parser works line by line on its own buffer. The bytes of the record
// being parsed stay in the buffer (fill moves them to the front, it never
// drops them), so that when a quote turns out never to be closed the
// reader can go back to the line after the quote and read on from there.
type csvReader struct {
	src    io.Reader
	closer io.Closer

	buf      []byte
	end      int  // buf[:end] holds input
	eof      bool // src is exhausted (readErr holds a non-EOF failure)
	readErr  error
	pos      int // parse cursor
	recStart int // first byte of the current record, kept by fill
	qLineEnd int // offset of the '\n' ending the current quote's line, -1 until passed
	line     int // physical line number of buf[pos]

	delim     byte
	checkUTF8 bool
	dialect   Dialect
	header    []string
	width     int

	// The current record: cell bytes back to back, ends[i] is the end of
	// cell i in rec.
	rec     []byte
	ends    []int
	recLine int
	problem *RowError

	// Footer (ReaderOptions.FooterRows): rows read ahead and not given
	// back yet, an error to give back after them, and the notice.
	footerRows int
	pending    []Row
	pendingErr error
	blankGap   bool // blank lines came before the row next returned
	warn       func(string)
	names      func(Option) string // ReaderOptions.OptionName
	// binary stops reading after maxBinaryRows rows in a row that look
	// binary (a device, a binary file after a good header).
	binary binaryRun
}

// maxFooterLines is how many one-cell lines after a blank line the reader
// reads ahead to tell a footer ("Grand Totals (8 records)", a copyright
// line) from rows.
const maxFooterLines = 10

const (
	csvInitialBuffer = 64 << 10
	csvMaxBuffer     = maxRecordBytes + 64<<10
)

// newCSVReader reads the header (the first non-blank record) and settles
// the delimiter: opts.Delimiter, else tab for TSV, else a "sep=X" first
// line as Excel writes it, else the candidate among , ; tab | that occurs
// most often outside quotes in the header line (comma on a tie or none).
func newCSVReader(src *textSource, closer io.Closer, opts ReaderOptions, format string) (*csvReader, error) {
	r := &csvReader{
		src:       src.r,
		closer:    closer,
		buf:       make([]byte, csvInitialBuffer),
		line:      1,
		qLineEnd:  -1,
		checkUTF8: src.checkUTF8,
		names:     src.names,
		binary:    binaryRun{format: optionName(src.names, OptFormat)},
	}
	r.footerRows, r.warn = opts.FooterRows, opts.Warn
	if err := r.skipBlankLines(); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errEmptyFile
		}
		return nil, fmt.Errorf("cannot read the input: %w", err)
	}
	if err := r.skipPreamble(opts, format); err != nil {
		return nil, err
	}
	switch {
	case opts.Delimiter != 0:
		if opts.Delimiter > utf8.RuneSelf-1 || opts.Delimiter == '"' || opts.Delimiter == '\n' || opts.Delimiter == '\r' {
			return nil, fmt.Errorf("the delimiter %q cannot be used; give one ASCII character other than a quote or a line break, such as , ; | or tab", opts.Delimiter)
		}
		r.delim = byte(opts.Delimiter)
	case format == FormatTSV:
		r.delim = '\t'
	default:
		nl, _, _ := r.lineEnd()
		line := r.buf[r.pos:nl]
		if d, ok := sepLine(line); ok {
			r.delim = d
			r.pos = min(nl+1, r.end)
			r.line++
			if err := r.skipBlankLines(); err != nil {
				if errors.Is(err, io.EOF) {
					return nil, errEmptyFile
				}
				return nil, fmt.Errorf("cannot read the input: %w", err)
			}
		} else {
			r.delim = sniffDelimiter(line)
		}
	}

	if err := r.readRecord(); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errEmptyFile
		}
		return nil, fmt.Errorf("cannot read the input: %w", err)
	}
	if r.problem != nil {
		return nil, fmt.Errorf("cannot read the header on line %d: %v; fix the first line of the file", r.recLine, r.problem.Err)
	}
	s := string(r.rec)
	start := 0
	for _, e := range r.ends {
		r.header = append(r.header, strings.TrimSpace(strings.ToValidUTF8(s[start:e], "\uFFFD")))
		start = e
	}
	// Trailing columns without a name (a trailing delimiter on the
	// header line, as spreadsheets often write) are not columns.
	for len(r.header) > 0 && r.header[len(r.header)-1] == "" {
		r.header = r.header[:len(r.header)-1]
	}
	if len(r.header) == 0 {
		return nil, fmt.Errorf("the header on line %d has no column names; the first line must name the columns, for example name,email", r.recLine)
	}
	r.width = len(r.header)
	r.dialect = Dialect{Delimiter: rune(r.delim), BOM: src.wantBOM}
	return r, nil
}

var errEmptyFile = errors.New("the file is empty: it has no header line; the first line must name the columns, for example name,email")

// sepLine recognises Excel's "sep=;" hint line.
func sepLine(line []byte) (byte, bool) {
	if len(line) == 5 && strings.EqualFold(string(line[:4]), "sep=") {
		switch d := line[4]; d {
		case ',', ';', '\t', '|':
			return d, true
		}
	}
	return 0, false
}

func sniffDelimiter(line []byte) byte {
	var counts [4]int
	cands := [4]byte{',', ';', '\t', '|'}
	inQuote := false
	for _, c := range line {
		if c == '"' {
			inQuote = !inQuote
			continue
		}
		if inQuote {
			continue
		}
		for i, d := range cands {
			if c == d {
				counts[i]++
			}
		}
	}
	best := 0
	for i := 1; i < len(cands); i++ {
		if counts[i] > counts[best] {
			best = i
		}
	}
	return cands[best]
}

// Header returns the trimmed column names. Trailing unnamed columns are
// dropped; an unnamed column in the middle keeps the name "".
func (r *csvReader) Header() []string { return r.header }

// Close closes the underlying file, if the reader opened it.
func (r *csvReader) Close() error {
	if r.closer == nil {
		return nil
	}
	c := r.closer
	r.closer = nil
	return c.Close()
}

// Next returns the next row, leaving out a footer: with FooterRows > 0
// the last FooterRows rows, with FooterRows == 0 one-cell lines after a
// blank line at the end of a file whose header has several columns (at
// most maxFooterLines of them). A footer left out is named in a notice.
func (r *csvReader) Next() (Row, error) {
	if len(r.pending) > 0 && (r.footerRows <= 0 || len(r.pending) > r.footerRows) {
		row := r.pending[0]
		r.pending = r.pending[1:]
		return row, nil
	}
	if r.pendingErr != nil {
		return Row{}, r.pendingErr
	}
	switch {
	case r.footerRows > 0:
		// Keep FooterRows rows read ahead: at the end they are the footer.
		for len(r.pending) <= r.footerRows {
			row, err := r.next()
			if errors.Is(err, io.EOF) {
				r.footerNotice(r.pending)
				r.pending = nil
				r.pendingErr = io.EOF
				return Row{}, io.EOF
			}
			if err != nil {
				return Row{}, err
			}
			r.pending = append(r.pending, row)
		}
		return r.Next()
	case r.footerRows < 0 || r.width < 2:
		return r.next()
	}
	row, err := r.next()
	if err != nil || !r.blankGap || !oneCell(row) {
		return row, err
	}
	// A footer may start here: read on while the lines are one cell.
	cand := []Row{row}
	for len(cand) < maxFooterLines {
		next, err := r.next()
		if errors.Is(err, io.EOF) {
			r.footerNotice(cand)
			return Row{}, io.EOF
		}
		if err != nil || !oneCell(next) {
			r.pending, r.pendingErr = append(cand[1:], next), err
			if err != nil {
				r.pending = cand[1:]
			}
			return cand[0], nil
		}
		cand = append(cand, next)
	}
	r.pending = cand[1:]
	return cand[0], nil
}

// oneCell reports whether a row has one non-blank cell at most.
func oneCell(row Row) bool {
	n := 0
	for _, c := range row.Cells {
		if strings.TrimSpace(c) != "" {
			n++
		}
	}
	return n <= 1
}

// footerNotice names the footer lines left out.
func (r *csvReader) footerNotice(rows []Row) {
	if len(rows) == 0 || r.warn == nil {
		return
	}
	var texts []string
	for _, row := range rows {
		for _, c := range row.Cells {
			if c = strings.TrimSpace(c); c != "" {
				if len(texts) < 3 {
					texts = append(texts, QuoteName(c))
				}
				break
			}
		}
	}
	if len(rows) > 3 {
		texts = append(texts, "…")
	}
	what := fmt.Sprintf("line %d", rows[0].Num)
	if len(rows) > 1 {
		what = fmt.Sprintf("lines %d to %d", rows[0].Num, rows[len(rows)-1].Num)
	}
	r.warn(fmt.Sprintf("%s after the data (%s) are a footer, not rows: left out; if they are rows, give %s 0", what, strings.Join(texts, ", "), optionName(r.names, OptFooterRows)))
}

// next returns the next non-blank record. Row.Cells is a fresh slice for
// every row. Records whose cells are all blank are skipped.
func (r *csvReader) next() (Row, error) {
	r.blankGap = false
	for {
		before := r.line
		if err := r.readRecord(); err != nil {
			return Row{}, err
		}
		if r.recLine > before {
			r.blankGap = true
		}
		if r.readErr != nil {
			// The input failed while this record was read: it may be cut
			// short, so it is not a row (a truncated gzip stream).
			return Row{}, fmt.Errorf("line %d: %w", r.recLine, r.readErr)
		}
		if r.problem == nil && isBlank(r.rec) {
			r.blankGap = true
			continue
		}
		if r.problem == nil {
			r.checkWidth()
		}
		row := Row{Num: r.recLine, Cells: r.cells()}
		if r.problem != nil {
			row.Err = r.problem
		}
		// The cells of the whole record, cut or not, tell binary input;
		// row.Cells is cut to the header width.
		binary := binaryCells(row.Cells) || len(r.ends) > r.width && binaryText(string(r.rec))
		if err := r.binary.see(row.Num, binary, row.Err == nil, "a CSV file"); err != nil {
			return Row{}, err
		}
		return row, nil
	}
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\n' {
			return false
		}
	}
	return true
}

// checkWidth turns a record with more or fewer cells than the header into
// a row error. Extra cells that are all blank (a trailing delimiter) are
// harmless and dropped.
func (r *csvReader) checkWidth() {
	n := len(r.ends)
	switch {
	case n > r.width:
		if isBlank(r.rec[r.ends[r.width-1]:]) {
			return
		}
		r.setProblem(-1, fmt.Errorf("has %s but the header has %s; check for an unquoted %s in a cell (a cell that contains it must be in double quotes)", Plural(n, "cell"), Plural(r.width, "column"), delimName(r.delim)))
	case n < r.width:
		r.setProblem(-1, fmt.Errorf("has %s but the header has %s; check for a missing %s or a line break inside an unquoted cell", Plural(n, "cell"), Plural(r.width, "column"), delimName(r.delim)))
	}
}

func delimName(d byte) string {
	if d == '\t' {
		return "tab"
	}
	return fmt.Sprintf("%q", string(d))
}

// cells cuts the record into a fresh []string padded or cut to the header
// width, with one allocation for all the text.
func (r *csvReader) cells() []string {
	cells := make([]string, r.width)
	invalid := r.checkUTF8 && !utf8.Valid(r.rec)
	s := string(r.rec)
	start := 0
	for i, e := range r.ends {
		if i >= r.width {
			break
		}
		cells[i] = s[start:e]
		start = e
	}
	if invalid {
		col := -1
		for i, c := range cells {
			if !utf8.ValidString(c) {
				if col < 0 {
					col = i
				}
				cells[i] = strings.ToValidUTF8(c, "\uFFFD")
			}
		}
		r.setProblem(col, fmt.Errorf("contains bytes that are not valid UTF-8; save the file as UTF-8 or give %s windows-1252 or latin1", optionName(r.names, OptEncoding)))
	}
	return cells
}

// setProblem records the first problem of the record; col < 0 means the
// whole row.
func (r *csvReader) setProblem(col int, err error) {
	if r.problem != nil {
		return
	}
	r.problem = &RowError{Row: r.recLine, Field: r.colName(col), Err: err}
}

func (r *csvReader) colName(col int) string {
	switch {
	case col < 0:
		return ""
	case col < len(r.header) && r.header[col] != "":
		return r.header[col]
	}
	return fmt.Sprintf("column %d", col+1)
}

// fill reads more input after buf[:end], first moving the current record
// to the front of the buffer (or growing it). It returns false when no
// byte was added: end of input, a read error, or a record that has filled
// the largest buffer allowed.
func (r *csvReader) fill() bool {
	if r.eof {
		return false
	}
	if s := r.recStart; s > 0 {
		r.end = copy(r.buf, r.buf[s:r.end])
		r.pos -= s
		r.recStart = 0
		if r.qLineEnd >= 0 {
			r.qLineEnd -= s
		}
	}
	if r.end == len(r.buf) {
		if len(r.buf) >= csvMaxBuffer {
			return false
		}
		nb := make([]byte, min(2*len(r.buf), csvMaxBuffer))
		copy(nb, r.buf[:r.end])
		r.buf = nb
	}
	for {
		n, err := r.src.Read(r.buf[r.end:])
		r.end += n
		if err != nil {
			r.eof = true
			if !errors.Is(err, io.EOF) {
				r.readErr = err
			}
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
}

// lineEnd returns the offset of the '\n' that ends the line at r.pos,
// reading input as needed (r.pos may move when the buffer is compacted).
// At the end of input without a final newline it returns r.end and
// hasNL false. ok is false when the line does not fit in the buffer.
func (r *csvReader) lineEnd() (nl int, hasNL, ok bool) {
	scanned := r.pos
	for {
		if k := bytes.IndexByte(r.buf[scanned:r.end], '\n'); k >= 0 {
			return scanned + k, true, true
		}
		scanned = r.end
		before := r.pos
		if !r.fill() {
			return r.end, false, r.eof
		}
		scanned -= before - r.pos
	}
}

// skipPreamble moves to the header line: line opts.HeaderRow when given;
// otherwise, when the first line names no field (LinkedIn's "Notes:", a
// report's title "Customers, 2026-01-01"), the first line within
// maxPreambleLines two or more of whose cells name fields, provided
// every line before it has fewer cells and names none. Cells
// are cut at the delimiter the file is read with when it is known
// (opts.Delimiter, tab for TSV), else at each line's likeliest. A notice
// says where the header was found.
func (r *csvReader) skipPreamble(opts ReaderOptions, format string) error {
	if opts.HeaderRow > 0 {
		for r.line < opts.HeaderRow {
			nl, hasNL, ok := r.lineEnd()
			if !ok || !hasNL {
				return fmt.Errorf("%s %d: the file ends on line %d", optionName(opts.OptionName, OptHeaderRow), opts.HeaderRow, r.line)
			}
			r.pos = nl + 1
			r.line++
			r.recStart = r.pos
		}
		return r.skipBlankLines()
	}
	var fixed byte
	switch {
	case opts.Delimiter > 0 && opts.Delimiter < utf8.RuneSelf:
		fixed = byte(opts.Delimiter)
	case format == FormatTSV:
		fixed = '\t'
	}
	// Look at the first lines as they are in the buffer.
	for r.end-r.pos < sniffBytes && !r.eof && r.fill() {
	}
	data := r.buf[r.pos:r.end]
	skip, first := 0, ""
	pre := preamble{known: opts.KnownColumn}
	for n := 0; n <= maxPreambleLines && len(data) > 0; n++ {
		line := data
		if k := bytes.IndexByte(data, '\n'); k >= 0 {
			line, data = data[:k], data[k+1:]
		} else {
			data = nil
		}
		if _, sep := sepLine(line); sep || bytes.Count(line, []byte{'"'})%2 != 0 {
			return nil // Excel's "sep=" line, or a quoted line break: not worth guessing
		}
		d := fixed
		if d == 0 {
			d = sniffDelimiter(line)
		}
		found, stop := pre.next(splitLine(line, d))
		if stop {
			return nil
		}
		if n == 0 {
			sep := string(d) + " " // the line's cells as written, trimmed
			if d == '\t' {
				sep = " "
			}
			first = strings.Join(pre.first, sep)
		}
		if found {
			skip = n
			break
		}
	}
	if skip == 0 {
		return nil
	}
	for k := 0; k < skip; k++ {
		nl, _, _ := r.lineEnd()
		r.pos = nl + 1
		r.line++
		r.recStart = r.pos
	}
	if opts.Warn != nil {
		lines := fmt.Sprintf("the %d lines before it (%s) are", r.line-1, QuoteName(first))
		if r.line == 2 {
			lines = fmt.Sprintf("the line before it (%s) is", QuoteName(first))
		}
		opts.Warn(fmt.Sprintf("the header is on line %d: %s not a header and left out; if the header is on another line, give %s N", r.line, lines, optionName(opts.OptionName, OptHeaderRow)))
	}
	return nil
}

// splitLine cuts one line into cells at d outside double quotes, with the
// quotes removed (enough to judge a line, not to read a record).
func splitLine(line []byte, d byte) []string {
	var cells []string
	var cur []byte
	inQuote := false
	for _, c := range line {
		switch {
		case c == '"':
			inQuote = !inQuote
		case c == d && !inQuote:
			cells = append(cells, string(cur))
			cur = cur[:0]
		default:
			cur = append(cur, c)
		}
	}
	return append(cells, string(cur))
}

// skipBlankLines moves past empty lines; io.EOF when nothing is left.
func (r *csvReader) skipBlankLines() error {
	for {
		r.recStart = r.pos
		for r.pos == r.end {
			if !r.fill() {
				if r.readErr != nil {
					return r.readErr
				}
				return io.EOF
			}
		}
		if r.buf[r.pos] != '\n' {
			return nil
		}
		r.pos++
		r.line++
	}
}

// readRecord parses the next record into rec/ends, setting recLine and
// problem. It returns io.EOF after the last record.
func (r *csvReader) readRecord() error {
	if err := r.skipBlankLines(); err != nil {
		return err
	}
	r.recLine = r.line
	r.rec = r.rec[:0]
	r.ends = r.ends[:0]
	r.problem = nil
	r.qLineEnd = -1
	nl, hasNL, ok := r.lineEnd()
	if !ok || nl-r.pos > maxRecordBytes {
		r.setProblem(-1, fmt.Errorf("the record is longer than %d MiB, the limit; check for a missing line break", maxRecordBytes>>20))
		return r.skipLine()
	}
	r.parseFields(nl, hasNL)
	return nil
}

// skipLine drops input up to and including the next '\n'. A line with
// no end within maxSkipBytes more is a fatal error.
func (r *csvReader) skipLine() error {
	skipped := 0
	for {
		if k := bytes.IndexByte(r.buf[r.pos:r.end], '\n'); k >= 0 {
			r.pos += k + 1
			r.line++
			return nil
		}
		skipped += r.end - r.pos
		if skipped > maxRecordBytes+maxSkipBytes {
			return errNoLineEnd(r.recLine, r.binary.format)
		}
		r.pos = r.end
		r.recStart = r.pos
		if !r.fill() {
			r.line++
			return nil
		}
	}
}

// parseFields parses the cells of the record that starts at r.pos on the
// line ending at nl.
func (r *csvReader) parseFields(nl int, hasNL bool) {
	d := r.delim
	for {
		fieldStart := len(r.rec)
		if r.pos < nl && r.buf[r.pos] == '"' {
			var done bool
			nl, hasNL, done = r.parseQuoted(nl, hasNL, fieldStart)
			if done {
				return
			}
		} else {
			line := r.buf[r.pos:nl]
			if k := bytes.IndexByte(line, d); k >= 0 {
				r.rec = append(r.rec, line[:k]...)
				r.pos += k
			} else {
				r.rec = append(r.rec, line...)
				r.pos = nl
			}
		}
		r.endField(fieldStart)
		if r.pos < nl { // at a delimiter
			r.pos++
			continue
		}
		r.pos = nl
		if hasNL {
			r.pos++
		}
		r.line++
		return
	}
}

func (r *csvReader) endField(fieldStart int) {
	r.ends = append(r.ends, len(r.rec))
	if n := len(r.rec) - fieldStart; n > maxCellBytes {
		r.setProblem(len(r.ends)-1, fmt.Errorf("cell is %d KiB; the limit is %d KiB", kib(n), maxCellBytes>>10))
	}
}

// parseQuoted parses a quoted cell starting at r.pos, possibly over
// several lines. It leaves r.pos on the delimiter or line end after the
// cell and returns the line end it reached. done is true when the record
// has been finished by the runaway-quote recovery.
func (r *csvReader) parseQuoted(nl int, hasNL bool, fieldStart int) (int, bool, bool) {
	qLine := r.line
	qPos := r.pos - r.recStart // relative: fill may move the record
	r.qLineEnd = -1            // a previous quoted cell may have set it
	i := r.pos + 1
	for {
		seg := r.buf[i:nl]
		k := bytes.IndexByte(seg, '"')
		if k < 0 {
			r.rec = append(r.rec, seg...)
			if !hasNL {
				r.runaway(qLine, qPos, fieldStart, nl)
				return 0, false, true
			}
			// The cell goes on past this line.
			if r.qLineEnd < 0 {
				r.qLineEnd = nl
			}
			r.rec = append(r.rec, '\n')
			r.pos = nl + 1
			r.line++
			var ok bool
			nl, hasNL, ok = r.lineEnd()
			if !ok || nl-r.recStart > maxRecordBytes {
				r.runaway(qLine, qPos, fieldStart, 0)
				return 0, false, true
			}
			i = r.pos
			continue
		}
		r.rec = append(r.rec, seg[:k]...)
		i += k + 1
		if i < nl && r.buf[i] == '"' { // "" is one quote
			r.rec = append(r.rec, '"')
			i++
			continue
		}
		if i == nl || r.buf[i] == r.delim {
			r.pos = i
			return nl, hasNL, false
		}
		// A quote followed by text. On a later line than the opening
		// quote, that quote was most likely never closed; on the same line
		// it is a stray quote inside the cell.
		if r.line != qLine {
			r.runaway(qLine, qPos, fieldStart, 0)
			return 0, false, true
		}
		r.setProblem(len(r.ends), fmt.Errorf("the quoted cell that starts on line %d has text after its closing quote; inside a quoted cell write a quote as two quotes (\"\")", qLine))
		r.rec = append(r.rec, '"')
		rest := r.buf[i:nl]
		if k := bytes.IndexByte(rest, r.delim); k >= 0 {
			r.rec = append(r.rec, rest[:k]...)
			r.pos = i + k
		} else {
			r.rec = append(r.rec, rest...)
			r.pos = nl
		}
		return nl, hasNL, false
	}
}

// runaway ends the record at the end of the line where an unclosed quote
// opened: that line, from the quote on, is taken as plain cells, and
// reading goes on with the next line, so that one stray quote costs one
// row rather than the rest of the file. lastNL is the quote line's end
// when the quote opened on the last line of the input.
func (r *csvReader) runaway(qLine, qPos, fieldStart, lastNL int) {
	r.setProblem(len(r.ends), fmt.Errorf("the quote opened on line %d is never closed; add the closing quote, or write a quote inside a cell as two quotes (\"\")", qLine))
	r.rec = r.rec[:fieldStart]
	start := r.recStart + qPos
	end, hasNL := lastNL, false
	if r.qLineEnd >= 0 {
		end, hasNL = r.qLineEnd, true
	}
	line := r.buf[start:end]
	for {
		fs := len(r.rec)
		k := bytes.IndexByte(line, r.delim)
		if k < 0 {
			r.rec = append(r.rec, line...)
			r.endField(fs)
			break
		}
		r.rec = append(r.rec, line[:k]...)
		r.endField(fs)
		line = line[k+1:]
	}
	r.pos = end
	if hasNL {
		r.pos++
	}
	r.line = qLine + 1
	r.qLineEnd = -1
}

// plural renders "1 cell", "2 cells".
// Plural writes n and noun, with an s unless n is 1: "3 rows".
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
