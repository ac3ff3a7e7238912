package formats

import (
	"bytes"
	"errors"
	"io"
	"unicode/utf8"
)

// Limits of the XLSX part reader (see xmlLimitReader).
const (
	// xmlTextLimit is the most text between two tags that reaches the
	// XML decoder; the rest of the run is dropped and the cut is flagged.
	// It is well above a 64 KiB cell even when every character is
	// written as an entity (&quot; is 6 bytes for 1).
	xmlTextLimit = 1 << 20
	// xmlTokenLimit bounds the bytes of any one token (tag, comment,
	// CDATA section): past it the part is unreadable.
	xmlTokenLimit = 4 << 20
)

var errXMLTokenTooLong = errors.New("it holds an XML element, comment or CDATA section over 4 MiB, which no spreadsheet program writes")

// xmlLimitReader bounds what encoding/xml holds in memory for one token:
// the decoder buffers a whole text node, so a 900 MiB cell (a few hundred
// KiB zipped) would otherwise cost gigabytes before the cell limit could
// be applied.
//
// Text between tags longer than xmlTextLimit is cut: the decoder gets its
// first xmlTextLimit bytes (ending on a whole character and a whole entity
// reference), then the next '<', and Cut reports it, so the cell costs a
// row error. Any token longer than xmlTokenLimit (a huge attribute, CDATA
// section or comment, where cutting could change the document's
// structure) fails the decoder with errXMLTokenTooLong.
//
// It implements io.ByteReader, which the decoder then reads byte by byte
// without a buffer of its own, so Cut is exact for the token just
// returned. StartToken must be called before each Decoder.RawToken.
type xmlLimitReader struct {
	r    io.Reader
	buf  []byte
	i, n int
	err  error

	state  uint8
	quote  byte // inside a tag: the open attribute quote, or 0
	run    int  // text bytes since the last markup
	entity int  // >0 inside an entity reference: its bytes so far
	token  int  // bytes since StartToken
	cut    bool
}

const (
	xmlInText    = iota
	xmlAfterLT   // just read '<'
	xmlInTag     // start or end tag
	xmlInSpecial // <! or <? construct: comment, CDATA, doctype, instruction
)

func newXMLLimitReader(r io.Reader) *xmlLimitReader {
	return &xmlLimitReader{r: r, buf: make([]byte, 64<<10)}
}

// StartToken starts the count of a new token.
func (x *xmlLimitReader) StartToken() {
	x.token = 0
	x.cut = false
	if x.state == xmlInSpecial { // the decoder has read it to its end
		x.state, x.run = xmlInText, 0
	}
}

// Cut reports whether the text of the token read since StartToken was
// cut short.
func (x *xmlLimitReader) Cut() bool { return x.cut }

func (x *xmlLimitReader) fill() bool {
	for x.i == x.n {
		if x.err != nil {
			return false
		}
		x.n, x.err = x.r.Read(x.buf)
		x.i = 0
	}
	return true
}

// ReadByte returns the next byte for the decoder.
func (x *xmlLimitReader) ReadByte() (byte, error) {
	if !x.fill() {
		return 0, x.err
	}
	b := x.buf[x.i]
	if x.state == xmlInText && b != '<' && x.run >= xmlTextLimit && x.entity == 0 && utf8.RuneStart(b) {
		x.cut = true
		for { // drop the rest of the text, up to the next '<'
			if k := bytes.IndexByte(x.buf[x.i:x.n], '<'); k >= 0 {
				x.i += k
				break
			}
			x.i = x.n
			if !x.fill() {
				return 0, x.err
			}
		}
		b = '<'
	}
	x.i++
	if x.token++; x.token > xmlTokenLimit {
		x.err = errXMLTokenTooLong
		return 0, x.err
	}
	switch x.state {
	case xmlInText:
		switch {
		case b == '<':
			x.state, x.run, x.entity = xmlAfterLT, 0, 0
		case b == '&':
			x.run++
			x.entity = 1
		default:
			x.run++
			if x.entity > 0 {
				if x.entity++; b == ';' || x.entity > 32 {
					x.entity = 0
				}
			}
		}
	case xmlAfterLT:
		if b == '!' || b == '?' {
			x.state = xmlInSpecial
		} else {
			x.state, x.quote = xmlInTag, 0
		}
	case xmlInTag:
		switch {
		case x.quote != 0:
			if b == x.quote {
				x.quote = 0
			}
		case b == '"' || b == '\'':
			x.quote = b
		case b == '>':
			x.state = xmlInText
		}
	}
	return b, nil
}

// Read is for io.Reader; the decoder uses ReadByte.
func (x *xmlLimitReader) Read(p []byte) (int, error) {
	for n := range p {
		b, err := x.ReadByte()
		if err != nil {
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
		p[n] = b
	}
	return len(p), nil
}
