package customer

import (
	"fmt"
	"math"
	"regexp"
	"regexp/syntax"
	"sort"
	"strconv"
	"strings"
)

// Value maps and rules are the data controls a migration brings from
// another system. A value map turns a cell's text into another value
// before it is checked (Lead Status "Pending" → status "inactive"); a
// rule is the tenant's own demand on a field (a phone on every row, a
// type from a list, a value in a range, an email matching a pattern),
// checked after the built-in checks, on the value sent. Both are read
// once (ParseValue, ParseRules) into per-field tables that the
// Validator consults by profile index, so that a row costs a few string
// comparisons and no allocation when its values are valid.

// ValueMaps maps, per field, a cell's text to the value checked and sent
// in its place. Keys are matched ignoring case and surrounding spaces.
// The zero value maps nothing.
type ValueMaps struct {
	m map[Field][]valuePair
}

type valuePair struct{ from, to string }

// Set adds the map of field's text from to to (a later one of the same
// field and text replaces it).
func (vm *ValueMaps) Set(f Field, from, to string) {
	if vm.m == nil {
		vm.m = map[Field][]valuePair{}
	}
	from, to = strings.TrimSpace(from), strings.TrimSpace(to)
	ps := vm.m[f]
	for i := range ps {
		if strings.EqualFold(ps[i].from, from) {
			ps[i].to = to
			return
		}
	}
	vm.m[f] = append(ps, valuePair{from, to})
}

// Len is the number of entries over all fields.
func (vm *ValueMaps) Len() int {
	n := 0
	for _, ps := range vm.m {
		n += len(ps)
	}
	return n
}

// Table returns the maps as field → text → value, for a job file.
func (vm *ValueMaps) Table() map[Field]map[string]string {
	t := map[Field]map[string]string{}
	for f, ps := range vm.m {
		t[f] = make(map[string]string, len(ps))
		for _, p := range ps {
			t[f][p.from] = p.to
		}
	}
	return t
}

// fieldMap is the value map of one field as the Validator reads it: a
// short map is scanned with EqualFold (no allocation), a long one is
// looked up by its lower-case key.
type fieldMap struct {
	pairs []valuePair
	lower map[string]string
}

const scanLimit = 16

func newFieldMap(ps []valuePair) *fieldMap {
	if len(ps) == 0 {
		return nil
	}
	fm := &fieldMap{pairs: ps}
	if len(ps) > scanLimit {
		fm.lower = make(map[string]string, len(ps))
		for _, p := range ps {
			fm.lower[strings.ToLower(p.from)] = p.to
		}
	}
	return fm
}

func (fm *fieldMap) lookup(s string) (string, bool) {
	if fm.lower != nil {
		to, ok := fm.lower[strings.ToLower(s)]
		return to, ok
	}
	for i := range fm.pairs {
		if strings.EqualFold(fm.pairs[i].from, s) {
			return fm.pairs[i].to, true
		}
	}
	return "", false
}

// ControlError is a value map or rule that cannot be read. Key names what
// was read (a --value spec, or a rules key such as "value.min"); Field,
// when the trouble is an unknown field, is the field asked for and
// Closest the nearest field there is.
type ControlError struct {
	Key     string
	Field   string
	Closest Field
	Msg     string
}

func (e *ControlError) Error() string {
	if e.Closest != "" {
		return fmt.Sprintf("%s: %s; the closest field is %q", e.Key, e.Msg, e.Closest)
	}
	return e.Key + ": " + e.Msg
}

// closestProfileField is the profile field nearest to name (any distance).
func closestProfileField(name string) Field {
	best, bestD := Field(""), math.MaxInt
	for _, f := range profileFields {
		if d := EditDistance(strings.ToLower(name), string(f)); d < bestD {
			best, bestD = f, d
		}
	}
	return best
}

// ProfileField reads a field name a value map or rule may name (a field
// a row sends: not id or action), ignoring case.
func ProfileField(name string) (Field, bool) {
	name = strings.TrimSpace(name)
	for _, f := range profileFields {
		if strings.EqualFold(string(f), name) {
			return f, true
		}
	}
	return "", false
}

func unknownField(key, name string) *ControlError {
	return &ControlError{Key: key, Field: name, Closest: closestProfileField(name),
		Msg: fmt.Sprintf("%q is not a field a value map or rule can name", name)}
}

