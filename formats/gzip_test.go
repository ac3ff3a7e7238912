package formats

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestSplitExt(t *testing.T) {
	tests := []struct{ path, wantStem, wantExt string }{
		{"dir/x.csv.gz", "dir/x", ".csv.gz"},
		{"x.CSV.GZ", "x", ".CSV.GZ"},
		{"x.csv", "x", ".csv"},
		{"x.gz", "x", ".gz"},
		{"x", "x", ""},
	}
	for _, tt := range tests {
		stem, ext := SplitExt(tt.path)
		if stem != tt.wantStem || ext != tt.wantExt {
			t.Errorf("SplitExt(%q) = %q, %q; want %q, %q", tt.path, stem, ext, tt.wantStem, tt.wantExt)
		}
	}
	for path, want := range map[string]string{"a.csv.gz": FormatCSV, "a.tsv.gz": FormatTSV, "a.ndjson.gz": FormatNDJSON, "a.jsonl.gz": FormatNDJSON} {
		if got, err := DetectFormat(path); got != want || err != nil {
			t.Errorf("DetectFormat(%q) = %q, %v; want %q", path, got, err, want)
		}
	}
}

// TestCSVReadErrorMidRecord: when the input fails part way through a
// record (a truncated gzip stream gives io.ErrUnexpectedEOF), the cut
// record is not returned as a row: Next returns the error, with the line.
func TestCSVReadErrorMidRecord(t *testing.T) {
	var b strings.Builder
	b.WriteString("name,email\n")
	n := 0
	for b.Len() < 200<<10 {
		n++
		fmt.Fprintf(&b, "Customer %d,c%d@example.com\n", n, n)
	}
	b.WriteString("Cut Short,cut@exa")
	src := io.MultiReader(strings.NewReader(b.String()), iotest.ErrReader(io.ErrUnexpectedEOF))
	r, err := NewReader(src, ReaderOptions{Format: FormatCSV})
	if err != nil {
		t.Fatal(err)
	}
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			t.Fatal("the reader ended at io.EOF: a short read")
		}
		if err != nil {
			if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "line ") {
				t.Errorf("error %v, want io.ErrUnexpectedEOF with the line", err)
			}
			break
		}
		if strings.Contains(strings.Join(row.Cells, ","), "cut@exa") {
			t.Fatalf("the cut record came back as row %d: %q", row.Num, row.Cells)
		}
	}
}
