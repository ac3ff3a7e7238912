package formats

import (
	"bytes"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// onlyReader hides Seek, as a pipe would.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestNDJSONReader(t *testing.T) {
	header := []string{"name", "email", "value", "autoPayment", "notes", "tags", "extra"}
	rows := []wantRow{
		{num: 1, cells: []string{"Ada", "ada@example.com", "1234.50", "true", "", "", ""}},
		{num: 3, cells: []string{"", "", "", "", "", "", ""}, wantErr: "row 3: line is not a JSON object: it is an array"},
		{num: 4, cells: []string{"Bob", "", "-3", "false", "", `["a","b"]`, `{"k":1}`}},
		{num: 6, wantErr: "line is not a JSON object: invalid character"},
		{num: 7, wantErr: "line holds more than one JSON value"},
		{num: 8, cells: []string{"Eve", "eve@example.com", "", "", "", "", ""}},
	}
	t.Run("file", func(t *testing.T) {
		r, err := OpenReader("testdata/mixed.ndjson", ReaderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if !reflect.DeepEqual(r.Header(), header) {
			t.Errorf("Header = %q, want %q", r.Header(), header)
		}
		checkRows(t, readAll(t, r), rows)
	})
	t.Run("stream", func(t *testing.T) {
		data, err := readFile("testdata/mixed.ndjson")
		if err != nil {
			t.Fatal(err)
		}
		r, err := NewReader(onlyReader{bytes.NewReader(data)}, ReaderOptions{Format: "jsonl"})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(r.Header(), header) {
			t.Errorf("Header = %q, want %q", r.Header(), header)
		}
		checkRows(t, readAll(t, r), rows)
	})
}

func TestNDJSONStreamUnseenKey(t *testing.T) {
	var b strings.Builder
	for i := 0; i < ndjsonWindowLines; i++ {
		b.WriteString(`{"name":"n"}` + "\n")
	}
	b.WriteString(`{"name":"x","email":"x@example.com"}` + "\n")
	b.WriteString(`{"name":"y"}` + "\n")
	stream, err := NewReader(onlyReader{strings.NewReader(b.String())}, ReaderOptions{Format: FormatNDJSON})
	if err != nil {
		t.Fatal(err)
	}
	rows := readAll(t, stream)
	if len(rows) != ndjsonWindowLines+2 {
		t.Fatalf("got %d rows", len(rows))
	}
	checkRows(t, rows[ndjsonWindowLines:], []wantRow{
		{num: 1001, cells: []string{"x"}, wantErr: `row 1001: email: key "email" is not among the columns, which were taken from the first 1000 lines`},
		{num: 1002, cells: []string{"y"}},
	})

	// A seekable input is pre-scanned: every key is a column.
	seek, err := NewReader(strings.NewReader(b.String()), ReaderOptions{Format: FormatNDJSON})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"name", "email"}; !reflect.DeepEqual(seek.Header(), want) {
		t.Errorf("seekable Header = %q, want %q", seek.Header(), want)
	}
	for _, row := range readAll(t, seek) {
		if row.Err != nil {
			t.Errorf("seekable row %d: %v", row.Num, row.Err)
		}
	}
}

func TestNDJSONLimitsAndErrors(t *testing.T) {
	long := `{"name":"` + strings.Repeat("z", 3<<19) + `"}`
	tests := []struct {
		name     string
		data     string
		wantErr  string
		wantRows []wantRow
	}{
		{name: "empty", data: "", wantErr: "has no JSON object lines"},
		{name: "no objects", data: "[1]\n2\n", wantErr: "has no JSON object lines"},
		{
			name: "line over 1 MiB",
			data: `{"name":"a"}` + "\n" + long + "\n" + `{"name":"b"}` + "\n",
			wantRows: []wantRow{
				{num: 1, cells: []string{"a"}},
				{num: 2, cells: []string{""}, wantErr: "line is longer than 1 MiB"},
				{num: 3, cells: []string{"b"}},
			},
		},
		{
			name: "cell over 64 KiB",
			data: `{"name":"` + strings.Repeat("q", 70<<10) + `"}` + "\n",
			wantRows: []wantRow{
				{num: 1, wantErr: "name: cell is 70 KiB; the limit is 64 KiB"},
			},
		},
		{
			name: "BOM, CRLF and unicode escapes",
			data: "\ufeff{\"name\":\"J\\u00f6rg \\ud83d\\ude00\"}\r\n\r\n{\"name\":\"b\"}",
			wantRows: []wantRow{
				{num: 1, cells: []string{"Jörg 😀"}},
				{num: 3, cells: []string{"b"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, seekable := range []bool{true, false} {
				var src io.Reader = strings.NewReader(tt.data)
				if !seekable {
					src = onlyReader{src}
				}
				r, err := NewReader(src, ReaderOptions{Format: FormatNDJSON})
				if tt.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
						t.Fatalf("seekable=%v: err = %v, want %q", seekable, err, tt.wantErr)
					}
					continue
				}
				if err != nil {
					t.Fatalf("seekable=%v: %v", seekable, err)
				}
				checkRows(t, readAll(t, r), tt.wantRows)
			}
		})
	}
}

// TestNDJSONEndlessDevice: an NDJSON path that is a device which never
// ends (/dev/urandom) is not scanned to its end for keys: the reader
// opens after a bounded window, or refuses, at once.
func TestNDJSONEndlessDevice(t *testing.T) {
	if _, err := os.Stat("/dev/urandom"); err != nil {
		t.Skip("no /dev/urandom")
	}
	done := make(chan error, 1)
	go func() {
		r, err := OpenReader("/dev/urandom", ReaderOptions{Format: FormatNDJSON, Encoding: "utf-8"})
		if err == nil {
			r.Close()
		}
		done <- err
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("OpenReader(/dev/urandom) still scanning after 30 s")
	}
}
