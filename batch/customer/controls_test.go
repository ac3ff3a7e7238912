package customer

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"aivabatch/formats"
)

func valueMaps(t *testing.T, specs ...string) ValueMaps {
	t.Helper()
	var vm ValueMaps
	for _, s := range specs {
		f, from, to, err := ParseValue(s)
		if err != nil {
			t.Fatalf("ParseValue(%q): %v", s, err)
		}
		vm.Set(f, from, to)
	}
	return vm
}

func rules(t *testing.T, table map[string]any) *Rules {
	t.Helper()
	r, err := ParseRules(table)
	if err != nil {
		t.Fatalf("ParseRules: %v", err)
	}
	return r
}

func TestValueMapsAndRules(t *testing.T) {
	header := []string{"name", "email", "phone", "Lead Status", "type", "value", "Auto Pay", "action"}
	m, err := MapHeader(header, MapOptions{Map: map[string]string{"Lead Status": "status", "Auto Pay": "autoPayment"}})
	if err != nil {
		t.Fatal(err)
	}
	leadStatus := []string{"status:Pending=inactive", "status:Open=active", "status:Lost=gone"}
	tenant := map[string]any{
		"required": []any{"phone"},
		"type":     map[string]any{"allowed": []any{"individual", "business", "partner"}},
		"value":    map[string]any{"min": int64(0), "max": 1e6},
		"email":    map[string]any{"pattern": `@(example\.com|example\.org)$`},
	}
	tests := []struct {
		name       string
		cells      []string // name, email, phone, Lead Status, type, value, Auto Pay, action
		values     []string
		rules      map[string]any
		wantErrs   []string // substrings of ErrorText, in order; none = valid
		wantValues map[Field]string
		wantValue  []string // Problem.Value of each problem that has one
	}{
		{name: "a mapped status is sent", cells: []string{"Bo", "bo@example.com", "", "Pending", "", "", "", ""}, values: leadStatus,
			wantValues: map[Field]string{FieldStatus: "inactive"}},
		{name: "matching ignores case and spaces", cells: []string{"Bo", "bo@example.com", "", "  pENDING ", "", "", "", ""}, values: []string{"status: Pending =inactive"},
			wantValues: map[Field]string{FieldStatus: "inactive"}},
		{name: "a value not in the map is checked as it is", cells: []string{"Bo", "bo@example.com", "", "Blocked", "", "", "", ""}, values: leadStatus,
			wantValues: map[Field]string{FieldStatus: "blocked"}},
		{name: "a value the map does not know is still invalid", cells: []string{"Bo", "bo@example.com", "", "Customer", "", "", "", ""}, values: leadStatus,
			wantErrs: []string{`Lead Status: "Customer" is not a status`}, wantValue: []string{"Customer"}},
		{name: "a mapped value is checked like any other", cells: []string{"Bo", "bo@example.com", "", "Lost", "", "", "", ""}, values: leadStatus,
			wantErrs: []string{`Lead Status: "gone" is not a status; use active, inactive or blocked (the value map gave it for "Lost")`}, wantValue: []string{"Lost"}},
		{name: "a mapped yes/no", cells: []string{"Bo", "bo@example.com", "", "", "", "", "Jawohl", ""}, values: []string{"autoPayment:jawohl=true"},
			wantValues: map[Field]string{FieldAutoPayment: "true"}},
		{name: "a mapped type", cells: []string{"Bo", "bo@example.com", "", "", "Firma", "", "", ""}, values: []string{"type:Firma=business"},
			wantValues: map[Field]string{FieldType: "business"}},
		{name: "a map of one field leaves the others alone", cells: []string{"Pending", "bo@example.com", "", "", "", "", "", ""}, values: leadStatus,
			wantValues: map[Field]string{FieldName: "Pending"}},

		{name: "required phone missing", cells: []string{"Bo", "bo@example.com", "", "", "", "", "", ""}, rules: tenant,
			wantErrs: []string{"phone: required by the rules; fill it"}},
		{name: "all rules met", cells: []string{"Bo", "bo@example.org", "+1 555", "", "Partner", "1000000", "", ""}, rules: tenant,
			wantValues: map[Field]string{FieldType: "Partner", FieldValue: "1000000"}},
		{name: "type not allowed", cells: []string{"Bo", "bo@example.com", "+1", "", "gold", "", "", ""}, rules: tenant,
			wantErrs: []string{`type: "gold" is not allowed by the rules; use individual, business or partner`}, wantValue: []string{"gold"}},
		{name: "value below min", cells: []string{"Bo", "bo@example.com", "+1", "", "", "-0.5", "", ""}, rules: tenant,
			wantErrs: []string{"value: -0.5 is below the rules' min 0"}},
		{name: "value above max", cells: []string{"Bo", "bo@example.com", "+1", "", "", "1000000.01", "", ""}, rules: tenant,
			wantErrs: []string{"value: 1000000.01 is above the rules' max 1000000"}},
		{name: "email outside the domains", cells: []string{"Bo", "bo@gmail.com", "+1", "", "", "", "", ""}, rules: tenant,
			wantErrs: []string{`email: "bo@gmail.com" does not match the rules' pattern @(example\.com|example\.org)$`}},
		{name: "every failing rule at once, with the built-in problems", cells: []string{"Bo", "bo@gmail.com", "", "nope", "gold", "2e6", "", ""}, rules: tenant,
			wantErrs:  []string{`Lead Status: "nope" is not a status`, `value: "2e6" is not a number`, "phone: required by the rules", `email: "bo@gmail.com" does not match`, `type: "gold" is not allowed`},
			wantValue: []string{"nope", "gold"}},
		{name: "a value with a built-in problem is not checked by a rule too", cells: []string{"Bo", "bo@", "+1", "", "", "", "", ""}, rules: tenant,
			wantErrs: []string{`email: "bo@" is not a valid email address`}},
		{name: "a mapped value that then fails a rule", cells: []string{"Bo", "bo@example.com", "+1", "", "Firma", "", "", ""}, values: []string{"type:Firma=company"}, rules: tenant,
			wantErrs: []string{`type: "company" is not allowed by the rules; use individual, business or partner (the value map gave it for "Firma")`}, wantValue: []string{"Firma"}},
		{name: "a mapped value that meets the rules", cells: []string{"Bo", "bo@example.com", "+1", "Open", "Firma", "", "", ""}, values: append([]string{"type:Firma=business"}, leadStatus...), rules: tenant,
			wantValues: map[Field]string{FieldType: "business", FieldStatus: "active"}},
		{name: "a map that fills the allowed value of a status rule", cells: []string{"Bo", "bo@example.com", "", "Pending", "", "", "", ""}, values: leadStatus,
			rules:      map[string]any{"status": map[string]any{"allowed": []any{"inactive"}}},
			wantValues: map[Field]string{FieldStatus: "inactive"}},
		{name: "rules do not apply to a delete", cells: []string{"", "bo@example.com", "", "", "", "", "", "delete"}, rules: tenant},
		{name: "rules do not apply to a skip", cells: []string{"", "", "", "", "", "", "", "skip"}, rules: tenant},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := ValidatorOptions{MatchEmail: true, Values: valueMaps(t, tt.values...)}
			if tt.rules != nil {
				opts.Rules = rules(t, tt.rules)
			}
			v := NewValidator(m, opts)
			defer v.Close()
			r, err := v.Check(formats.Row{Num: 2, Cells: tt.cells})
			if err != nil {
				t.Fatal(err)
			}
			got := r.ErrorText()
			if len(tt.wantErrs) == 0 && got != "" {
				t.Fatalf("want valid, got %q", got)
			}
			rest := got
			for _, w := range tt.wantErrs {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("error %q: want %q (in this order)", got, w)
				}
				rest = rest[i+len(w):]
			}
			if len(r.Problems) != len(tt.wantErrs) {
				t.Errorf("%d problems (%q), want %d", len(r.Problems), got, len(tt.wantErrs))
			}
			var vals []string
			for _, p := range r.Problems {
				if p.Value != "" {
					vals = append(vals, p.Value)
				}
			}
			if strings.Join(vals, "|") != strings.Join(tt.wantValue, "|") {
				t.Errorf("problem values %q, want %q", vals, tt.wantValue)
			}
			for f, want := range tt.wantValues {
				if v, _ := r.Value(f); v != want {
					t.Errorf("%s = %q, want %q", f, v, want)
				}
			}
			if strings.Join(r.Cells, ",") != strings.Join(tt.cells, ",") {
				t.Errorf("cells changed to %q: the report must keep the file's", r.Cells)
			}
		})
	}
}

