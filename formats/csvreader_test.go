package formats

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
)

// wantRow is one expected row: its number, cells, and a fragment of its
// row error ("" for none).
type wantRow struct {
	num     int
	cells   []string
	wantErr string
}

// readAll reads every row of r, failing the test on a fatal error.
func readAll(t *testing.T, r RowReader) []Row {
	t.Helper()
	var rows []Row
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return rows
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		rows = append(rows, row)
		if len(rows) > 1e6 {
			t.Fatal("runaway reader")
		}
	}
}

// checkRows compares rows with want, cell by cell and by error fragment.
func checkRows(t *testing.T, rows []Row, want []wantRow) {
	t.Helper()
	if len(rows) != len(want) {
		for _, r := range rows {
			t.Logf("got row %d %q %v", r.Num, r.Cells, r.Err)
		}
		t.Fatalf("got %d rows, want %d", len(rows), len(want))
	}
	for i, w := range want {
		got := rows[i]
		if got.Num != w.num {
			t.Errorf("row %d: Num = %d, want %d", i, got.Num, w.num)
		}
		if w.cells != nil && !reflect.DeepEqual(got.Cells, w.cells) {
			t.Errorf("row %d: Cells = %q, want %q", w.num, got.Cells, w.cells)
		}
		switch {
		case w.wantErr == "" && got.Err != nil:
			t.Errorf("row %d: unexpected error %v", w.num, got.Err)
		case w.wantErr != "" && got.Err == nil:
			t.Errorf("row %d: no error, want one containing %q", w.num, w.wantErr)
		case w.wantErr != "":
			var re *RowError
			if !errors.As(got.Err, &re) || re.Row != w.num {
				t.Errorf("row %d: error %#v is not a *RowError for this row", w.num, got.Err)
			}
			if !strings.Contains(got.Err.Error(), w.wantErr) {
				t.Errorf("row %d: error %q does not contain %q", w.num, got.Err, w.wantErr)
			}
		}
	}
}

