package apiclient

import (
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// This file holds the hand-written JSON scanning behind the customer list:
// encoding/json's Decoder scans each element twice with a byte-at-a-time
// state machine (once to find its end, once more to hand it to
// UnmarshalJSON), which made it the bulk of an export's CPU time. The
// scanner below checks the whole JSON grammar (what encoding/json accepts,
// it accepts, and the reverse; see the differential tests) in one pass and
// notes where the top-level members of the object are, so that decoding a
// customer does not scan its bytes again.

// maxDepth is the nesting limit, the one encoding/json applies.
const maxDepth = 10000

// errNeedMore: the input ended inside the object. For a whole document
// that is an unexpected end; for a buffer of the list it means "read on".
var errNeedMore = errors.New("unexpected end of JSON input")

// syntaxError is a place where the input is not JSON.
type syntaxError struct {
	msg string
	off int // in the scanned bytes
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at offset %d: %s", e.off, e.msg)
}

// String flags, set by scanString.
const (
	strEscaped  = 1 << iota // holds a backslash escape
	strNonASCII             // holds a byte ≥ 0x80 (perhaps invalid UTF-8)
)

// member is where one member of an object is, in the scanned bytes.
type member struct {
	k0, k1 int // the name, quotes included
	v0, v1 int // the value
	kf, vf int // string flags of the name and (for a string) the value
}

// strStop marks the bytes that end the fast loop over a string's inside.
var strStop = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	for c := 0x80; c < 256; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// scanner checks JSON in b from i.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) fail(format string, args ...any) error {
	return &syntaxError{msg: fmt.Sprintf(format, args...), off: s.i}
}

// ws skips white space; errNeedMore at the end of the input (every
// caller needs a byte after it).
func (s *scanner) ws() error {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return nil
		}
	}
	return errNeedMore
}

// object scans the object at s.i, appending its top-level members to *ms
// when ms is not nil.
func (s *scanner) object(depth int, ms *[]member) error {
	if depth > maxDepth {
		return s.fail("exceeded max depth")
	}
	s.i++ // '{'
	if err := s.ws(); err != nil {
		return err
	}
	if s.b[s.i] == '}' {
		s.i++
		return nil
	}
	for {
		if err := s.ws(); err != nil {
			return err
		}
		if s.b[s.i] != '"' {
			return s.fail("invalid character %q looking for beginning of object key string", s.b[s.i])
		}
		k0 := s.i
		kf, err := s.scanString()
		if err != nil {
			return err
		}
		k1 := s.i
		if err := s.ws(); err != nil {
			return err
		}
		if s.b[s.i] != ':' {
			return s.fail("invalid character %q after object key", s.b[s.i])
		}
		s.i++
		if err := s.ws(); err != nil {
			return err
		}
		v0 := s.i
		vf, err := s.value(depth)
		if err != nil {
			return err
		}
		if ms != nil {
			*ms = append(*ms, member{k0: k0, k1: k1, v0: v0, v1: s.i, kf: kf, vf: vf})
		}
		if err := s.ws(); err != nil {
			return err
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		default:
			return s.fail("invalid character %q after object key:value pair", s.b[s.i])
		}
	}
}

func (s *scanner) array(depth int) error {
	if depth > maxDepth {
		return s.fail("exceeded max depth")
	}
	s.i++ // '['
	if err := s.ws(); err != nil {
		return err
	}
	if s.b[s.i] == ']' {
		s.i++
		return nil
	}
	for {
		if err := s.ws(); err != nil {
			return err
		}
		if _, err := s.value(depth); err != nil {
			return err
		}
		if err := s.ws(); err != nil {
			return err
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		default:
			return s.fail("invalid character %q after array element", s.b[s.i])
		}
	}
}

// value scans one value at s.i (not white space); for a string it
// returns the string flags.
func (s *scanner) value(depth int) (int, error) {
	if s.i >= len(s.b) {
		return 0, errNeedMore
	}
	switch c := s.b[s.i]; {
	case c == '"':
		return s.scanString()
	case c == '{':
		return 0, s.object(depth+1, nil)
	case c == '[':
		return 0, s.array(depth + 1)
	case c == 't':
		return 0, s.literal("true")
	case c == 'f':
		return 0, s.literal("false")
	case c == 'n':
		return 0, s.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return 0, s.number()
	default:
		return 0, s.fail("invalid character %q looking for beginning of value", c)
	}
}