// ParseValue reads a value map entry "field:text=value" (status:Pending=
// inactive). The field is split at the first ':' and the text at the
// first '=' after it; value must not be blank: a value map is never
// guessed, and a blank one is a table still to fill in.
func ParseValue(spec string) (Field, string, string, error) {
	name, rest, ok := strings.Cut(spec, ":")
	from, to, ok2 := strings.Cut(rest, "=")
	if !ok || !ok2 || strings.TrimSpace(name) == "" || strings.TrimSpace(from) == "" {
		return "", "", "", &ControlError{Key: spec, Msg: `write "field:text=value", e.g. "status:Pending=inactive"`}
	}
	f, known := ProfileField(name)
	if !known {
		return "", "", "", unknownField(spec, strings.TrimSpace(name))
	}
	if strings.TrimSpace(to) == "" {
		return "", "", "", &ControlError{Key: spec, Msg: fmt.Sprintf("no value for %q; write the %s value it stands for after the '='", strings.TrimSpace(from), f)}
	}
	return f, strings.TrimSpace(from), strings.TrimSpace(to), nil
}

// Rules are the tenant's own demands on a row's fields (ParseRules).
type Rules struct {
	// Required lists the fields every row that creates or updates must
	// have.
	Required []Field
	// Fields holds the rule of each field that has one.
	Fields map[Field]*FieldRule
}

// FieldRule is one field's rule: its value must be one of Allowed
// (ignoring case), within Min and Max (a number), and match Pattern.
type FieldRule struct {
	Allowed  []string
	Min, Max *float64
	Pattern  *regexp.Regexp
	// match is Pattern's test without the regexp engine when Pattern is
	// a literal, anchored or not (@example\.com$), or nil.
	match func(string) bool
}

// literalMatch returns the test of a pattern that is a literal text,
// anchored at the start, the end, both or neither (the usual domain
// pattern: @example\.com$), without the regexp engine; or nil.
func literalMatch(pattern string) func(string) bool {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil
	}
	re = re.Simplify()
	subs := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		subs = re.Sub
	}
	begin, end := false, false
	if len(subs) > 0 && subs[0].Op == syntax.OpBeginText {
		begin, subs = true, subs[1:]
	}
	if len(subs) > 0 && subs[len(subs)-1].Op == syntax.OpEndText {
		end, subs = true, subs[:len(subs)-1]
	}
	if len(subs) != 1 || subs[0].Op != syntax.OpLiteral || subs[0].Flags&syntax.FoldCase != 0 {
		return nil
	}
	lit := string(subs[0].Rune)
	switch {
	case begin && end:
		return func(s string) bool { return s == lit }
	case begin:
		return func(s string) bool { return strings.HasPrefix(s, lit) }
	case end:
		return func(s string) bool { return strings.HasSuffix(s, lit) }
	}
	return func(s string) bool { return strings.Contains(s, lit) }
}

// Empty reports whether r holds no rule.
func (r *Rules) Empty() bool { return r == nil || len(r.Required) == 0 && len(r.Fields) == 0 }

// Table returns the rules as a job file's [rules] table holds them.
func (r *Rules) Table() map[string]any {
	t := map[string]any{}
	if r.Empty() {
		return t
	}
	if len(r.Required) > 0 {
		req := make([]string, len(r.Required))
		for i, f := range r.Required {
			req[i] = string(f)
		}
		t["required"] = req
	}
	for f, fr := range r.Fields {
		e := map[string]any{}
		if fr.Allowed != nil {
			e["allowed"] = fr.Allowed
		}
		if fr.Min != nil {
			e["min"] = *fr.Min
		}
		if fr.Max != nil {
			e["max"] = *fr.Max
		}
		if fr.Pattern != nil {
			e["pattern"] = fr.Pattern.String()
		}
		t[string(f)] = e
	}
	return t
}

// ParseRules reads a [rules] table as TOML decodes it: "required", a list
// of fields, and per field a table of allowed (a list of strings), min
// and max (numbers, for value) and pattern (a Go regular expression).
func ParseRules(t map[string]any) (*Rules, error) {
	r := &Rules{Fields: map[Field]*FieldRule{}}
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := t[k]
		if k == "required" {
			list, ok := v.([]any)
			if !ok {
				return nil, &ControlError{Key: k, Msg: `want a list of fields, e.g. required = ["phone"]`}
			}
			for _, e := range list {
				s, ok := e.(string)
				if !ok {
					return nil, &ControlError{Key: k, Msg: fmt.Sprintf("%v is not a field name; write each as a quoted string", e)}
				}
				f, known := ProfileField(s)
				if !known {
					return nil, unknownField(k, s)
				}
				r.Required = append(r.Required, f)
			}
			continue
		}
		f, known := ProfileField(k)
		if !known {
			return nil, unknownField(k, k)
		}
		tab, ok := v.(map[string]any)
		if !ok {
			return nil, &ControlError{Key: k, Msg: `want a table, e.g. { allowed = ["a", "b"] }, { min = 0, max = 100 } or { pattern = '^x' }`}
		}
		fr, err := parseFieldRule(f, tab)
		if err != nil {
			return nil, err
		}
		r.Fields[f] = fr
	}
	return r, nil
}

