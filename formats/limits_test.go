package formats

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// endless yields prefix, then the byte fill for ever: input with no line
// end in sight.
type endless struct {
	prefix string
	fill   byte
}

func (e *endless) Read(p []byte) (int, error) {
	n := copy(p, e.prefix)
	e.prefix = e.prefix[n:]
	for i := n; i < len(p); i++ {
		p[i] = e.fill
	}
	return len(p), nil
}

// readAllWithin opens a reader with open and reads it to the end, failing
// the test when that takes more than limit. It returns the fatal error
// (from open or Next), or nil when the input ended normally.
func readAllWithin(t *testing.T, limit time.Duration, open func() (RowReader, error)) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		r, err := open()
		if err != nil {
			done <- err
			return
		}
		defer r.Close()
		for {
			_, err := r.Next()
			if errors.Is(err, io.EOF) {
				done <- nil
				return
			}
			if err != nil {
				done <- err
				return
			}
		}
	}()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case err := <-done:
		return err
	case <-timer.C:
		t.Fatalf("still reading after %v: the input limits do not apply while reading", limit)
		return nil
	}
}

// TestNoLineEndIsFatal: input without line ends (/dev/zero, a stream of
// endless bytes) is a fatal error naming the line, within 2 s, instead of
// being read for ever (D7).
func TestNoLineEndIsFatal(t *testing.T) {
	devZero := func(format string) func() (RowReader, error) {
		return func() (RowReader, error) { return OpenReader("/dev/zero", ReaderOptions{Format: format}) }
	}
	devZeroStream := func(format string) func() (RowReader, error) {
		return func() (RowReader, error) {
			f, err := os.Open("/dev/zero")
			if err != nil {
				return nil, err
			}
			t.Cleanup(func() { f.Close() })
			return NewReader(f, ReaderOptions{Format: format})
		}
	}
	stream := func(format, prefix string, fill byte) func() (RowReader, error) {
		return func() (RowReader, error) {
			return NewReader(&endless{prefix: prefix, fill: fill}, ReaderOptions{Format: format})
		}
	}
	tests := []struct {
		name     string
		open     func() (RowReader, error)
		wantLine string
	}{
		{"csv /dev/zero", devZero(FormatCSV), "line 1 "},
		{"ndjson /dev/zero", devZero(FormatNDJSON), "line 1 "},
		{"tsv /dev/zero as a stream", devZeroStream(FormatTSV), "line 1 "},
		{"ndjson /dev/zero as a stream", devZeroStream(FormatNDJSON), "line 1 "},
		{"csv header then endless", stream(FormatCSV, "name,email\nAda,ada@example.com\nBob,", 'x'), "line 3 "},
		{"csv endless header", stream(FormatCSV, "", 'a'), "line 1 "},
		{"csv endless quoted cell", stream(FormatCSV, "name,email\n\"", 'x'), "line "},
		{"ndjson stream then endless", stream(FormatNDJSON, `{"name":"Ada"}`+"\n"+`{"name":"`, 'x'), "line 2 "},
		{"ndjson file-like endless", stream(FormatNDJSON, "", ' '), "line 1 "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// 2 s for the real binary; the race detector's build reads
			// several times slower.
			limit := 2 * time.Second
			if raceEnabled {
				limit = 10 * time.Second
			}
			err := readAllWithin(t, limit, tt.open)
			if err == nil {
				t.Fatal("endless input read to its end without an error")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.wantLine) || !strings.Contains(msg, "no line end") {
				t.Errorf("error %q does not name the line (%q) and the missing line end", msg, tt.wantLine)
			}
		})
	}
}

// TestLongLineStillRowError: a line over the 1 MiB limit that does end is
// a row error, and reading goes on with the next line.
func TestLongLineStillRowError(t *testing.T) {
	long := strings.Repeat("x", maxRecordBytes+10)
	for _, format := range []string{FormatCSV, FormatNDJSON} {
		t.Run(format, func(t *testing.T) {
			in := "name\nAda\n" + long + "\nBob\n"
			if format == FormatNDJSON {
				in = `{"name":"Ada"}` + "\n" + long + "\n" + `{"name":"Bob"}` + "\n"
			}
			r, err := NewReader(strings.NewReader(in), ReaderOptions{Format: format})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			var got []string
			for {
				row, err := r.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if row.Err != nil {
					got = append(got, "error")
				} else {
					got = append(got, row.Cells[0])
				}
			}
			if strings.Join(got, ",") != "Ada,error,Bob" {
				t.Errorf("rows = %v, want Ada, a row error, Bob", got)
			}
		})
	}
}
