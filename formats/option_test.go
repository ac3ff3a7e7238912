package formats

import (
	"strings"
	"testing"
)

// TestOptionNames: the readers' messages name the options that fix them
// in words, with no flag, unless OptionName names them (the command
// line's flags); a *FormatError names its option through Text.
func TestOptionNames(t *testing.T) {
	flags := map[Option]string{OptFormat: "--format", OptEncoding: "--encoding", OptHeaderRow: "--header-row"}
	flag := func(o Option) string { return flags[o] }
	for _, tt := range []struct {
		name func(Option) string
		want []string
	}{
		{nil, []string{"give format csv, tsv, xlsx or ndjson", "use encoding auto, utf-8", "give header row N", "give format csv, tsv, xlsx or ndjson"}},
		{flag, []string{"give --format csv, tsv, xlsx or ndjson", "use --encoding auto, utf-8", "give --header-row N", "give --format csv, tsv, xlsx or ndjson"}},
	} {
		var got []string
		if _, err := NewReader(strings.NewReader("name\nAna\n"), ReaderOptions{OptionName: tt.name}); err != nil {
			got = append(got, err.Error())
		}
		if _, err := NewReader(strings.NewReader("name\nAna\n"), ReaderOptions{Format: FormatCSV, Encoding: "ebcdic", OptionName: tt.name}); err != nil {
			got = append(got, err.Error())
		}
		var notes []string
		r, err := NewReader(strings.NewReader("Notes:\nname,email\nAna,ana@example.com\n"), ReaderOptions{Format: FormatCSV, OptionName: tt.name,
			KnownColumn: func(s string) bool { return s == "name" || s == "email" }, Warn: func(s string) { notes = append(notes, s) }})
		if err != nil {
			t.Fatal(err)
		}
		r.Close()
		got = append(got, notes...)
		_, err = DetectFormat("customers.dat")
		if fe, ok := err.(*FormatError); ok {
			got = append(got, fe.Text(tt.name))
		}
		if len(got) != len(tt.want) {
			t.Fatalf("messages %q, want %d", got, len(tt.want))
		}
		for i, w := range tt.want {
			if !strings.Contains(got[i], w) || tt.name == nil && strings.Contains(got[i], "--") {
				t.Errorf("message %q, want it to say %q", got[i], w)
			}
		}
	}
}