func parseFieldRule(f Field, t map[string]any) (*FieldRule, error) {
	fr := &FieldRule{}
	names := make([]string, 0, len(t))
	for k := range t {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		key := string(f) + "." + k
		switch v := t[k]; k {
		case "allowed":
			list, ok := v.([]any)
			if !ok || len(list) == 0 {
				return nil, &ControlError{Key: key, Msg: `want a list of values, e.g. allowed = ["individual", "business"]`}
			}
			fr.Allowed = make([]string, 0, len(list))
			for _, e := range list {
				s, ok := e.(string)
				if !ok {
					return nil, &ControlError{Key: key, Msg: fmt.Sprintf("%v: write each value as a quoted string", e)}
				}
				fr.Allowed = append(fr.Allowed, strings.TrimSpace(s))
			}
		case "min", "max":
			if f != FieldValue {
				return nil, &ControlError{Key: key, Msg: fmt.Sprintf("min and max are for the number field value; %s is text (use pattern or allowed)", f)}
			}
			var x float64
			switch n := v.(type) {
			case int64:
				x = float64(n)
			case float64:
				x = n
			default:
				return nil, &ControlError{Key: key, Msg: fmt.Sprintf("want a number, e.g. %s = 0 (not quoted)", k)}
			}
			if math.IsNaN(x) {
				return nil, &ControlError{Key: key, Msg: "want a number, not nan"}
			}
			if k == "min" {
				fr.Min = &x
			} else {
				fr.Max = &x
			}
		case "pattern":
			s, ok := v.(string)
			if !ok {
				return nil, &ControlError{Key: key, Msg: `want a regular expression in single quotes, e.g. pattern = '@example\.com$'`}
			}
			re, err := regexp.Compile(s)
			if err != nil {
				return nil, &ControlError{Key: key, Msg: fmt.Sprintf("%q is not a regular expression (%v)", s, strings.TrimPrefix(err.Error(), "error parsing regexp: "))}
			}
			fr.Pattern, fr.match = re, literalMatch(s)
		default:
			return nil, &ControlError{Key: key, Msg: fmt.Sprintf("unknown rule %q; use allowed, min, max or pattern (or list the field in required)", k)}
		}
	}
	if fr.Min != nil && fr.Max != nil && *fr.Min > *fr.Max {
		return nil, &ControlError{Key: string(f), Msg: fmt.Sprintf("min %s is above max %s", num(*fr.Min), num(*fr.Max))}
	}
	if len(t) == 0 {
		return nil, &ControlError{Key: string(f), Msg: "an empty rule; give allowed, min, max or pattern"}
	}
	return fr, nil
}

func num(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// checkRules adds the problems of the rules to a record whose fields were
// checked. A field with a problem already is not checked again.
func (v *Validator) checkRules(r *Record) {
	for _, i := range v.required {
		if r.has&(1<<i) == 0 && !hasProblem(r, profileFields[i]) {
			v.problem(r, profileFields[i], "required by the rules; fill it")
		}
	}
	for i, fr := range v.rules {
		if fr == nil || r.has&(1<<i) == 0 {
			continue
		}
		s := r.vals[i]
		if fr.Allowed != nil {
			ok := false
			for _, a := range fr.Allowed {
				if strings.EqualFold(a, s) {
					ok = true
					break
				}
			}
			if !ok {
				v.valueProblem(r, i, "%q is not allowed by the rules; use %s", s, orList(fr.Allowed))
			}
		}
		if fr.Min != nil || fr.Max != nil {
			x, _ := strconv.ParseFloat(s, 64) // a valid value parses
			if fr.Min != nil && x < *fr.Min {
				v.fieldProblem(r, i, false, "%s is below the rules' min %s", s, num(*fr.Min))
			}
			if fr.Max != nil && x > *fr.Max {
				v.fieldProblem(r, i, false, "%s is above the rules' max %s", s, num(*fr.Max))
			}
		}
		if fr.match != nil && !fr.match(s) || fr.match == nil && fr.Pattern != nil && !fr.Pattern.MatchString(s) {
			v.fieldProblem(r, i, false, "%q does not match the rules' pattern %s", s, fr.Pattern)
		}
	}
}

// orList is "a, b or c".
func orList(vals []string) string {
	if len(vals) == 1 {
		return vals[0]
	}
	return strings.Join(vals[:len(vals)-1], ", ") + " or " + vals[len(vals)-1]
}
