package formats

import (
	"fmt"
	"time"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// checkReaderInvariants reads r to the end and checks what every reader
// promises: cells as wide as the header, increasing row numbers, row
// errors that are *RowError for their own row, and no fatal error on
// in-memory input.
func checkReaderInvariants(t *testing.T, r RowReader) {
	t.Helper()
	width := len(r.Header())
	last := 0
	for i := 0; ; i++ {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("fatal error on in-memory input: %v", err)
		}
		if len(row.Cells) != width {
			t.Fatalf("row %d has %d cells, header has %d", row.Num, len(row.Cells), width)
		}
		if row.Num <= last {
			t.Fatalf("row number %d after %d", row.Num, last)
		}
		last = row.Num
		if row.Err != nil {
			var re *RowError
			if !errors.As(row.Err, &re) || re.Row != row.Num {
				t.Fatalf("row %d: error %#v is not a *RowError for this row", row.Num, row.Err)
			}
		}
		if i > 1<<20 {
			t.Fatal("too many rows")
		}
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("Next after EOF = %v", err)
	}
}

func FuzzCSVReader(f *testing.F) {
	seeds := []string{
		"name,email\nAda,ada@example.com\n",
		"\ufeffname;email\r\nAda;\"a;b\"\r\n",
		"a|b\rc|d\re|f",
		"name,notes\nAda,\"open\nBob,x\nCy,\"y\"\n",
		"name,notes\nAda,\"a\"b\",c\n\"\"\n",
		"sep=;\na;b\n1;2;3\n4\n",
		"x\n\"\n\n\n\"\"\"\n",
		"a,b,\n1,2,\n,,\n",
		"M\xfcller,\x80\n1,2\n",
		"\xef\xbb\xbf",
		"a\tb\n\"x\ty\"\tz\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s), byte(0))
	}
	f.Add([]byte("a,b\n1,2\n"), byte(';'))
	f.Fuzz(func(t *testing.T, data []byte, delim byte) {
		tm := time.AfterFunc(3*time.Second, func() { panic(fmt.Sprintf("slow input %q", data)) })
		defer tm.Stop()
		opts := ReaderOptions{Format: FormatCSV}
		if delim == ';' || delim == '|' || delim == '\t' {
			opts.Delimiter = rune(delim)
		}
		r, err := NewReader(bytes.NewReader(data), opts)
		if err != nil {
			if r != nil {
				t.Fatal("reader returned with an error")
			}
			return
		}
		if len(r.Header()) == 0 {
			t.Fatal("empty header accepted")
		}
		checkReaderInvariants(t, r)
	})
}

func FuzzNDJSONReader(f *testing.F) {
	seeds := []string{
		`{"name":"Ada","value":1.5,"ok":true,"n":null,"a":[1],"o":{"k":"v"}}` + "\n",
		"{\"a\":1}\n\n[1]\nnot json\n{\"a\":2} {\"a\":3}\n",
		"\ufeff{\"a\":\"\\u00e9\"}\r\n{\"b\":2}",
		"{\"a\":1,\"a\":2}\n{}\n",
		"{\"a\":\"\xff\"}\n",
		"{\"a\":1\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, seekable := range []bool{true, false} {
			var src io.Reader = bytes.NewReader(data)
			if !seekable {
				src = onlyReader{src}
			}
			r, err := NewReader(src, ReaderOptions{Format: FormatNDJSON})
			if err != nil {
				continue
			}
			checkReaderInvariants(t, r)
		}
	})
}

func FuzzMapHeader(f *testing.F) {
	seeds := []string{
		"name|email",
		"First Name|Last Name|E-mail|Phone 1",
		"_id|_row|createdAt|Customer Id",
		"name|Name",
		"|x||",
		`Say "hi"|$HOME|a'b`,
	}
	for _, s := range seeds {
		f.Add(s, "Phone 1", "phone", false)
	}
	f.Fuzz(func(t *testing.T, joined, src, target string, ignore bool) {
		header := strings.Split(joined, "|")
		opts := MapOptions{IgnoreUnknown: ignore}
		if src != "" {
			opts.Map = map[string]string{src: target}
		}
		m, err := MapHeader(header, opts)
		if err != nil {
			if m != nil {
				t.Fatal("mapping returned with an error")
			}
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			var he *HeaderError
			if errors.As(err, &he) && (ignore || len(he.Unknown) == 0) {
				t.Fatalf("HeaderError %v with IgnoreUnknown=%v", he, ignore)
			}
			return
		}
		if len(m.Columns) != len(header) {
			t.Fatalf("%d columns for %d headers", len(m.Columns), len(header))
		}
		seen := map[Field]bool{}
		for i, fl := range m.Columns {
			if fl == "" {
				continue
			}
			if seen[fl] {
				t.Fatalf("field %s mapped twice", fl)
			}
			seen[fl] = true
			if m.Index[fl] != i {
				t.Fatalf("Index[%s] = %d, want %d", fl, m.Index[fl], i)
			}
		}
		if len(m.Index) != len(seen) {
			t.Fatalf("Index has %d fields, Columns %d", len(m.Index), len(seen))
		}
	})
}
