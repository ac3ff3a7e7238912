package formats

import (
	"bytes"
	"encoding/csv"
	"testing"
)

// TestCSVWriterMatchesEncodingCSV checks the hand-written CSV writer
// against encoding/csv on tricky fields.
func TestCSVWriterMatchesEncodingCSV(t *testing.T) {
	rows := [][]string{
		{"a", "", "b c", " lead", "\ttab", "x,y", `say "hi"`, "l1\nl2", "cr\r", `\.`, "Zoë", "\u00a0nbsp", "\u2003em", "end "},
	}
	for _, format := range []string{FormatCSV, FormatTSV} {
		var got, want bytes.Buffer
		w, err := NewWriter(&got, WriterOptions{Format: format, Header: make([]string, len(rows[0]))})
		if err != nil {
			t.Fatal(err)
		}
		cw := csv.NewWriter(&want)
		if format == FormatTSV {
			cw.Comma = '\t'
		}
		cw.Write(make([]string, len(rows[0])))
		for _, r := range rows {
			if err := w.Write(r); err != nil {
				t.Fatal(err)
			}
			cw.Write(r)
		}
		w.Close()
		cw.Flush()
		if got.String() != want.String() {
			t.Errorf("%s:\n got %q\nwant %q", format, got.String(), want.String())
		}
	}
}

func FuzzCSVWriter(f *testing.F) {
	f.Add("a", `b"c`, " d")
	f.Add("\u00a0x", "\\.", "l\nm")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		var got, want bytes.Buffer
		w, _ := NewWriter(&got, WriterOptions{Format: FormatCSV, Header: []string{"1", "2", "3"}})
		cw := csv.NewWriter(&want)
		cw.Write([]string{"1", "2", "3"})
		w.Write([]string{a, b, c})
		cw.Write([]string{a, b, c})
		w.Close()
		cw.Flush()
		if got.String() != want.String() {
			t.Errorf("got %q want %q", got.String(), want.String())
		}
	})
}
