package formats

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// Input limits: a hostile or broken file costs a row error,
// never the machine.
const (
	maxCellBytes   = 64 << 10 // one cell
	maxRecordBytes = 1 << 20  // one record (CSV record, NDJSON line, XLSX row)
	sniffBytes     = 64 << 10 // how much --encoding auto looks at
	// maxSkipBytes is how far past the record limit a reader looks for
	// the end of an over-long line, to resume on the next one. A line
	// that is longer still is a fatal error: input with no line ends
	// (/dev/zero, a binary file) must not be read for ever.
	maxSkipBytes = 16 << 20
)

// errNoLineEnd is the fatal error for a line with no end in sight; line
// is the line number the line starts on, format the format option's name.
func errNoLineEnd(line int, format string) error {
	return fmt.Errorf("line %d has no line end in its first %d MiB (a record may be %d MiB at most); this is not a text file with one record per line: check that it is the right file and %s", line, (maxRecordBytes+maxSkipBytes)>>20, maxRecordBytes>>20, format)
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Encoding names accepted in ReaderOptions.Encoding.
const (
	encAuto    = "auto"
	encUTF8    = "utf-8"
	encCP1252  = "windows-1252"
	encLatin1  = "latin1"
	encInvalid = ""
)

func normalizeEncoding(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return encAuto
	case "utf-8", "utf8":
		return encUTF8
	case "windows-1252", "cp1252", "windows1252":
		return encCP1252
	case "latin1", "latin-1", "iso-8859-1", "iso8859-1":
		return encLatin1
	}
	return encInvalid
}

// countingReader counts the raw input bytes for ReaderOptions.Progress. It
// reports at most every 256 KiB (and at the end) so that a progress bar is
// not called per read.
type countingReader struct {
	r        io.Reader
	n, last  int64
	progress func(int64)
}

// Read reads from the source and reports the running count.
func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.progress != nil && c.n != c.last && (c.n-c.last >= 256<<10 || err != nil) {
		c.last = c.n
		c.progress(c.n)
	}
	return n, err
}

// newlineReader turns CRLF and lone CR into LF, in place, so that the
// parsers deal with one line end only and a quoted line break always
// reaches the cell as "\n".
type newlineReader struct {
	r  io.Reader
	cr bool // the previous Read ended with a CR (now LF): drop a leading LF
}

// Read reads from the source and rewrites line ends in p.
func (n *newlineReader) Read(p []byte) (int, error) {
	for {
		m, err := n.r.Read(p)
		if m == 0 {
			return 0, err
		}
		i := 0
		if n.cr && p[0] == '\n' {
			i = 1
		}
		n.cr = false
		k := bytes.IndexByte(p[i:m], '\r')
		if k < 0 && i == 0 {
			return m, err
		}
		w := 0
		for i < m {
			k := bytes.IndexByte(p[i:m], '\r')
			if k < 0 {
				w += copy(p[w:], p[i:m])
				break
			}
			w += copy(p[w:], p[i:i+k])
			p[w] = '\n'
			w++
			i += k + 1
			if i < m {
				if p[i] == '\n' {
					i++
				}
			} else {
				n.cr = true
			}
		}
		if w > 0 || err != nil {
			return w, err
		}
	}
}

// textSource is an input file prepared for the CSV and NDJSON parsers.
type textSource struct {
	r io.Reader // decoded, UTF-8, LF line ends, no BOM
	// checkUTF8 is true when the bytes reach the parser undecoded, so
	// that each record must be checked for invalid UTF-8.
	checkUTF8 bool
	// wantBOM is true when the input had a UTF-8 BOM or was decoded from
	// a single-byte encoding (see Dialect.BOM).
	wantBOM bool
	// names is ReaderOptions.OptionName, for the parsers' messages.
	names func(Option) string
}

