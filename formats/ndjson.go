package formats

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

const (
	// ndjsonWindowLines and ndjsonWindowBytes bound the read-ahead that
	// settles the columns of a stream that cannot be read twice.
	ndjsonWindowLines = 1000
	ndjsonWindowBytes = 8 << 20
	// maxColumns bounds the union of keys kept as the header.
	maxColumns = 1024
)

// ndjsonReader reads one JSON object per line. Its header is the union of
// the keys in first-seen order: from a pre-scan of the whole file when the
// input can be read twice, else from the first ndjsonWindowLines lines.
type ndjsonReader struct {
	br      *bufio.Reader
	closer  io.Closer
	line    int // number of the last line read
	lineBuf []byte

	header []string
	index  map[string]int
	// pending holds the lines read ahead to build the header of a stream.
	pending []ndLine
	// window is >0 when the header came from the first window lines of a
	// stream, so that a key seen later is a row error.
	window int
	// binary stops reading after maxBinaryRows lines in a row that look
	// binary.
	binary binaryRun
}

type ndLine struct {
	num     int
	data    []byte
	tooLong bool
}

func newNDJSONReader(src *textSource) *ndjsonReader {
	return &ndjsonReader{br: bufio.NewReaderSize(src.r, 64<<10), index: map[string]int{}, binary: binaryRun{format: optionName(src.names, OptFormat)}}
}

// newNDJSONFile pre-scans a seekable input for its keys, then rewinds it
// and reads it again for the rows.
func newNDJSONFile(f io.ReadSeeker, closer io.Closer, opts ReaderOptions) (*ndjsonReader, error) {
	scanOpts := opts
	scanOpts.Progress = nil
	src, err := openText(f, scanOpts, false)
	if err != nil {
		return nil, err
	}
	scan := newNDJSONReader(src)
	for {
		data, tooLong, err := scan.readLine()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("cannot read the input: %w", err)
		}
		if tooLong || isBlankJSON(data) {
			continue
		}
		if err := scan.addKeys(data); err != nil {
			return nil, err
		}
	}
	if len(scan.header) == 0 {
		return nil, errNoObjects
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("cannot read the input again: %w", err)
	}
	src, err = openText(f, opts, true)
	if err != nil {
		return nil, err
	}
	r := newNDJSONReader(src)
	r.closer = closer
	r.header, r.index = scan.header, scan.index
	return r, nil
}

// newNDJSONStream reads ahead up to ndjsonWindowLines lines (or
// ndjsonWindowBytes) to learn the columns of an input that cannot be read
// twice.
func newNDJSONStream(src *textSource) (*ndjsonReader, error) {
	r := newNDJSONReader(src)
	size := 0
	for len(r.pending) < ndjsonWindowLines && size < ndjsonWindowBytes {
		data, tooLong, err := r.readLine()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("cannot read the input: %w", err)
		}
		if !tooLong && isBlankJSON(data) {
			continue
		}
		l := ndLine{num: r.line, tooLong: tooLong}
		if !tooLong {
			l.data = append([]byte(nil), data...)
			size += len(data)
			if err := r.addKeys(data); err != nil {
				return nil, err
			}
		}
		r.pending = append(r.pending, l)
	}
	if len(r.header) == 0 {
		return nil, errNoObjects
	}
	r.window = len(r.pending)
	return r, nil
}

var errNoObjects = errors.New(`the input has no JSON object lines, so it has no columns; each line must be an object such as {"name": "Ada Lovelace", "email": "ada@example.com"}`)

// addKeys adds the keys of an object line to the header. Lines that are
// not objects are left for Next to report.
func (r *ndjsonReader) addKeys(data []byte) error {
	err := parseObject(data, func(key string, _ json.RawMessage) error {
		if _, ok := r.index[key]; ok {
			return nil
		}
		if len(r.header) >= maxColumns {
			return errTooManyKeys
		}
		r.index[key] = len(r.header)
		r.header = append(r.header, key)
		return nil
	})
	if errors.Is(err, errTooManyKeys) {
		return fmt.Errorf("the input has more than %d different keys; that many columns is not a customer file", maxColumns)
	}
	return nil
}

var errTooManyKeys = errors.New("too many keys")

