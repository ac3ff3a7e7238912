// The errors the pipelines return: each a type the command line maps to
// an exit code and words for the user.

package batch

import (
	"errors"
	"fmt"
)

// InputError is a problem found before any row was processed: unreadable
// file, unusable header, bad option. The CLI exits 2 on it.
type InputError struct{ Err error }

// Error returns the cause's sentence.
func (e *InputError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *InputError) Unwrap() error { return e.Err }

func inputErr(format string, args ...any) error {
	return &InputError{Err: fmt.Errorf(format, args...)}
}

// IsInputError reports whether err is an *InputError.
func IsInputError(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}

// AbortedError says the run stopped part way (403, --max-errors, a fatal
// server condition). The report is still complete.
type AbortedError struct{ Reason string }

// ReadError is an input that turned unreadable after rows were read (a
// damaged workbook, binary data after a good header): the rows before
// were reported, the rest of the input was not read. It is not a failure
// to write the report.
type ReadError struct{ Err error }

// Error names the input and the place.
func (e *ReadError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *ReadError) Unwrap() error { return e.Err }

// IsReadError reports whether err is a *ReadError.
func IsReadError(err error) bool {
	var re *ReadError
	return errors.As(err, &re)
}

// Error returns why the run stopped.
func (e *AbortedError) Error() string { return e.Reason }

// NoIDError is a server answer that names a customer without an id: a
// customer of the list, or a 201 to a create. Nothing can be matched to
// such a customer or undone, and a guess could create it again, so the
// run stops.
type NoIDError struct {
	What  string // "the customer list", "the answer to a create"
	Email string // the customer's email, if any
}

// Error says what the server sent and what follows.
func (e *NoIDError) Error() string {
	who := "a customer"
	if e.Email != "" {
		who = fmt.Sprintf("the customer %q", e.Email)
	}
	return fmt.Sprintf("the server sent %s without an id (neither \"id\" nor \"_id\") in %s; the run stops so that no row is matched to it by guess or created a second time: check the API URL and the server", who, e.What)
}

// IsAborted reports whether err is an *AbortedError.
func IsAborted(err error) bool {
	var ae *AbortedError
	return errors.As(err, &ae)
}
