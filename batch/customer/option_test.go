package customer

import (
	"strings"
	"testing"

	"aivabatch/formats"
)

// TestOptionNames: the header advice and the row rules name the options
// that fix them in words, with no flag, unless OptionName names them
// (the command line's flags); the sentence around them is the same.
func TestOptionNames(t *testing.T) {
	flag := func(o Option) string { return "--" + strings.ReplaceAll(o.String(), " ", "-") }
	for _, tt := range []struct {
		name func(Option) string
		want []string
	}{
		{nil, []string{`ignore it with map "Fax=-", or ignore all of them with ignore unknown.`, `(and match email)`, `map it with map "Column=email"`,
			`map names the column "Phone 9"`, `(or leave it blank for mode upsert)`, `or drop match none so that`}},
		{flag, []string{`ignore it with --map "Fax=-", or ignore all of them with --ignore-unknown.`, `(and --match email)`, `map it with --map "Column=email"`,
			`--map names the column "Phone 9"`, `(or leave it blank for --mode upsert)`, `or drop --match none so that`}},
	} {
		var got []string
		_, err := MapHeader([]string{"name", "Fax"}, MapOptions{OptionName: tt.name})
		if err == nil {
			t.Fatal("no header error")
		}
		got = append(got, err.Error())
		_, err = MapHeader([]string{"name"}, MapOptions{Map: map[string]string{"Phone 9": "phone"}, OptionName: tt.name})
		if err == nil {
			t.Fatal("no error for a map of a missing column")
		}
		got = append(got, err.Error())
		v := NewValidator(mapping(t, "id", "name", "action"), ValidatorOptions{OptionName: tt.name})
		for _, cells := range [][]string{{"", "Ana", "add"}, {"", "Ana", "update"}} {
			rec, err := v.Check(formats.Row{Num: 2, Cells: cells})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, rec.ErrorText())
		}
		v.Close()
		text := strings.Join(got, "\n")
		for _, w := range tt.want {
			if !strings.Contains(text, w) {
				t.Errorf("the messages lack %q:\n%s", w, text)
			}
		}
		if tt.name == nil && strings.Contains(text, "--") {
			t.Errorf("the messages name a flag without OptionName:\n%s", text)
		}
	}
}