// readLine returns the next line without its "\n"; the slice is valid
// until the next call. A line longer than maxRecordBytes is skipped to its
// end without being held in memory and comes back with tooLong.
func (r *ndjsonReader) readLine() (data []byte, tooLong bool, err error) {
	r.lineBuf = r.lineBuf[:0]
	size := 0
	for {
		chunk, err := r.br.ReadSlice('\n')
		if size += len(chunk); size > maxRecordBytes+maxSkipBytes {
			return nil, false, errNoLineEnd(r.line+1, r.binary.format)
		}
		if !tooLong {
			switch {
			case len(r.lineBuf)+len(chunk) > maxRecordBytes+1:
				tooLong = true
				r.lineBuf = r.lineBuf[:0]
			case err == nil && len(r.lineBuf) == 0:
				r.line++
				return chunk[:len(chunk)-1], false, nil
			default:
				r.lineBuf = append(r.lineBuf, chunk...)
			}
		}
		switch {
		case err == nil:
			r.line++
			if tooLong {
				return nil, true, nil
			}
			return r.lineBuf[:len(r.lineBuf)-1], false, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if !tooLong && len(r.lineBuf) == 0 {
				return nil, false, io.EOF
			}
			r.line++
			return r.lineBuf, tooLong, nil
		default:
			return nil, false, err
		}
	}
}

func isBlankJSON(b []byte) bool {
	return len(bytes.TrimSpace(b)) == 0
}

// Header returns the keys, in the order they were first seen.
func (r *ndjsonReader) Header() []string { return r.header }

// Close closes the underlying file, if the reader opened it.
func (r *ndjsonReader) Close() error {
	if r.closer == nil {
		return nil
	}
	c := r.closer
	r.closer = nil
	return c.Close()
}

// Next returns the next non-blank line as a row. Row.Cells is a fresh
// slice for every row.
func (r *ndjsonReader) Next() (Row, error) {
	for {
		var l ndLine
		if len(r.pending) > 0 {
			l = r.pending[0]
			r.pending[0] = ndLine{}
			r.pending = r.pending[1:]
		} else {
			data, tooLong, err := r.readLine()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					err = fmt.Errorf("cannot read the input: %w", err)
				}
				return Row{}, err
			}
			if !tooLong && isBlankJSON(data) {
				continue
			}
			l = ndLine{num: r.line, data: data, tooLong: tooLong}
		}
		row := Row{Num: l.num, Cells: make([]string, len(r.header))}
		if l.tooLong {
			row.Err = &RowError{Row: l.num, Err: fmt.Errorf("line is longer than %d MiB, the limit", maxRecordBytes>>20)}
			return row, nil
		}
		var problem *RowError
		err := parseObject(l.data, func(key string, raw json.RawMessage) error {
			i, ok := r.index[key]
			if !ok {
				if problem == nil {
					problem = &RowError{Row: l.num, Field: key, Err: fmt.Errorf("key %q is not among the columns, which were taken from the first %d lines of the stream; read the file by name instead of from stdin, or put the key in an earlier line", key, r.window)}
				}
				return nil
			}
			s := jsonCell(raw)
			if len(s) > maxCellBytes && problem == nil {
				problem = &RowError{Row: l.num, Field: key, Err: fmt.Errorf("cell is %d KiB; the limit is %d KiB", kib(len(s)), maxCellBytes>>10)}
			}
			row.Cells[i] = s
			return nil
		})
		switch {
		case err != nil:
			row.Err = &RowError{Row: l.num, Err: err}
		case problem != nil:
			row.Err = problem
		}
		// A line that is no JSON object and holds control characters or
		// invalid UTF-8 looks binary (a device, a binary file).
		if berr := r.binary.see(l.num, err != nil && binaryText(string(l.data)), row.Err == nil, "an NDJSON file"); berr != nil {
			return Row{}, berr
		}
		return row, nil
	}
}

// parseObject calls fn for every key of the JSON object in data, in
// document order. An error says, as a sentence, why the line is not one
// JSON object.
func parseObject(data []byte, fn func(key string, raw json.RawMessage) error) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("line is not a JSON object: %s", jsonErrText(err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("line is not a JSON object: it is %s", jsonKind(tok))
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("line is not a JSON object: %s", jsonErrText(err))
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("line is not a JSON object: %s", jsonErrText(err))
		}
		if err := fn(key, raw); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("line is not a JSON object: %s", jsonErrText(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("line holds more than one JSON value; put one object per line")
	}
	return nil
}

func jsonErrText(err error) string {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "it ends before the object is complete"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func jsonKind(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			return "an array"
		}
		return fmt.Sprintf("%q", t.String())
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "not an object"
}

// jsonCell renders a JSON value as cell text: strings as they are,
// numbers as their literal, booleans as true/false, null as "", arrays and
// objects as compact JSON.
func jsonCell(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		return string(raw)
	case 'n':
		return ""
	case '{', '[':
		var b bytes.Buffer
		if json.Compact(&b, raw) == nil {
			return b.String()
		}
	}
	return string(raw)
}
