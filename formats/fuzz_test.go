package formats

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
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
	f.Add([]byte("a,b\n\"x\ny\",\"\"\"q\"\"\"\n\n3,4\n"), byte(','))
	f.Fuzz(func(t *testing.T, data []byte, delim byte) {
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
		if delim == ',' {
			compareWithEncodingCSV(t, data)
		}
	})
}

// compareWithEncodingCSV checks that on input encoding/csv reads without
// complaint (and that has none of the cases where this reader differs on
// purpose: lone CR line ends, a BOM, invalid UTF-8, ragged or blank
// records, trailing unnamed columns) both give the same cells and line
// numbers.
func compareWithEncodingCSV(t *testing.T, data []byte) {
	if bytes.ContainsRune(data, '\r') || bytes.HasPrefix(data, utf8BOM) || !utf8.Valid(data) {
		return
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	type rec struct {
		line  int
		cells []string
	}
	var recs []rec
	for {
		cells, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return
		}
		line, _ := cr.FieldPos(0)
		blank := true
		for _, c := range cells {
			if strings.Trim(c, " \t\n") != "" {
				blank = false
			}
		}
		if len(recs) > 0 && blank {
			continue
		}
		recs = append(recs, rec{line, cells})
	}
	if len(recs) == 0 {
		return
	}
	width := len(recs[0].cells)
	for _, r := range recs {
		if len(r.cells) != width {
			return
		}
	}
	if strings.TrimSpace(recs[0].cells[width-1]) == "" {
		return
	}
	r, err := NewReader(bytes.NewReader(data), ReaderOptions{Format: FormatCSV, Delimiter: ','})
	if err != nil {
		t.Fatalf("encoding/csv reads %q but NewReader fails: %v", data, err)
	}
	for i, want := range recs[1:] {
		row, err := r.Next()
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if row.Err != nil || row.Num != want.line || !reflect.DeepEqual(row.Cells, want.cells) {
			t.Fatalf("input %q: row %d %q (%v), encoding/csv: line %d %q", data, row.Num, row.Cells, row.Err, want.line, want.cells)
		}
	}
	if row, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("input %q: extra row %d %q", data, row.Num, row.Cells)
	}
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

// FuzzXLSXReader reads a minimal workbook built around fuzzed sheet XML
// (the content of <sheetData>) and shared strings. Damaged XML may be a
// fatal error, but never a panic, and what is read stays bounded: rows as
// wide as the header, no more rows than <row elements, cells within the
// limits, row errors that are *RowError for their own row.
func FuzzXLSXReader(f *testing.F) {
	seeds := []struct{ sheet, sst string }{
		{`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>email</t></is></c></row><row r="2"><c r="A2" t="str"><v>Ada</v></c><c r="B2" t="s"><v>1</v></c></row>`, `<si><t>name</t></si><si><t>ada@example.com</t></si>`},
		{`<row r="2"><c t="inlineStr"><is><t>name</t></is></c></row><row r="6"><c><v>1.8E10</v></c></row><row r="3"><c t="b"><v>1</v></c></row><row><c t="e"><v>#N/A</v></c></row><row r="3"><c><v>7</v></c></row>`, ``},
		{`<row r="1"><c t="inlineStr"><is><t>phone</t></is></c><c t="inlineStr"><is><t>x</t></is></c></row><row r="5"><c r="A5"><f>A1+1</f></c><c r="B5"><f t="shared" si="0"/><v>3</v></c></row>`, ``},
		{`<row r="1"><c t="inlineStr"><is><r><t>na</t></r><r><t>me</t></r><rPh><t>x</t></rPh></is></c></row><row r="2"><c r="Q2" t="inlineStr"><is><t>far &amp; &#x20AC; _x000D_</t></is></c></row>`, ``},
		{`<row r="1"><c t="inlineStr"><is><t><![CDATA[a<b]]></t></is></c></row><!-- c --><row r="2"><c t="s"><v>99</v></c><c t="s"><v>-1</v></c></row>`, `<si><t>only</t></si>`},
		{`<row r="1"><c t="inlineStr"><is><t>a</t></is></c></row><row r="2"><c t="inlineStr"><is><t>&bogus;</t></is></c></row>`, `<si><t>&amp;</t>`},
		{`<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>a</t></is></c></row><row><c r="ZZZZ1"><v>1</v></c></row><row r="99999999999"/>`, ``},
	}
	for _, s := range seeds {
		f.Add([]byte(s.sheet), []byte(s.sst))
	}
	f.Fuzz(func(t *testing.T, sheet, sst []byte) {
		if len(sheet)+len(sst) > 1<<20 {
			return
		}
		r, err := OpenReader(rawBook(t, string(sheet), string(sst), "", `<xf numFmtId="0"/>`), ReaderOptions{Warn: func(string) {}})
		if err != nil {
			if r != nil {
				t.Fatal("reader returned with an error")
			}
			return
		}
		defer r.Close()
		width := len(r.Header())
		maxRows := bytes.Count(sheet, []byte("<row"))
		for n := 0; ; n++ {
			row, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				break // damaged XML: fatal, which is allowed
			}
			if n >= maxRows {
				t.Fatalf("more rows than <row elements (%d)", maxRows)
			}
			if len(row.Cells) != width {
				t.Fatalf("row %d has %d cells, header has %d", row.Num, len(row.Cells), width)
			}
			if row.Num < 1 {
				t.Fatalf("row number %d", row.Num)
			}
			size := 0
			for _, c := range row.Cells {
				if len(c) > maxCellBytes+utf8.UTFMax {
					t.Fatalf("row %d: a cell of %d bytes", row.Num, len(c))
				}
				size += len(c)
			}
			if size > maxRecordBytes+maxCellBytes {
				t.Fatalf("row %d: %d bytes of cells", row.Num, size)
			}
			if row.Err != nil {
				var re *RowError
				if !errors.As(row.Err, &re) || re.Row != row.Num {
					t.Fatalf("row %d: error %#v is not a *RowError for this row", row.Num, row.Err)
				}
			}
		}
		if _, err := r.Next(); err == nil {
			t.Fatal("Next after the end returned a row")
		}
	})
}
