package customer

import (
	"net/mail"
	"strings"
	"testing"

	"aivabatch/formats"
)

func mapping(t *testing.T, header ...string) *Mapping {
	t.Helper()
	m, err := MapHeader(header, MapOptions{})
	if err != nil {
		t.Fatalf("MapHeader(%q): %v", header, err)
	}
	return m
}

func TestValidatorRules(t *testing.T) {
	header := []string{"id", "First Name", "Last Name", "name", "email", "phone", "status", "value", "autoPayment", "action"}
	tests := []struct {
		name       string
		cells      []string // id, first, last, name, email, phone, status, value, autoPayment, action
		opts       ValidatorOptions
		wantErrs   []string // substrings of ErrorText, in order; none = valid
		wantValues map[Field]string
	}{
		{name: "clean create", cells: []string{"", "Ana", "Silva", "", "ana@example.com", "+1 555", "Active", "12.5", "yes", ""},
			wantValues: map[Field]string{FieldName: "Ana Silva", FieldStatus: "active", FieldValue: "12.5", FieldAutoPayment: "true"}},
		{name: "name and email required to create", cells: []string{"", "", "", "", "", "", "", "", "", ""},
			wantErrs: []string{"name: required to create a customer; fill the name, or the first and last name", "email: required to create a customer"}},
		{name: "every problem at once", cells: []string{"", "", "", "Bo", "bo@", "1.80012E+10", "pending", "1,234.50", "maybe", ""},
			wantErrs: []string{`email: "bo@" is not a valid email address`, `phone: "1.80012E+10" is in exponent form`, `status: "pending" is not a status`, `value: "1,234.50" has a thousands separator; write the number without it (e.g. 1234.50)`, `autoPayment: "maybe" is not a yes/no value`}},
		{name: "exponent with a decimal comma", cells: []string{"", "", "", "Bo", "bo@example.com", "4,36641E+11", "", "", "", ""},
			wantErrs: []string{`phone: "4,36641E+11" is in exponent form`}},
		{name: "exponent in lower case without sign", cells: []string{"", "", "", "Bo", "bo@example.com", "4.36641e11", "", "", "", ""},
			wantErrs: []string{`phone: "4.36641e11" is in exponent form`}},
		{name: "exponent, comma, lower case, sign", cells: []string{"", "", "", "Bo", "bo@example.com", "'4,36641e-11", "", "", "", ""},
			wantErrs: []string{`phone: "4,36641e-11" is in exponent form`}},
		{name: "a phone with an extension is no exponent", cells: []string{"", "", "", "Bo", "bo@example.com", "+1 555 0100 ext 12", "", "", "", ""},
			wantValues: map[Field]string{FieldPhone: "+1 555 0100 ext 12"}},
		{name: "statuses in the languages of the header aliases", cells: []string{"", "", "", "Bo", "bo@example.com", "", "Gesperrt", "", "", ""},
			wantValues: map[Field]string{FieldStatus: "blocked"}},
		{name: "French status with an accent", cells: []string{"", "", "", "Bo", "bo@example.com", "", "bloquée", "", "", ""},
			wantValues: map[Field]string{FieldStatus: "blocked"}},
		{name: "display name is not a bare address", cells: []string{"", "", "", "Bo", "Bo <bo@example.com>", "", "", "", "", ""},
			wantErrs: []string{`email: "Bo <bo@example.com>" is not a valid email address`}},
		{name: "NUL in a name", cells: []string{"", "", "", "Bo\x00b", "bo@example.com", "", "", "", "", ""},
			wantErrs: []string{`name: contains the control character U+0000; delete it`}},
		{name: "zero-width space in email", cells: []string{"", "", "", "Bo", "bo\u200b@example.com", "", "", "", "", ""},
			wantErrs: []string{`email: "bo\u200b@example.com" contains an invisible character, U+200B (zero-width space); delete it`}},
		{name: "joiners, word joiner and BOM in email", cells: []string{"", "", "", "Bo", "b\u200co\u200d@exa\u2060mple.com\ufeff", "", "", "", "", ""},
			wantErrs: []string{`email: "b\u200co\u200d@exa\u2060mple.com\ufeff" contains an invisible character, U+200C (zero-width non-joiner)`}},
		{name: "word joiner in email", cells: []string{"", "", "", "Bo", "bo@exa\u2060mple.com", "", "", "", "", ""},
			wantErrs: []string{`U+2060 (word joiner)`}},
		{name: "BOM in email", cells: []string{"", "", "", "Bo", "\ufeffbo@example.com", "", "", "", "", ""},
			wantErrs: []string{`U+FEFF (zero-width no-break space, or byte order mark)`}},
		{name: "visible non-ASCII email is fine", cells: []string{"", "", "", "Zoë", "zoë@exämple.de", "", "", "", "", ""}},
		{name: "comma decimal", cells: []string{"", "", "", "Bo", "bo@example.com", "", "", "12,5", "", ""},
			wantErrs: []string{`value: "12,5" uses a comma as decimal separator; write 12.5`}},
		{name: "not a number", cells: []string{"", "", "", "Bo", "bo@example.com", "", "", "12 EUR", "", ""},
			wantErrs: []string{`value: "12 EUR" is not a number`}},
		{name: "update by id needs neither name nor email", cells: []string{"65f0", "", "", "", "", "", "blocked", "", "", "update"},
			wantValues: map[Field]string{FieldStatus: "blocked"}},
		{name: "id given for create", cells: []string{"65f0", "", "", "Bo", "bo@example.com", "", "", "", "", "create"},
			wantErrs: []string{"id: id given for create"}},
		{name: "update without id or match", cells: []string{"", "", "", "Bo", "bo@example.com", "", "", "", "", "update"},
			wantErrs: []string{"id: update needs an id; fill the id column, or drop match none so that the row finds its customer by email"}},
		{name: "update by email needs the email", cells: []string{"", "", "", "Bo", "", "", "", "", "", "update"}, opts: ValidatorOptions{MatchEmail: true},
			wantErrs: []string{"email: required to find the customer by email (or fill the id column)"}},
		{name: "upsert by email may lack a name offline", cells: []string{"", "", "", "", "bo@example.com", "", "", "", "", ""}, opts: ValidatorOptions{MatchEmail: true}},
		{name: "bad action", cells: []string{"", "", "", "Bo", "bo@example.com", "", "", "", "", "merge"},
			wantErrs: []string{`action: "merge" is not an action`}},
		{name: "skip checks nothing", cells: []string{"", "", "", "", "bad", "", "nope", "", "", "SKIP"}},
		{name: "formula escape undone and cells trimmed", cells: []string{"", "", "", "  '=cmd  ", " bo@example.com ", " '+1 555 ", "", "-3", "0", ""},
			wantValues: map[Field]string{FieldName: "=cmd", FieldEmail: "bo@example.com", FieldPhone: "+1 555", FieldValue: "-3", FieldAutoPayment: "false"}},
		{name: "in a workbook a leading quote is data", opts: ValidatorOptions{Workbook: true}, cells: []string{"", "'Ana", "", "", " bo@example.com ", "'+1 555", "", "", "", ""},
			wantValues: map[Field]string{FieldFirstName: "'Ana", FieldEmail: "bo@example.com", FieldPhone: "'+1 555"}},
		{name: "text marker removed before any cell", cells: []string{"", "'Ana", "", "", "'bo@example.com", "'03235555003", "'Active", "'12.5", "'yes", ""},
			wantValues: map[Field]string{FieldFirstName: "Ana", FieldEmail: "bo@example.com", FieldPhone: "03235555003", FieldStatus: "active", FieldValue: "12.5", FieldAutoPayment: "true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := NewValidator(mapping(t, header...), tt.opts)
			defer v.Close()
			rec, err := v.Check(formats.Row{Num: 2, Cells: tt.cells})
			if err != nil {
				t.Fatal(err)
			}
			got := rec.ErrorText()
			if len(tt.wantErrs) == 0 && got != "" {
				t.Fatalf("errors = %q, want valid", got)
			}
			rest := got
			for _, w := range tt.wantErrs {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("errors = %q\nwant (in order) %q", got, w)
				}
				rest = rest[i+len(w):]
			}
			if len(rec.Problems) != len(tt.wantErrs) {
				t.Errorf("%d problems (%q), want %d", len(rec.Problems), got, len(tt.wantErrs))
			}
			for f, want := range tt.wantValues {
				if got, _ := rec.Value(f); got != want {
					t.Errorf("value %s = %q, want %q", f, got, want)
				}
			}
		})
	}
}

