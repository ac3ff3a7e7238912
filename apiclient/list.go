package apiclient

import (
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
func (c *Client) ListCustomers(ctx context.Context) iter.Seq2[Customer, error] {
	return func(yield func(Customer, error) bool) {
		stopped := false
		read := func(resp *http.Response) error {
			n, err := decodeList(resp.Body, func(cu Customer) bool {
				if !yield(cu, nil) {
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
			yield(Customer{}, err)
		}
	}
}

// decodeList decodes a JSON array of customer objects from r, calling emit
// for each until it returns false. It returns how many were emitted and
// the first error; a missing "]" is io.ErrUnexpectedEOF.
func decodeList(r io.Reader, emit func(Customer) bool) (int, error) {
	cr := &countingReader{r: r}
	dec := json.NewDecoder(cr)
	tok, err := dec.Token()
	if err != nil {
		return 0, eofIsUnexpected(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return 0, malformedError{fmt.Sprintf("the response is not a JSON array (it starts with %v)", tok)}
	}
	n := 0
	for dec.More() {
		cr.n = 0
		var cu Customer
		if err := dec.Decode(&cu); err != nil {
			return n, eofIsUnexpected(err)
		}
		n++
		if !emit(cu) {
			return n, nil
		}
	}
	tok, err = dec.Token()
	if err != nil {
		return n, eofIsUnexpected(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != ']' {
		return n, malformedError{fmt.Sprintf("unexpected %v in the list", tok)}
	}
	// After "]" only white space may follow. A transport error there is
	// ignored: the list is complete.
	var se *json.SyntaxError
	if _, err := dec.Token(); err == nil || errors.As(err, &se) {
		return n, malformedError{"unexpected data after the list"}
	}
	return n, nil
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

// countingReader fails once more than maxElement bytes are read for one
// element.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.n > maxElement {
		return 0, fmt.Errorf("a list element is larger than %d bytes", maxElement)
	}
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
