package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
)

// maxElement bounds the bytes one list element may take, so that a
// malformed response cannot make the decoder buffer without limit.
const maxElement = 16 << 20

// ListCustomers streams every customer of the tenant: the JSON array is
// decoded element by element as it arrives, so memory does not grow with
// the number of customers. Each customer comes with a nil error; a failure
// comes as one final (Customer{}, err) pair, after which the sequence ends.
// A response that breaks off before the closing "]" is an error, never a
// silently short list. The GET is retried per ShouldRetry only while no
// customer has been yielded; after that a failure ends the sequence (the
// caller decides whether to start over). Stopping the range early closes
// the connection. Nothing is sent until the sequence is ranged over; each
// range sends a new request. The yield function runs on the caller's
// goroutine; time spent in it does not count against the timeout.
// Customers are decoded as by Customer.UnmarshalJSON, each with its own
// copy of Raw.
func (c *Client) ListCustomers(ctx context.Context) iter.Seq2[Customer, error] {
	return func(yield func(Customer, error) bool) {
		c.list(ctx, func(raw []byte, ms []member) bool {
			var cu Customer
			cu.decode(bytes.Clone(raw), ms)
			return yield(cu, nil)
		}, func(err error) { yield(Customer{}, err) })
	}
}

// ListRaw is ListCustomers for consumers that want the objects as sent
// (an NDJSON export): it yields each element of the list, a JSON object
// checked as encoding/json would, without decoding it; use
// Customer.UnmarshalJSON for the ones whose fields are needed. The bytes
// alias a buffer that is reused: they are valid only until yield returns,
// so copy them to keep them. Requests, retries and errors are those of
// ListCustomers; a failure comes as a final (nil, err) pair.
func (c *Client) ListRaw(ctx context.Context) iter.Seq2[json.RawMessage, error] {
	return func(yield func(json.RawMessage, error) bool) {
		c.list(ctx, func(raw []byte, _ []member) bool {
			return yield(raw, nil)
		}, func(err error) { yield(nil, err) })
	}
}

// list sends GET /customers and calls emit for each element until it
// returns false; a failure goes to fail.
func (c *Client) list(ctx context.Context, emit func(raw []byte, ms []member) bool, fail func(error)) {
	stopped := false
	read := func(resp *http.Response) error {
		n, err := scanList(resp.Body, func(raw []byte, ms []member) bool {
			if !emit(raw, ms) {
				stopped = true
				return false
			}
			return true
		})
		switch {
		case stopped:
			return errStopped
		case err != nil && n > 0:
			return finalError{fmt.Errorf("the list broke off after %d customers: %w", n, err)}
		case err != nil && isMalformed(err):
			return finalError{fmt.Errorf("reading the list: %w", err)}
		case err != nil:
			return fmt.Errorf("reading the list: %w", err)
		}
		return nil
	}
	err := c.call(ctx, request{method: http.MethodGet, path: "/customers", stream: true}, read)
	if err != nil && !stopped {
		fail(err)
	}
}

// decodeList decodes a JSON array of customer objects from r, calling emit
// for each until it returns false. It returns how many were emitted and
// the first error; a missing "]" is io.ErrUnexpectedEOF.
func decodeList(r io.Reader, emit func(Customer) bool) (int, error) {
	return scanList(r, func(raw []byte, ms []member) bool {
		var cu Customer
		cu.decode(bytes.Clone(raw), ms)
		return emit(cu)
	})
}

// scanList reads a JSON array of objects from r, calling emit with each
// element (aliasing a reused buffer) and its members until emit returns
// false. It returns how many were emitted and the first error; a missing
// "]" is io.ErrUnexpectedEOF, JSON that is not an array of objects a
// malformedError. After "]" only white space may follow; a transport
// error there is ignored: the list is complete.
func scanList(r io.Reader, emit func(raw []byte, ms []member) bool) (int, error) {
	l := listReader{r: r, buf: make([]byte, listBuffer)}
	c, err := l.peek()
	if err != nil {
		return 0, eofIsUnexpected(err)
	}
	if c != '[' {
		return 0, malformedError{fmt.Sprintf("the response is not a JSON array (it starts with %s)", l.excerpt())}
	}
	l.p++
	n := 0
	for {
		c, err := l.peek()
		if err != nil {
			return n, eofIsUnexpected(err)
		}
		if n > 0 {
			if c == ']' {
				break
			}
			if c != ',' {
				return n, malformedError{fmt.Sprintf("unexpected %s in the list", l.excerpt())}
			}
			l.p++
			if c, err = l.peek(); err != nil {
				return n, eofIsUnexpected(err)
			}
		} else if c == ']' {
			break
		}
		if c != '{' {
			return n, malformedError{fmt.Sprintf("a list element is not a JSON object (it starts with %s)", l.excerpt())}
		}
		raw, ms, err := l.element()
		if err != nil {
			return n, err
		}
		n++
		if !emit(raw, ms) {
			return n, nil
		}
	}
	l.p++ // ']'
	if _, err := l.peek(); err == nil {
		return n, malformedError{"unexpected data after the list"}
	}
	return n, nil
}