func (s *scanner) literal(lit string) error {
	for j := 0; j < len(lit); j++ {
		if s.i >= len(s.b) {
			return errNeedMore
		}
		if s.b[s.i] != lit[j] {
			return s.fail("invalid character %q in literal %s (expecting %q)", s.b[s.i], lit, lit[j])
		}
		s.i++
	}
	return nil
}

// number scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func (s *scanner) number() error {
	b := s.b
	if b[s.i] == '-' {
		s.i++
	}
	if s.i >= len(b) {
		return errNeedMore
	}
	switch c := b[s.i]; {
	case c == '0':
		s.i++
	case c >= '1' && c <= '9':
		s.i++
		s.digits()
	default:
		return s.fail("invalid character %q in numeric literal", c)
	}
	if s.i < len(b) && b[s.i] == '.' {
		s.i++
		if err := s.needDigit(); err != nil {
			return err
		}
		s.digits()
	}
	if s.i < len(b) && (b[s.i] == 'e' || b[s.i] == 'E') {
		s.i++
		if s.i < len(b) && (b[s.i] == '+' || b[s.i] == '-') {
			s.i++
		}
		if err := s.needDigit(); err != nil {
			return err
		}
		s.digits()
	}
	return nil
}

func (s *scanner) needDigit() error {
	if s.i >= len(s.b) {
		return errNeedMore
	}
	if c := s.b[s.i]; c < '0' || c > '9' {
		return s.fail("invalid character %q in numeric literal", c)
	}
	return nil
}

func (s *scanner) digits() {
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
}

// scanString scans the string at s.i (at its opening quote).
func (s *scanner) scanString() (int, error) {
	b := s.b
	i := s.i + 1
	flags := 0
	for {
		for i < len(b) && !strStop[b[i]] {
			i++
		}
		if i >= len(b) {
			s.i = i
			return 0, errNeedMore
		}
		switch c := b[i]; {
		case c == '"':
			s.i = i + 1
			return flags, nil
		case c >= 0x80:
			flags |= strNonASCII
			i++
		case c == '\\':
			flags |= strEscaped
			if i+1 >= len(b) {
				s.i = i + 1
				return 0, errNeedMore
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				i += 2
				for range 4 {
					if i >= len(b) {
						s.i = i
						return 0, errNeedMore
					}
					if !isHex(b[i]) {
						s.i = i
						return 0, s.fail("invalid character %q in \\u hexadecimal character escape", b[i])
					}
					i++
				}
			default:
				s.i = i + 1
				return 0, s.fail("invalid character %q in string escape code", b[i+1])
			}
		default: // a control character
			s.i = i
			return 0, s.fail("invalid character %q in string literal", c)
		}
	}
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// appendUnquoted appends the text of the checked string literal q
// (quotes included) as encoding/json decodes it: escapes resolved, invalid
// UTF-8 and unpaired surrogates as U+FFFD.
func appendUnquoted(dst, q []byte, flags int) []byte {
	q = q[1 : len(q)-1]
	if flags&strEscaped == 0 && (flags&strNonASCII == 0 || utf8.Valid(q)) {
		return append(dst, q...)
	}
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == '\\':
			e := q[i+1]
			i += 2
			switch e {
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				r := hex4(q[i:])
				i += 4
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if i+6 <= len(q) && q[i] == '\\' && q[i+1] == 'u' {
						r2 = hex4(q[i+2:])
					}
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						i += 6
						r = dec
					} else {
						r = utf8.RuneError
					}
				}
				dst = utf8.AppendRune(dst, r)
			default: // '"', '\\', '/'
				dst = append(dst, e)
			}
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			i++
		default:
			r, size := utf8.DecodeRune(q[i:])
			if r == utf8.RuneError && size == 1 {
				dst = utf8.AppendRune(dst, utf8.RuneError)
			} else {
				dst = append(dst, q[i:i+size]...)
			}
			i += size
		}
	}
	return dst
}

// hex4 reads four checked hex digits.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		default:
			c = c - 'A' + 10
		}
		r = r<<4 | rune(c)
	}
	return r
}