// openText wraps src in byte counting, decoding and line-end
// normalisation. With encoding auto it decodes the whole input as
// Windows-1252 when its first 64 KiB are not valid UTF-8 (and says so
// through warn); a UTF-8 byte order mark settles the question for UTF-8.
func openText(src io.Reader, opts ReaderOptions, warn bool) (*textSource, error) {
	enc := normalizeEncoding(opts.Encoding)
	if enc == encInvalid {
		return nil, fmt.Errorf("unknown encoding %q; use %s auto, utf-8, windows-1252 or latin1", opts.Encoding, optionName(opts.OptionName, OptEncoding))
	}
	cr := &countingReader{r: src, progress: opts.Progress}
	br := bufio.NewReaderSize(cr, sniffBytes)
	head, err := br.Peek(sniffBytes)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("cannot read the input: %w", err)
	}
	atEOF := err != nil
	if utf16LE, utf16BE := bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}); utf16LE || utf16BE {
		if enc != encAuto {
			return nil, fmt.Errorf("the file is UTF-16 text (it starts with a UTF-16 byte order mark), not %s; leave out %s (auto reads UTF-16), or save it as UTF-8", enc, optionName(opts.OptionName, OptEncoding))
		}
		// Excel's "Unicode Text" (.txt): UTF-16LE with a byte order mark,
		// tab-separated. It is decoded here (the decoder takes the BOM
		// off; a lone surrogate reads as U+FFFD), so that it reads in one
		// go; the delimiter is sniffed as for any CSV.
		order := unicode.LittleEndian
		if utf16BE {
			order = unicode.BigEndian
		}
		r := unicode.UTF16(order, unicode.ExpectBOM).NewDecoder().Reader(br)
		return &textSource{r: &newlineReader{r: r}, wantBOM: true, names: opts.OptionName}, nil
	}
	if bytes.HasPrefix(head, []byte("PK\x03\x04")) {
		return nil, fmt.Errorf("the file is a zip archive, most likely an XLSX workbook saved under another extension; read it with %s xlsx (or rename it to .xlsx)", optionName(opts.OptionName, OptFormat))
	}
	hasBOM := bytes.HasPrefix(head, utf8BOM)
	if enc == encAuto {
		enc = encUTF8
		if !hasBOM && !validUTF8Prefix(head, atEOF) {
			enc = encCP1252
			if warn && opts.Warn != nil {
				encoding := optionName(opts.OptionName, OptEncoding)
				opts.Warn(fmt.Sprintf("the file is not valid UTF-8, so it was read as Windows-1252; if letters look wrong, use %s utf-8 or %s latin1", encoding, encoding))
			}
		}
	}
	var r io.Reader = br
	switch enc {
	case encUTF8:
		if hasBOM {
			_, _ = br.Discard(len(utf8BOM))
		}
	case encCP1252:
		r = charmap.Windows1252.NewDecoder().Reader(br)
	case encLatin1:
		r = charmap.ISO8859_1.NewDecoder().Reader(br)
	}
	return &textSource{r: &newlineReader{r: r}, checkUTF8: enc == encUTF8, wantBOM: hasBOM || enc != encUTF8, names: opts.OptionName}, nil
}

// validUTF8Prefix reports whether head is valid UTF-8, forgiving a rune cut
// in two by the end of the sniffed window.
func validUTF8Prefix(head []byte, atEOF bool) bool {
	if utf8.Valid(head) {
		return true
	}
	if atEOF {
		return false
	}
	// Find the start of the last rune (at most 3 bytes back) and check
	// whether it is merely incomplete.
	for i := len(head) - 1; i >= 0 && i >= len(head)-utf8.UTFMax; i-- {
		if !utf8.RuneStart(head[i]) {
			continue
		}
		if !utf8.FullRune(head[i:]) {
			return utf8.Valid(head[:i])
		}
		break
	}
	return false
}

// kib rounds a byte count up to KiB for messages.
func kib(n int) int { return (n + 1023) >> 10 }

// maxBinaryRows is how many rows that look binary may come with no
// readable row between them before reading stops (a variable so that
// tests can lower it). A text file damaged in places has a few such rows,
// each a row error; a binary file, a device (/dev/urandom) or a stream of
// garbage after a good header has nothing else, and would otherwise
// stream row errors without end. Rows that are merely unreadable (ragged,
// not JSON) but text neither count nor start the count again: random
// bytes make short lines of that kind too, and a file whose every row is
// ragged text is read to the end, each row an error.
var maxBinaryRows = 100

// binaryRun counts the rows that look binary (binaryCells, binaryText)
// since the last readable row, and gives the fatal error that stops the
// reader, which names the format option as format.
type binaryRun struct {
	n, first int
	format   string
}

// see records row num: binary says whether it looks binary, readable
// whether it was read as a row (no Row.Err). It returns the error that
// ends reading once maxBinaryRows binary rows came since the last
// readable one.
func (b *binaryRun) see(num int, binary, readable bool, kind string) error {
	switch {
	case readable && !binary:
		b.n = 0
		return nil
	case !binary:
		return nil
	}
	if b.n == 0 {
		b.first = num
	}
	if b.n++; b.n < maxBinaryRows {
		return nil
	}
	return fmt.Errorf("lines %d to %d are not text (%d of them have NUL or other control characters, or bytes that are not valid UTF-8, and none can be read as a row): this looks like a binary file or a device, not %s; reading stopped at line %d. Check that it is the right file and %s", b.first, num, b.n, kind, num, b.format)
}

// binaryText reports whether s holds a character no text cell has: a
// C0 control other than tab, line feed and carriage return, DEL, a C1
// control (bytes 0x80-0x9F read as Latin-1), or U+FFFD (a byte that was
// not valid UTF-8).
func binaryText(s string) bool {
	for _, c := range s {
		switch {
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r',
			c >= 0x7F && c <= 0x9F,
			c == utf8.RuneError:
			return true
		}
	}
	return false
}

// binaryCells reports whether most of a row's non-blank cells (at least
// half, and at least one) look binary.
func binaryCells(cells []string) bool {
	filled, binary := 0, 0
	for _, c := range cells {
		if strings.TrimSpace(c) == "" {
			continue
		}
		filled++
		if binaryText(c) {
			binary++
		}
	}
	return binary > 0 && 2*binary >= filled
}

// QuoteName quotes a column name for a message (Go %q style, so that
// control characters show), cut to 60 characters.
func QuoteName(s string) string {
	if r := []rune(s); len(r) > 60 {
		return fmt.Sprintf("%q…", string(r[:60]))
	}
	return fmt.Sprintf("%q", s)
}