var errTooLarge = fmt.Errorf("a list element is larger than %d bytes", maxElement)

// listBuffer is the initial size of a list's read buffer: many elements
// per Read, one allocation per list.
const listBuffer = 128 << 10

// listReader buffers the list for scanList.
type listReader struct {
	r    io.Reader
	buf  []byte
	p, e int   // the unread data is buf[p:e]
	rerr error // the error that ended the input, once the data before it is used
	ms   []member
}

// peek skips white space and returns the next byte without consuming it.
func (l *listReader) peek() (byte, error) {
	for {
		for ; l.p < l.e; l.p++ {
			switch c := l.buf[l.p]; c {
			case ' ', '\t', '\n', '\r':
			default:
				return c, nil
			}
		}
		if err := l.more(); err != nil {
			return 0, err
		}
	}
}

// more reads at least one byte more, keeping buf[p:e] (moved to the front).
func (l *listReader) more() error {
	if l.rerr != nil {
		return l.rerr
	}
	if l.p > 0 {
		l.e = copy(l.buf, l.buf[l.p:l.e])
		l.p = 0
	}
	if l.e > maxElement {
		return errTooLarge
	}
	if l.e == len(l.buf) {
		l.buf = append(l.buf, make([]byte, len(l.buf))...)
		l.buf = l.buf[:cap(l.buf)]
	}
	for {
		n, err := l.r.Read(l.buf[l.e:])
		l.e += n
		if err != nil {
			l.rerr = err
		}
		if n > 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// element checks the object at buf[p] and consumes it. The members are
// valid until the next call.
func (l *listReader) element() ([]byte, []member, error) {
	l.ms = l.ms[:0]
	s := scanner{b: l.buf[l.p:l.e]}
	err := s.object(2, &l.ms)
	if err == errNeedMore {
		// The object goes on past the buffer: read until its end is in,
		// then check it again (at most once per buffer's worth of input).
		if err := l.complete(); err != nil {
			return nil, nil, eofIsUnexpected(err)
		}
		l.ms = l.ms[:0]
		s = scanner{b: l.buf[l.p:l.e]}
		err = s.object(2, &l.ms)
	}
	if err == errNeedMore {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		if se, ok := err.(*syntaxError); ok {
			err = malformedError{fmt.Sprintf("invalid JSON in the list: %s", se.msg)}
		}
		return nil, nil, err
	}
	if s.i > maxElement {
		return nil, nil, errTooLarge
	}
	raw := l.buf[l.p : l.p+s.i : l.p+s.i]
	l.p += s.i
	return raw, l.ms, nil
}

// complete reads until the object at buf[p] has its closing bracket in
// the buffer, tracking only brackets and strings so that the input is
// scanned once however it is split into reads. A closing bracket that does
// not match ends it too: checking the object then reports it.
func (l *listReader) complete() error {
	var stack []byte
	inString, escaped := false, false
	j := 0 // offset from p, which more moves
	for {
		for ; l.p+j < l.e; j++ {
			c := l.buf[l.p+j]
			if inString {
				switch {
				case escaped:
					escaped = false
				case c == '\\':
					escaped = true
				case c == '"':
					inString = false
				}
				continue
			}
			switch c {
			case '"':
				inString = true
			case '{', '[':
				stack = append(stack, c)
			case '}', ']':
				if len(stack) == 0 || stack[len(stack)-1]+2 != c { // '{'+2 == '}', '['+2 == ']'
					return nil
				}
				if stack = stack[:len(stack)-1]; len(stack) == 0 {
					return nil
				}
			}
		}
		if err := l.more(); err != nil {
			return err
		}
	}
}

// excerpt quotes the start of the unread input, for error messages.
func (l *listReader) excerpt() string {
	b := l.buf[l.p:l.e]
	if len(b) > 20 {
		return fmt.Sprintf("%q…", b[:20])
	}
	return fmt.Sprintf("%q", b)
}

// malformedError is a response that is complete but not what the API
// sends; sending the request again would not help.
type malformedError struct{ msg string }

func (e malformedError) Error() string { return e.msg }

func isMalformed(err error) bool {
	var (
		m  malformedError
		se *json.SyntaxError
		te *json.UnmarshalTypeError
	)
	return errors.As(err, &m) || errors.As(err, &se) || errors.As(err, &te)
}

func eofIsUnexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