func TestCSVReaderFixtures(t *testing.T) {
	tests := []struct {
		name       string
		file       string
		opts       ReaderOptions
		wantHeader []string
		wantRows   []wantRow
		wantWarn   string
	}{
		{
			name:       "BOM and spaced header",
			file:       "bom-spaced-header.csv",
			wantHeader: []string{"Full Name", "E-mail", "Phone Number"},
			wantRows:   []wantRow{{num: 2, cells: []string{"Ada Lovelace", "ada@example.com", "+44 20 7946 0018"}}},
		},
		{
			name:       "semicolon sniffed",
			file:       "semicolon.csv",
			wantHeader: []string{"name", "email", "notes"},
			wantRows: []wantRow{
				{num: 2, cells: []string{"Ada", "ada@example.com", "a;b, c"}},
				{num: 3, cells: []string{"Bob", "bob@example.com", "plain"}},
			},
		},
		{
			name:       "tab sniffed",
			file:       "tab.csv",
			wantHeader: []string{"name", "email", "notes"},
			wantRows:   []wantRow{{num: 2, cells: []string{"Ada", "ada@example.com", "tabs, commas; and | pipes"}}},
		},
		{
			name:       "pipe sniffed",
			file:       "pipe.csv",
			wantHeader: []string{"name", "email", "notes"},
			wantRows:   []wantRow{{num: 2, cells: []string{"Ada", "ada@example.com", "x, y; z"}}},
		},
		{
			name:       "Excel sep= line",
			file:       "sep-line.csv",
			wantHeader: []string{"name", "email"},
			wantRows:   []wantRow{{num: 3, cells: []string{"Ada", "ada@example.com"}}},
		},
		{
			name:       "delimiter option overrides sniffing",
			file:       "semicolon.csv",
			opts:       ReaderOptions{Delimiter: ','},
			wantHeader: []string{"name;email;notes"},
			wantRows: []wantRow{
				{num: 2, wantErr: "has 2 cells but the header has 1 column;"},
				{num: 3, cells: []string{"Bob;bob@example.com;plain"}},
			},
		},
		{
			name:       "TSV format forces tab",
			file:       "pipe.csv",
			opts:       ReaderOptions{Format: FormatTSV},
			wantHeader: []string{"name|email|notes"},
			wantRows:   []wantRow{{num: 2, cells: []string{"Ada|ada@example.com|x, y; z"}}},
		},
		{
			name:       "CRLF, LF and lone CR mixed",
			file:       "mixed-newlines.csv",
			wantHeader: []string{"name", "email"},
			wantRows: []wantRow{
				{num: 2, cells: []string{"Ada", "ada@example.com"}},
				{num: 3, cells: []string{"Bob", "bob@example.com"}},
				{num: 4, cells: []string{"Cy", "cy@example.com"}},
				{num: 6, cells: []string{"Dee", "dee@example.com"}},
			},
		},
		{
			name:       "Windows-1252 detected",
			file:       "windows-1252.csv",
			wantHeader: []string{"name", "notes"},
			wantRows:   []wantRow{{num: 2, cells: []string{"Jörg Müller", "costs 5 € “quoted” – dash"}}},
			wantWarn:   "read as Windows-1252",
		},
		{
			name:       "Windows-1252 forced",
			file:       "windows-1252.csv",
			opts:       ReaderOptions{Encoding: "windows-1252"},
			wantHeader: []string{"name", "notes"},
			wantRows:   []wantRow{{num: 2, cells: []string{"Jörg Müller", "costs 5 € “quoted” – dash"}}},
		},
		{
			name:       "latin1 forced",
			file:       "windows-1252.csv",
			opts:       ReaderOptions{Encoding: "latin1"},
			wantHeader: []string{"name", "notes"},
			wantRows:   []wantRow{{num: 2, cells: []string{"Jörg Müller", "costs 5 \u0080 \u0093quoted\u0094 \u0096 dash"}}},
		},
		{
			name:       "UTF-8 forced on Windows-1252 text",
			file:       "windows-1252.csv",
			opts:       ReaderOptions{Encoding: "utf-8"},
			wantHeader: []string{"name", "notes"},
			wantRows:   []wantRow{{num: 2, cells: []string{"J\uFFFDrg M\uFFFDller", "costs 5 \uFFFD \uFFFDquoted\uFFFD \uFFFD dash"}, wantErr: "name: contains bytes that are not valid UTF-8"}},
		},
		{
			name:       "unterminated quote resynchronises on the next line",
			file:       "unterminated-quote.csv",
			wantHeader: []string{"name", "email", "notes"},
			wantRows: []wantRow{
				{num: 2, cells: []string{"Ada", "ada@example.com", "ok"}},
				{num: 3, cells: []string{"Bob", "bob@example.com", `"never closed`}, wantErr: "row 3: notes: the quote opened on line 3 is never closed"},
				{num: 4, cells: []string{"Cy", "cy@example.com", "fine"}},
				{num: 5, cells: []string{"Dee", "dee@example.com", `a "real" quote`}},
			},
		},
		{
			name:       "unterminated quote up to the end of the file",
			file:       "unterminated-quote-eof.csv",
			wantHeader: []string{"name", "email", "notes"},
			wantRows: []wantRow{
				{num: 2, cells: []string{"Ada", "ada@example.com", "ok"}},
				{num: 3, wantErr: "the quote opened on line 3 is never closed"},
				{num: 4, cells: []string{"Cy", "cy@example.com", "fine"}},
			},
		},
		{
			name:       "quotes inside cells",
			file:       "inner-quotes.csv",
			wantHeader: []string{"name", "email", "notes"},
			wantRows: []wantRow{
				{num: 2, cells: []string{"Ada", "ada@example.com", `He said "hi" to me`}},
				{num: 3, cells: []string{"Bob", "bob@example.com", `He said "hi" to me"`}, wantErr: "notes: the quoted cell that starts on line 3 has text after its closing quote"},
				{num: 4, cells: []string{"Cy", "cy@example.com", "fine"}},
			},
		},
		{
			name:       "ragged rows",
			file:       "ragged.csv",
			wantHeader: []string{"name", "email", "phone", "notes"},
			wantRows: []wantRow{
				{num: 2, cells: []string{"Ada", "ada@example.com", "1", "a"}},
				{num: 3, cells: []string{"Bob", "bob@example.com", "2", "b"}, wantErr: `has 5 cells but the header has 4 columns; check for an unquoted "," in a cell`},
				{num: 4, cells: []string{"Cy", "cy@example.com", "", ""}, wantErr: "has 2 cells but the header has 4 columns"},
				{num: 5, cells: []string{"Dee", "dee@example.com", "4", "d"}},
			},
		},
		{
			name:       "header only",
			file:       "header-only.csv",
			wantHeader: []string{"name", "email"},
		},
		{
			name:       "quoted line breaks keep line numbers",
			file:       "embedded-newlines.csv",
			wantHeader: []string{"name", "email", "notes"},
			wantRows: []wantRow{
				{num: 2, cells: []string{"Ada", "ada@example.com", "line one\nline two\nline three"}},
				{num: 6, cells: []string{"Bob", "bob@example.com", "x"}},
				{num: 7, cells: []string{"Cy", "cy@example.com", "a\n\nb"}},
				{num: 10, cells: []string{"Dee", "dee@example.com", "end"}},
			},
		},
		{
			name:       "blank rows skipped",
			file:       "blank-rows.csv",
			wantHeader: []string{"name", "email"},
			wantRows:   []wantRow{{num: 4, cells: []string{"Ada", "ada@example.com"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var warns []string
			opts := tt.opts
			opts.Warn = func(s string) { warns = append(warns, s) }
			r, err := OpenReader(filepath.Join("testdata", tt.file), opts)
			if err != nil {
				t.Fatalf("OpenReader: %v", err)
			}
			defer r.Close()
			if !reflect.DeepEqual(r.Header(), tt.wantHeader) {
				t.Errorf("Header = %q, want %q", r.Header(), tt.wantHeader)
			}
			checkRows(t, readAll(t, r), tt.wantRows)
			switch {
			case tt.wantWarn == "" && len(warns) > 0:
				t.Errorf("unexpected warnings %q", warns)
			case tt.wantWarn != "" && (len(warns) != 1 || !strings.Contains(warns[0], tt.wantWarn)):
				t.Errorf("warnings = %q, want one containing %q", warns, tt.wantWarn)
			}
		})
	}
}

func TestOpenReaderErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		path    string
		opts    ReaderOptions
		wantErr string
	}{
		{name: "empty file", path: "testdata/empty.csv", wantErr: "the file is empty: it has no header line"},
		{name: "blank lines only", path: "testdata/blank-lines-only.csv", wantErr: "the file is empty"},
		{name: "missing file", path: filepath.Join(dir, "nope.csv"), wantErr: "does not exist"},
		{name: "directory", path: dir, opts: ReaderOptions{Format: "csv"}, wantErr: "is a directory"},
		{name: "unknown extension", path: "testdata/customers.dat", wantErr: "give format csv, tsv, xlsx or ndjson"},
		{name: "unknown encoding", path: "testdata/semicolon.csv", opts: ReaderOptions{Encoding: "ebcdic"}, wantErr: `unknown encoding "ebcdic"`},
		{name: "bad delimiter", path: "testdata/semicolon.csv", opts: ReaderOptions{Delimiter: '"'}, wantErr: "cannot be used"},
		{name: "unknown format", path: "testdata/semicolon.csv", opts: ReaderOptions{Format: "xml"}, wantErr: `unknown format "xml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := OpenReader(tt.path, tt.opts)
			if err == nil {
				r.Close()
				t.Fatalf("no error, want %q", tt.wantErr)
			}
			if r != nil {
				t.Errorf("reader %v returned with error", r)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestDetectFormat(t *testing.T) {
	tests := []struct {
		path, want string
		wantErr    bool
	}{
		{path: "a.csv", want: FormatCSV},
		{path: "dir.x/A.CSV", want: FormatCSV},
		{path: "a.tsv", want: FormatTSV},
		{path: "a.Xlsx", want: FormatXLSX},
		{path: "a.ndjson", want: FormatNDJSON},
		{path: "a.JSONL", want: FormatNDJSON},
		{path: "a.json", wantErr: true},
		{path: "a.xls", wantErr: true},
		{path: "noext", wantErr: true},
		{path: "-", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, err := DetectFormat(tt.path)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("DetectFormat(%q) = %q, %v; want %q, error %v", tt.path, got, err, tt.want, tt.wantErr)
			}
			var fe *FormatError
			if err != nil && (!errors.As(err, &fe) || !strings.Contains(err.Error(), "give format")) {
				t.Errorf("error %q is no *FormatError that says what to do", err)
			}
		})
	}
}

// writeTemp writes data to a file in a test directory and returns its path.
func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCSVLimits(t *testing.T) {
	big := strings.Repeat("x", 100<<10)
	huge := strings.Repeat("y", 3<<19) // 1.5 MiB
	// A runaway quote followed by more than 1 MiB of good rows.
	var runaway strings.Builder
	runaway.WriteString("name,notes\nAda,\"open\n")
	for runaway.Len() < 1200<<10 {
		runaway.WriteString("Bob,some plain notes without quotes\n")
	}
	goodAfter := strings.Count(runaway.String(), "\n") - 2
	tests := []struct {
		name     string
		data     string
		wantRows []wantRow
		wantLen  int // when >0, only the first rows are checked and the count is this
	}{
		{
			name: "100 KiB quoted cell",
			data: "name,notes\nAda,\"" + big + "\"\nBob,ok\n",
			wantRows: []wantRow{
				{num: 2, wantErr: "notes: cell is 100 KiB; the limit is 64 KiB"},
				{num: 3, cells: []string{"Bob", "ok"}},
			},
		},
		{
			name: "100 KiB unquoted cell",
			data: "name,notes\nAda," + big + "\nBob,ok\n",
			wantRows: []wantRow{
				{num: 2, wantErr: "cell is 100 KiB"},
				{num: 3, cells: []string{"Bob", "ok"}},
			},
		},
		{
			name: "record over 1 MiB",
			data: "name,notes\nAda," + huge + "\nBob,ok\n",
			wantRows: []wantRow{
				{num: 2, cells: []string{"", ""}, wantErr: "the record is longer than 1 MiB"},
				{num: 3, cells: []string{"Bob", "ok"}},
			},
		},
		{
			name: "runaway quote over 1 MiB",
			data: runaway.String(),
			wantRows: []wantRow{
				{num: 2, cells: []string{"Ada", `"open`}, wantErr: "the quote opened on line 2 is never closed"},
				{num: 3, cells: []string{"Bob", "some plain notes without quotes"}},
			},
			wantLen: 1 + goodAfter,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := OpenReader(writeTemp(t, "f.csv", []byte(tt.data)), ReaderOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			rows := readAll(t, r)
			if tt.wantLen > 0 {
				if len(rows) != tt.wantLen {
					t.Fatalf("got %d rows, want %d", len(rows), tt.wantLen)
				}
				for _, row := range rows[1:] {
					if row.Err != nil {
						t.Fatalf("row %d: %v", row.Num, row.Err)
					}
				}
				rows = rows[:len(tt.wantRows)]
			}
			checkRows(t, rows, tt.wantRows)
		})
	}
}