func TestValidatorDuplicates(t *testing.T) {
	v := NewValidator(mapping(t, "id", "name", "email"), ValidatorOptions{})
	defer v.Close()
	rows := []struct {
		cells []string
		want  string
	}{
		{[]string{"", "A", "Ana@Example.com"}, ""},
		{[]string{"", "B", "bo@example.com"}, ""},
		{[]string{"", "C", "ana@example.COM"}, "email: duplicate of row 2 (same email)"},
		{[]string{"x1", "D", ""}, ""},
		{[]string{"x1", "E", ""}, "id: duplicate of row 5 (same id)"},
	}
	for i, r := range rows {
		rec, err := v.Check(formats.Row{Num: i + 2, Cells: r.cells})
		if err != nil {
			t.Fatal(err)
		}
		if got := rec.ErrorText(); got != r.want {
			t.Errorf("row %d: errors = %q, want %q", i+2, got, r.want)
		}
	}
}

// TestValidEmailFastPathAgreesWithNetMail checks that the hand-written
// fast path never accepts what net/mail would refuse.
func TestValidEmailFastPathAgreesWithNetMail(t *testing.T) {
	for _, s := range []string{
		"a@b", "ana.silva@example.com", "a+tag@sub.example.co.uk", "o'brien@example.ie", "x@localhost",
		"a..b@example.com", ".a@example.com", "a.@example.com", "a@b..c", "a@.b", "@b.c", "a@", "a@b@c",
		"a b@c.d", "Bo <bo@example.com>", `"quoted"@example.com`, "ü@example.com", "a@[127.0.0.1]", "a@b.c ", "",
	} {
		addr, err := mail.ParseAddress(s)
		want := err == nil && addr.Name == "" && addr.Address == s
		if simpleEmail(s) && !want {
			t.Errorf("fast path accepts %q, net/mail does not", s)
		}
		if got := validEmail(s); got != want {
			t.Errorf("validEmail(%q) = %v, net/mail says %v", s, got, want)
		}
	}
}

