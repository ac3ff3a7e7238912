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
// Customers are decoded as by Customer.UnmarshalJSON, except that an
// element of the API's own shape (only known members, each of its type) is
// decoded straight into the typed fields, where encoding/json also matches
// a member name that differs from a known one only in case.
func (c *Client) ListCustomers(ctx context.Context) iter.Seq2[Customer, error] {
	return func(yield func(Customer, error) bool) {
		c.list(ctx, listTyped, func(_ json.RawMessage, cu *Customer) bool {
			return yield(*cu, nil)
		}, func(err error) { yield(Customer{}, err) })
	}
}

// ListRaw is ListCustomers for consumers that want the objects as sent
// (an NDJSON export): it yields each element of the list, a JSON object
// checked by encoding/json, without decoding its fields; use
// Customer.UnmarshalJSON for the ones whose fields are needed. The bytes
// alias a buffer that is reused: they are valid only until yield returns,
// so copy them to keep them. Requests, retries and errors are those of
// ListCustomers; a failure comes as a final (nil, err) pair.
func (c *Client) ListRaw(ctx context.Context) iter.Seq2[json.RawMessage, error] {
	return func(yield func(json.RawMessage, error) bool) {
		c.list(ctx, listRaw, func(raw json.RawMessage, _ *Customer) bool {
			return yield(raw, nil)
		}, func(err error) { yield(nil, err) })
	}
}

// ListKeys is ListCustomers for consumers that need only each
// customer's id and email (settling creates whose answer was lost): the
// other members are checked but not decoded, which makes the list of a
// large tenant about a third cheaper. The Customer yielded holds ID and
// Email only, as ListCustomers would have decoded them.
func (c *Client) ListKeys(ctx context.Context) iter.Seq2[Customer, error] {
	return func(yield func(Customer, error) bool) {
		c.list(ctx, listKeys, func(_ json.RawMessage, cu *Customer) bool {
			return yield(*cu, nil)
		}, func(err error) { yield(Customer{}, err) })
	}
}

// listMode is what readList decodes of each element.
type listMode int

const (
	listRaw   listMode = iota // nothing: the bytes as sent
	listTyped                 // the whole Customer
	listKeys                  // ID and Email
)