func TestEncodingSniffBoundary(t *testing.T) {
	// 'é' (2 bytes) cut in two by the end of the 64 KiB window must not
	// make valid UTF-8 look like Windows-1252.
	head := "name,notes\nAda,"
	pad := strings.Repeat("a", sniffBytes-len(head)-1)
	data := head + pad + "é\n"
	if len(data) <= sniffBytes || data[sniffBytes-1] != "é"[0] {
		t.Fatal("test data does not cut the rune at the boundary")
	}
	var warns []string
	r, err := NewReader(strings.NewReader(data), ReaderOptions{Format: FormatCSV, Warn: func(s string) { warns = append(warns, s) }})
	if err != nil {
		t.Fatal(err)
	}
	rows := readAll(t, r)
	if len(warns) != 0 {
		t.Errorf("warnings %q for valid UTF-8", warns)
	}
	if len(rows) != 1 || rows[0].Cells[1] != pad+"é" || rows[0].Err != nil {
		t.Errorf("rows = %v", rows)
	}

	tests := []struct {
		name  string
		head  []byte
		atEOF bool
		want  bool
	}{
		{name: "valid", head: []byte("abc é"), want: true},
		{name: "cut 2-byte rune", head: []byte("abc \xc3"), want: true},
		{name: "cut 3-byte rune", head: []byte("abc \xe2\x82"), want: true},
		{name: "cut rune at EOF", head: []byte("abc \xc3"), atEOF: true, want: false},
		{name: "invalid byte", head: []byte("M\xfcller"), want: false},
		{name: "invalid then cut", head: []byte("M\xfcller \xc3"), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := validUTF8Prefix(tt.head, tt.atEOF); got != tt.want {
				t.Errorf("validUTF8Prefix(%q, %v) = %v, want %v", tt.head, tt.atEOF, got, tt.want)
			}
		})
	}
}