func TestBuiltInYesNoWords(t *testing.T) {
	for in, want := range map[string]string{
		"Ja": "true", "NEIN": "false", "nee": "false", "Oui": "true", "non": "false",
		"Sí": "true", "SI": "true", "sì": "true", "No": "false", "Sim": "true", "NÃO": "false", "nao": "false",
		"yes": "true", "0": "false",
	} {
		if got, ok := parseBool(in); !ok || got != want {
			t.Errorf("parseBool(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"jain", "oui non", "maybe", "vielleicht!", ""} {
		if got, ok := parseBool(in); ok {
			t.Errorf("parseBool(%q) = %q, want no yes/no", in, got)
		}
	}
}

func TestParseValueErrors(t *testing.T) {
	tests := []struct{ spec, want, closest string }{
		{spec: "status=inactive", want: `write "field:text=value"`},
		{spec: "status:Pending", want: `write "field:text=value"`},
		{spec: ":Pending=inactive", want: `write "field:text=value"`},
		{spec: "status:=inactive", want: `write "field:text=value"`},
		{spec: "statsu:Pending=inactive", want: `"statsu" is not a field`, closest: "status"},
		{spec: "id:1=2", want: `"id" is not a field`, closest: "name"},
		{spec: "status:Pending= ", want: `no value for "Pending"`},
	}
	for _, tt := range tests {
		_, _, _, err := ParseValue(tt.spec)
		var ce *ControlError
		if !errors.As(err, &ce) {
			t.Fatalf("ParseValue(%q) = %v, want a *ControlError", tt.spec, err)
		}
		if !strings.Contains(ce.Msg, tt.want) || string(ce.Closest) != tt.closest {
			t.Errorf("ParseValue(%q): %q closest %q; want %q closest %q", tt.spec, ce.Msg, ce.Closest, tt.want, tt.closest)
		}
	}
}

func TestParseRulesErrors(t *testing.T) {
	tests := []struct {
		name         string
		table        map[string]any
		key, closest string
		want         string
	}{
		{name: "unknown field", table: map[string]any{"phon": map[string]any{"pattern": "x"}}, key: "phon", closest: "phone", want: "not a field"},
		{name: "unknown required field", table: map[string]any{"required": []any{"phone", "emial"}}, key: "required", closest: "email", want: `"emial" is not a field`},
		{name: "required not a list", table: map[string]any{"required": "phone"}, key: "required", want: "want a list"},
		{name: "bad pattern", table: map[string]any{"email": map[string]any{"pattern": "(["}}, key: "email.pattern", want: "is not a regular expression"},
		{name: "pattern not a string", table: map[string]any{"email": map[string]any{"pattern": int64(3)}}, key: "email.pattern", want: "want a regular expression"},
		{name: "min above max", table: map[string]any{"value": map[string]any{"min": int64(10), "max": int64(1)}}, key: "value", want: "min 10 is above max 1"},
		{name: "min quoted", table: map[string]any{"value": map[string]any{"min": "0"}}, key: "value.min", want: "want a number"},
		{name: "min on text", table: map[string]any{"phone": map[string]any{"min": int64(0)}}, key: "phone.min", want: "min and max are for the number field value"},
		{name: "allowed empty", table: map[string]any{"type": map[string]any{"allowed": []any{}}}, key: "type.allowed", want: "want a list of values"},
		{name: "allowed not strings", table: map[string]any{"type": map[string]any{"allowed": []any{int64(1)}}}, key: "type.allowed", want: "quoted string"},
		{name: "unknown rule", table: map[string]any{"type": map[string]any{"allow": []any{"a"}}}, key: "type.allow", want: `unknown rule "allow"`},
		{name: "rule not a table", table: map[string]any{"type": "individual"}, key: "type", want: "want a table"},
		{name: "empty rule", table: map[string]any{"type": map[string]any{}}, key: "type", want: "an empty rule"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRules(tt.table)
			var ce *ControlError
			if !errors.As(err, &ce) {
				t.Fatalf("ParseRules = %v, want a *ControlError", err)
			}
			if ce.Key != tt.key || string(ce.Closest) != tt.closest || !strings.Contains(ce.Msg, tt.want) {
				t.Errorf("got key %q closest %q msg %q; want key %q closest %q msg ~%q", ce.Key, ce.Closest, ce.Msg, tt.key, tt.closest, tt.want)
			}
		})
	}
}

func TestRulesTableRoundTrip(t *testing.T) {
	in := map[string]any{
		"required": []any{"phone"},
		"type":     map[string]any{"allowed": []any{"a", "b"}},
		"value":    map[string]any{"min": int64(0), "max": 10.5},
		"email":    map[string]any{"pattern": `@x\.com$`},
	}
	r := rules(t, in)
	tab := r.Table()
	// Table gives Go slices; the TOML decoder gives []any: convert.
	norm := func(v any) any {
		if ss, ok := v.([]string); ok {
			out := make([]any, len(ss))
			for i, s := range ss {
				out[i] = s
			}
			return out
		}
		return v
	}
	back := map[string]any{}
	for k, v := range tab {
		if m, ok := v.(map[string]any); ok {
			mm := map[string]any{}
			for kk, vv := range m {
				mm[kk] = norm(vv)
			}
			back[k] = mm
		} else {
			back[k] = norm(v)
		}
	}
	r2 := rules(t, back)
	if r2.Fields[FieldEmail].Pattern.String() != regexp.MustCompile(`@x\.com$`).String() || *r2.Fields[FieldValue].Max != 10.5 || len(r2.Required) != 1 || len(r2.Fields[FieldType].Allowed) != 2 {
		t.Errorf("rules read back differ: %+v", r2)
	}
}

// TestValueMapsLong checks the map of a long table (looked up by lower
// case rather than scanned).
func TestValueMapsLong(t *testing.T) {
	var specs []string
	for i := range 40 {
		specs = append(specs, "type:Kind "+strings.Repeat("x", i)+"=k"+strings.Repeat("y", i))
	}
	vm := valueMaps(t, specs...)
	fm := newFieldMap(vm.m[FieldType])
	if fm.lower == nil {
		t.Fatal("a 40-entry map is scanned")
	}
	if to, ok := fm.lookup("KIND XXX"); !ok || to != "kyyy" {
		t.Errorf("lookup = %q, %v; want kyyy", to, ok)
	}
	if _, ok := fm.lookup("Kind z"); ok {
		t.Error("an unknown text was found")
	}
}

// TestLiteralMatch: a literal pattern is tested without the regexp
// engine, and with the same answers.
func TestLiteralMatch(t *testing.T) {
	inputs := []string{"bo@example.com", "bo@example.com.evil", "@example.com", "x@EXAMPLE.com", "example", "", "bo@exampleXcom"}
	for p, literal := range map[string]bool{`@example\.com$`: true, `^bo@`: true, `^bo@example\.com$`: true, `example`: true,
		`@(example\.com|example\.org)$`: false, `(?i)@example\.com$`: false, `^$`: false, `x.y`: false} {
		re := regexp.MustCompile(p)
		m := literalMatch(p)
		if (m != nil) != literal {
			t.Errorf("%s: literal test %v, want %v", p, m != nil, literal)
		}
		if m == nil {
			continue
		}
		for _, in := range inputs {
			if m(in) != re.MatchString(in) {
				t.Errorf("%s on %q: %v, the regexp says %v", p, in, m(in), re.MatchString(in))
			}
		}
	}
}