// list sends GET /customers and calls emit for each element until it
// returns false; a failure goes to fail.
func (c *Client) list(ctx context.Context, mode listMode, emit func(json.RawMessage, *Customer) bool, fail func(error)) {
	stopped := false
	read := func(resp *http.Response) error {
		n, err := readList(resp.Body, mode, func(raw json.RawMessage, cu *Customer) bool {
			stopped = !emit(raw, cu)
			return !stopped
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

// readList reads a JSON array of objects from r with a json.Decoder,
// calling emit with each element (its bytes in a reused buffer) until emit
// returns false; emit also gets the element as a Customer, whole
// (listTyped) or its id and email only (listKeys). It
// returns how many were emitted and the first error: a missing "]" is
// io.ErrUnexpectedEOF, JSON that is not an array of objects a
// malformedError. After "]" only white space may follow; a transport error
// there is ignored: the list is complete.
func readList(r io.Reader, mode listMode, emit func(json.RawMessage, *Customer) bool) (int, error) {
	typed := mode == listTyped
	src := &listSource{r: r, limit: maxElement}
	dec := json.NewDecoder(src)
	if typed {
		dec.DisallowUnknownFields() // an unknown member takes the slow path
	}
	tok, err := dec.Token()
	switch {
	case err != nil && isSyntax(err):
		return 0, malformedError{"the response is not a JSON array: " + err.Error()}
	case err != nil:
		return 0, eofIsUnexpected(err)
	case tok != json.Delim('['):
		return 0, malformedError{fmt.Sprintf("the response is not a JSON array (it starts with %v)", tok)}
	}
	src.done = dec.InputOffset()
	var cu Customer
	n := 0
	for dec.More() {
		var f apiCustomer
		var k apiKeys
		var err error
		switch mode {
		case listTyped:
			err = dec.Decode(&f)
		case listKeys:
			err = dec.Decode(&k)
		default:
			err = dec.Decode(&struct{}{}) // checks the element, keeps nothing
		}
		raw := src.element(dec.InputOffset())
		if len(raw) == 0 { // the element was not read whole
			return n, listError(err)
		}
		if raw[0] != '{' {
			return n, malformedError{fmt.Sprintf("a list element is not a JSON object (it starts with %.20s)", raw)}
		}
		switch {
		case typed && (err != nil || !f.customer(&cu)):
			// err is a member of another type or name: decode it whole.
			_ = cu.UnmarshalJSON(raw) // raw is a JSON object: it decodes
		case mode == listKeys && (err != nil || !k.customer(&cu)):
			_ = cu.UnmarshalJSON(raw)
			cu = Customer{ID: cu.ID, Email: cu.Email}
		}
		n++
		src.limit = dec.InputOffset() + maxElement
		if !emit(raw, &cu) {
			return n, nil
		}
	}
	if _, err := dec.Token(); err != nil { // the "]"
		return n, listError(err)
	}
	if _, err := dec.Token(); err == nil || isSyntax(err) {
		return n, malformedError{"unexpected data after the list"}
	}
	return n, nil
}

// apiCustomer is a customer as the API sends it: decoding into it fails
// (or customer refuses it) for anything else. The typed members are
// Customer's own (customerFields has its fields, not its JSON methods);
// "id" here shadows Customer's, to tell a missing id from an empty one.
type apiCustomer struct {
	ID *string `json:"id"`
	customerFields
}

// apiKeys is the id and email of a customer as the API sends them.
type apiKeys struct {
	ID    json.RawMessage `json:"id"`
	OID   json.RawMessage `json:"_id"`
	Email *string         `json:"email"`
}

// customer sets *c to the ID and Email UnmarshalJSON would have decoded;
// it reports false when they need UnmarshalJSON's rules (an id that is
// not a plain string, or none, or no email).
func (k *apiKeys) customer(c *Customer) bool {
	if len(k.ID) < 2 || k.ID[0] != '"' || k.Email == nil || bytes.IndexByte(k.ID, '\\') >= 0 {
		return false
	}
	*c = Customer{ID: string(k.ID[1 : len(k.ID)-1]), Email: *k.Email}
	return true
}

// customerFields is Customer without its JSON methods.
type customerFields Customer

// customer sets *c from f as UnmarshalJSON would have decoded it; it
// reports false, leaving c to UnmarshalJSON, when the id would come from
// "_id" (absent and null "id" look the same here).
func (f *apiCustomer) customer(c *Customer) bool {
	if f.ID == nil {
		return false
	}
	*c = Customer(f.customerFields)
	c.ID = *f.ID
	return true
}

var errTooLarge = fmt.Errorf("a list element is larger than %d bytes", maxElement)

// listSource is the list's reader as json.Decoder sees it. It keeps the
// bytes read since the end of the last element, so that an element's bytes
// can be had without scanning it again, and it fails reads past limit,
// which readList moves on after each element: json.Decoder buffers a whole
// element, and one that never ends must not take all memory.
type listSource struct {
	r     io.Reader
	kept  []byte // the input from offset base on
	base  int64
	done  int64 // the input before this offset is no longer needed
	limit int64
	read  int64 // bytes read from r
}

func (s *listSource) Read(p []byte) (int, error) {
	if s.read >= s.limit {
		return 0, errTooLarge
	}
	if rest := s.limit - s.read; int64(len(p)) > rest {
		p = p[:rest]
	}
	if s.done > s.base {
		s.kept = s.kept[:copy(s.kept, s.kept[s.done-s.base:])]
		s.base = s.done
	}
	k, err := s.r.Read(p)
	s.kept = append(s.kept, p[:k]...)
	s.read += int64(k)
	return k, err
}

// element returns the value that ends at input offset end, without the
// separator and white space before it (empty if there is no value), and
// marks the input up to end as used. The bytes stay valid until the next
// Read.
func (s *listSource) element(end int64) []byte {
	b := bytes.TrimLeft(s.kept[s.done-s.base:end-s.base], " \t\r\n,")
	s.done = end
	return b
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

func isSyntax(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se)
}

// listError names a syntax error in the list as such; an end of input
// before the "]" is io.ErrUnexpectedEOF.
func listError(err error) error {
	if isSyntax(err) {
		return malformedError{"invalid JSON in the list: " + err.Error()}
	}
	return eofIsUnexpected(err)
}

func eofIsUnexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