// TestUTF16Read: Excel's "Unicode Text" (UTF-16LE with a BOM, tab
// separated, CRLF) reads in one go under --encoding auto, and so does
// UTF-16BE; a forced other encoding is refused with a message that says
// to leave it out.
func TestUTF16Read(t *testing.T) {
	text := "Name\tE-mail\tNotes\r\nJürgen Größer\tj@example.de\t\"a\tb\"\r\n陈 Mei\tm@example.com\t😀\r\n"
	encode := func(big bool) []byte {
		out := []byte{0xFF, 0xFE}
		if big {
			out = []byte{0xFE, 0xFF}
		}
		for _, u := range utf16.Encode([]rune(text)) {
			if big {
				out = append(out, byte(u>>8), byte(u))
			} else {
				out = append(out, byte(u), byte(u>>8))
			}
		}
		return out
	}
	for _, big := range []bool{false, true} {
		r, err := NewReader(bytes.NewReader(encode(big)), ReaderOptions{Format: FormatCSV})
		if err != nil {
			t.Fatalf("big-endian %v: %v", big, err)
		}
		if h := r.Header(); !slices.Equal(h, []string{"Name", "E-mail", "Notes"}) {
			t.Errorf("big-endian %v: header %q", big, h)
		}
		var got [][]string
		for {
			row, err := r.Next()
			if err != nil {
				break
			}
			if row.Err != nil {
				t.Errorf("row %d: %v", row.Num, row.Err)
			}
			got = append(got, row.Cells)
		}
		want := [][]string{{"Jürgen Größer", "j@example.de", "a\tb"}, {"陈 Mei", "m@example.com", "😀"}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("big-endian %v: rows %q, want %q", big, got, want)
		}
		if d, _ := InputDialect(r); d.Delimiter != '\t' || !d.BOM {
			t.Errorf("big-endian %v: dialect %+v, want tab with a BOM for the report", big, d)
		}
	}
	_, err := NewReader(bytes.NewReader(encode(false)), ReaderOptions{Format: FormatCSV, Encoding: "windows-1252"})
	if err == nil || !strings.Contains(err.Error(), "UTF-16") || !strings.Contains(err.Error(), "leave out encoding") {
		t.Errorf("forced windows-1252: err = %v, want a UTF-16 message", err)
	}
	if f, err := DetectFormat("Kunden.TXT"); f != FormatCSV || err != nil {
		t.Errorf("DetectFormat(.txt) = %q, %v; want csv (delimiter sniffed)", f, err)
	}
}