func FuzzValidEmail(f *testing.F) {
	for _, s := range []string{"a@b.c", "a..b@c", "x@y", "a@b@c", "ü@x.de"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		addr, err := mail.ParseAddress(s)
		want := err == nil && addr.Name == "" && addr.Address == s
		if simpleEmail(s) && !want {
			t.Errorf("fast path accepts %q, net/mail does not", s)
		}
	})
}

// TestShopifyTextMarker reads a Shopify customers export, whose ids, zips
// and phones carry a spreadsheet's ' text marker: no ' may reach a value
// that would be sent.
func TestShopifyTextMarker(t *testing.T) {
	r, err := formats.OpenReader("../../testdata/shopify-customers-export.csv", formats.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	m, err := MapHeader(r.Header(), MapOptions{
		Map:           map[string]string{"Default Address Phone": "phone", "Phone": "-", "Customer ID": "notes", "Note": "-", "Default Address Zip": "type"},
		IgnoreUnknown: true})
	if err != nil {
		t.Fatal(err)
	}
	v := NewValidator(m, ValidatorOptions{})
	defer v.Close()
	phones := map[int]string{}
	rows := 0
	for {
		row, err := r.Next()
		if err != nil {
			break
		}
		rows++
		rec, err := v.Check(row)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range Fields {
			if val, _ := rec.Value(f); strings.HasPrefix(val, "'") {
				t.Errorf("row %d: %s = %q keeps the text marker", row.Num, f, val)
			}
		}
		phones[row.Num], _ = rec.Value(FieldPhone)
	}
	if rows != 30 {
		t.Errorf("read %d rows, want 30", rows)
	}
	for num, want := range map[int]string{2: "03235555003", 3: "0314 541 5648", 8: "+92 324 607 4596", 10: "+56 9 5333 7391"} {
		if phones[num] != want {
			t.Errorf("row %d: phone = %q, want %q", num, phones[num], want)
		}
	}
}
