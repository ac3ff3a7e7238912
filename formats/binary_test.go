package formats

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// endlessGarbage is an input that gives head, then random bytes without
// end, as /dev/urandom after a good header would. It is bounded for the
// test's sake: past limit bytes it fails, so that a reader that would
// read for ever ends the test with that error instead of hanging.
type endlessGarbage struct {
	head  []byte
	rng   *rand.ChaCha8
	n     int64
	limit int64
}

var errGarbageLimit = errors.New("the endless test input reached its limit: the reader did not stop by itself")

func newEndlessGarbage(head string) *endlessGarbage {
	return &endlessGarbage{head: []byte(head), rng: rand.NewChaCha8([32]byte{1}), limit: 64 << 20}
}

func (g *endlessGarbage) Read(p []byte) (int, error) {
	if g.n >= g.limit {
		return 0, errGarbageLimit
	}
	var n int
	if len(g.head) > 0 {
		n = copy(p, g.head)
		g.head = g.head[n:]
	} else {
		n, _ = g.rng.Read(p)
	}
	g.n += int64(n)
	return n, nil
}

// TestEndlessBinaryInputStops: a good header followed by random bytes
// without end (CSV, and NDJSON from a stream) stops with a fatal error
// that names the lines and says it is not text, after about
// maxBinaryRows rows and a bounded read, in every encoding mode.
func TestEndlessBinaryInputStops(t *testing.T) {
	for _, tt := range []struct {
		format, head, encoding, kind string
	}{
		{FormatCSV, "name,email\nAda,ada@example.com\n", "auto", "not a CSV file"},
		{FormatCSV, "name,email\nAda,ada@example.com\n", "utf-8", "not a CSV file"},
		{FormatTSV, "name\temail\n", "latin1", "not a CSV file"},
		{FormatNDJSON, `{"name":"Ada","email":"ada@example.com"}` + "\n", "auto", "not an NDJSON file"},
	} {
		name := tt.format + "/" + tt.encoding
		src := newEndlessGarbage(tt.head)
		r, err := NewReader(src, ReaderOptions{Format: tt.format, Encoding: tt.encoding})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		rows := 0
		for {
			_, err = r.Next()
			if err != nil {
				break
			}
			rows++
		}
		r.Close()
		if errors.Is(err, errGarbageLimit) || !strings.Contains(err.Error(), "are not text") || !strings.Contains(err.Error(), tt.kind) {
			t.Errorf("%s: reading ended with %v, want the not-text error", name, err)
		}
		if rows < maxBinaryRows-1 || rows > 20*maxBinaryRows || src.n > 4<<20 {
			t.Errorf("%s: stopped after %d rows and %d bytes; want about %d rows and a bounded read", name, rows, src.n, maxBinaryRows)
		}
	}
}

// TestBinaryRowsInTextRead: a text file whose every row is ragged (text,
// not binary) is read to its end, each row an error, and so is a file
// whose binary rows come between readable ones: only a run of binary rows
// with no readable row between them stops reading.
func TestBinaryRowsInTextRead(t *testing.T) {
	var ragged, mixed bytes.Buffer
	ragged.WriteString("name,email\n")
	mixed.WriteString("name,email\n")
	for i := range 3 * maxBinaryRows {
		fmt.Fprintf(&ragged, "P %d,p%d@example.com,extra\n", i, i)
		if i%(maxBinaryRows/2) == 0 {
			fmt.Fprintf(&mixed, "P %d,p%d@example.com\n", i, i)
		} else {
			fmt.Fprintf(&mixed, "\x00\x01\x02,\x03\x04\n")
		}
	}
	for name, data := range map[string][]byte{"ragged": ragged.Bytes(), "mixed": mixed.Bytes()} {
		r, err := NewReader(bytes.NewReader(data), ReaderOptions{Format: FormatCSV})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		rows := 0
		for {
			_, err = r.Next()
			if err != nil {
				break
			}
			rows++
		}
		if !errors.Is(err, io.EOF) || rows != 3*maxBinaryRows {
			t.Errorf("%s: %d rows then %v; want all %d rows, then the end", name, rows, err, 3*maxBinaryRows)
		}
	}
}