func TestCSVProgress(t *testing.T) {
	data, err := os.ReadFile("testdata/customers-100.csv")
	if err != nil {
		t.Fatal(err)
	}
	var last int64
	calls := 0
	r, err := OpenReader("testdata/customers-100.csv", ReaderOptions{Progress: func(n int64) {
		if n < last {
			t.Errorf("progress went back from %d to %d", last, n)
		}
		last = n
		calls++
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if rows := readAll(t, r); len(rows) != 100 {
		t.Fatalf("got %d rows, want 100", len(rows))
	}
	if last != int64(len(data)) || calls == 0 {
		t.Errorf("last progress = %d after %d calls, want %d", last, calls, len(data))
	}
}

func TestCellsNotReused(t *testing.T) {
	r, err := OpenReader("testdata/semicolon.csv", ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rows := readAll(t, r)
	if rows[0].Cells[0] != "Ada" || rows[1].Cells[0] != "Bob" {
		t.Errorf("cells changed by a later Next: %q %q", rows[0].Cells, rows[1].Cells)
	}
}

func readFile(p string) ([]byte, error) { return os.ReadFile(p) }

// openCSV opens text as a CSV file with opts, collecting notices.
func openCSV(t *testing.T, text string, opts ReaderOptions) (RowReader, *[]string) {
	t.Helper()
	var notes []string
	opts.Warn = func(m string) { notes = append(notes, m) }
	p := filepath.Join(t.TempDir(), "in.csv")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := OpenReader(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, &notes
}

// knownColumn stands for the caller's ReaderOptions.KnownColumn (the
// customer columns, in batch/customer) in the preamble tests.
func knownColumn(name string) bool {
	switch strings.ToLower(name) {
	case "first name", "last name", "email address", "name", "email":
		return true
	}
	return false
}

// TestCSVPreamble: LinkedIn's "Notes:" preamble (a one-cell line, a
// quoted paragraph with commas, a blank line) before the header is left
// out with a notice naming the header's line; --header-row sets it; a
// first line that is a header, or data, is never taken for a preamble.
func TestCSVPreamble(t *testing.T) {
	data, err := os.ReadFile("../testdata/linkedin-connections.csv")
	if err != nil {
		t.Fatal(err)
	}
	r, notes := openCSV(t, string(data), ReaderOptions{KnownColumn: knownColumn})
	if h := r.Header(); !reflect.DeepEqual(h, []string{"First Name", "Last Name", "URL", "Email Address", "Company", "Position", "Connected On"}) {
		t.Errorf("header %q", h)
	}
	rows := readAll(t, r)
	if len(rows) != 4 || rows[0].Num != 5 || rows[0].Err != nil || rows[0].Cells[0] != "Ada" {
		t.Errorf("rows: %d, first %+v", len(rows), rows[0])
	}
	if len(*notes) != 1 || !strings.HasPrefix((*notes)[0], `the header is on line 4: the 3 lines before it ("Notes:") are not a header and left out; if the header is on another line, give header row N`) {
		t.Errorf("notices %q", *notes)
	}

	r, notes = openCSV(t, "Exported 2024\n\nid;Vorname;E-Mail\n1;Jürgen;j@example.de\n", ReaderOptions{HeaderRow: 3})
	if h := r.Header(); !reflect.DeepEqual(h, []string{"id", "Vorname", "E-Mail"}) || len(*notes) != 0 {
		t.Errorf("--header-row 3: header %q, notices %q", h, *notes)
	}
	if rows := readAll(t, r); len(rows) != 1 || rows[0].Num != 4 || rows[0].Cells[1] != "Jürgen" {
		t.Errorf("--header-row 3: rows %+v", rows)
	}

	// A title with the delimiter in it: a line with fewer cells than the
	// header is a preamble too; TSV lines are cut at tabs only.
	for _, tc := range []struct{ name, text, title string }{
		{"in.csv", "Customers, exported 2026-01-01\n\nName,Email,Status\nAda,ada@example.com,active\n", "Customers, exported 2026-01-01"},
		{"in.tsv", "Customer export\nGenerated: 2026-01-01, by admin\n\nName\tEmail\tStatus\nAda\tada@example.com\tactive\n", "Customer export"},
		{"in.tsv", "Customers, exported 2026-01-01\nName\tEmail\nAda\tada@example.com\n", "Customers, exported 2026-01-01"},
	} {
		var notes []string
		p := filepath.Join(t.TempDir(), tc.name)
		if err := os.WriteFile(p, []byte(tc.text), 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := OpenReader(p, ReaderOptions{KnownColumn: knownColumn, Warn: func(m string) { notes = append(notes, m) }})
		if err != nil {
			t.Fatal(err)
		}
		rows := readAll(t, r)
		r.Close()
		if h := r.Header(); h[0] != "Name" || h[1] != "Email" || len(rows) != 1 || rows[0].Cells[1] != "ada@example.com" {
			t.Errorf("%s %q: header %q, rows %+v", tc.name, tc.text, h, rows)
		}
		if len(notes) != 1 || !strings.Contains(notes[0], strconv.Quote(tc.title)) {
			t.Errorf("%s %q: notices %q, want one naming %q", tc.name, tc.text, notes, tc.title)
		}
	}

	for _, text := range []string{
		"email\nana@example.com\n",                      // a one-column file
		"Title\nAna,ana@example.com\n",                  // data after a one-cell line: no guess
		"name,email\nAna,ana@example.com\n",             // a plain header
		"Kundennr,Anrede\n1,Herr\n2,Frau\n",             // a header naming no field, then data
		"Title,Period\nAna,ana@example.com\n",           // two cells, then as many: data
		"Notes:\n\"a \"\"quoted\nbreak\"\nname,email\n", // a quoted line break: no guess
	} {
		r, notes := openCSV(t, text, ReaderOptions{KnownColumn: knownColumn})
		if first := strings.SplitN(text, "\n", 2)[0]; r.Header()[0] != strings.Split(first, ",")[0] || len(*notes) != 0 {
			t.Errorf("%q: header %q, notices %q", text, r.Header(), *notes)
		}
	}
}

// TestCSVFooter: a Salesforce report's footer (after a blank line, one
// cell a line: "Grand Totals (8 records)", a confidentiality line, a
// copyright line) is left out with a notice, never rows; --footer-rows N
// leaves out the last N rows, and none with -1 (--footer-rows 0); one-cell
// lines followed by rows are rows.
func TestCSVFooter(t *testing.T) {
	data, err := os.ReadFile("../testdata/salesforce-contacts-report.csv")
	if err != nil {
		t.Fatal(err)
	}
	r, notes := openCSV(t, string(data), ReaderOptions{})
	rows := readAll(t, r)
	if len(rows) != 8 {
		t.Errorf("%d rows, want the 8 contacts", len(rows))
	}
	for _, row := range rows {
		if row.Err != nil {
			t.Errorf("row %d: %v", row.Num, row.Err)
		}
	}
	if len(*notes) != 1 || !strings.HasPrefix((*notes)[0], `lines 12 to 15 after the data ("Grand Totals (8 records)", "Confidential Information - Do Not Distribute", "Copyright`) {
		t.Errorf("notices %q", *notes)
	}

	r, _ = openCSV(t, string(data), ReaderOptions{FooterRows: -1})
	if rows := readAll(t, r); len(rows) != 11 || rows[8].Err == nil {
		t.Errorf("--footer-rows 0: %d rows, want 11 with the footer's as row errors", len(rows))
	}

	text := "name,email\nAna,a@example.com\nBo,b@example.com\nCy,c@example.com\nTotal: 3\n"
	r, notes = openCSV(t, text, ReaderOptions{FooterRows: 1})
	if rows := readAll(t, r); len(rows) != 3 || len(*notes) != 1 || !strings.Contains((*notes)[0], `line 5 after the data ("Total: 3")`) {
		t.Errorf("--footer-rows 1: %d rows, notices %q", len(rows), *notes)
	}

	text = "name,email\nAna,a@example.com\n\nNote\nBo,b@example.com\n"
	r, notes = openCSV(t, text, ReaderOptions{})
	if rows := readAll(t, r); len(rows) != 3 || rows[1].Num != 4 || rows[2].Num != 5 || len(*notes) != 0 {
		t.Errorf("one-cell line before rows: %+v, notices %q", rows, *notes)
	}
}

func TestZipAsCSV(t *testing.T) {
	for _, format := range []string{FormatCSV, FormatNDJSON} {
		_, err := NewReader(strings.NewReader("PK\x03\x04\x14\x00\x08\x00rest of a workbook"), ReaderOptions{Format: format})
		if err == nil || !strings.Contains(err.Error(), "XLSX workbook") || !strings.Contains(err.Error(), "read it with format xlsx") || strings.Contains(err.Error(), "PK") {
			t.Errorf("%s: err = %v, want the XLSX hint", format, err)
		}
	}
}
