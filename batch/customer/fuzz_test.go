package customer

import (
	"errors"
	"strings"
	"testing"
)

// FuzzMapHeader maps fuzzed headers with a fuzzed --map: an error is a
// message (a *HeaderError only for unknown columns), a mapping maps each
// field once.
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
