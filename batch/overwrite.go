package batch

import (
	"fmt"
	"math"
	"strings"

	"aivabatch/apiclient"
	"aivabatch/batch/customer"
)

// Overwrite is the overwrite policy of a field: what an update may do to
// the value a customer of the tenant holds. Creates send every field
// whatever the policy.
type Overwrite int

// The policies.
const (
	OverwriteAlways  Overwrite = iota // send the row's value (the default)
	OverwriteIfEmpty                  // send it only when the customer's value is blank
	OverwriteNever                    // never change the field on update
)

var overwriteWords = [...]string{"always", "if-empty", "never"}

// String is the policy's word.
func (o Overwrite) String() string { return overwriteWords[o] }

// Overwrites are a run's policies by field; a field not in it is
// OverwriteAlways.
type Overwrites map[customer.Field]Overwrite

// limits reports whether any field is not OverwriteAlways.
func (ow Overwrites) limits() bool {
	for _, o := range ow {
		if o != OverwriteAlways {
			return true
		}
	}
	return false
}

// allows says whether an update may send field f to the customer cur
// (nil when not read: then if-empty sends nothing, since it cannot know).
func (ow Overwrites) allows(f customer.Field, cur *apiclient.Customer) bool {
	switch ow[f] {
	case OverwriteNever:
		return false
	case OverwriteIfEmpty:
		return cur != nil && strings.TrimSpace(currentValue(cur, f)) == ""
	}
	return true
}

// overwriteFields are the fields a policy can name: those an update sends.
var overwriteFields = func() []string {
	var s []string
	for _, f := range customer.Fields {
		if f != customer.FieldID && f != customer.FieldAction {
			s = append(s, string(f))
		}
	}
	return s
}()

// OverwriteError is a policy that cannot be read: Entry as given, and
// what is wrong with it, naming the closest field or word.
type OverwriteError struct {
	Entry string
	// Field is an unknown field, Word an unknown policy, with the
	// closest known one in Closest; NeverBlank an if-empty of a field
	// that always holds a value. All empty: not FIELD=POLICY.
	Field, Word, Closest string
	NeverBlank           customer.Field
}

// Error says what is wrong and what is right.
func (e *OverwriteError) Error() string {
	switch {
	case e.Field != "":
		return fmt.Sprintf("unknown field %q; the closest is %q (the fields: %s)", e.Field, e.Closest, strings.Join(overwriteFields, ", "))
	case e.Word != "":
		return fmt.Sprintf("unknown policy %q; the closest is %q (the policies: %s)", e.Word, e.Closest, strings.Join(overwriteWords[:], ", "))
	case e.NeverBlank != "":
		return fmt.Sprintf("%s is never blank (the API has no empty value for it), so if-empty would never send it: use always or never", e.NeverBlank)
	}
	return "write FIELD=POLICY, e.g. phone=if-empty or notes=never (several fields: phone,notes=never); the policies: " + strings.Join(overwriteWords[:], ", ")
}

// Add reads one entry, FIELD=POLICY or FIELD,FIELD=POLICY (fields by
// their API names or any header alias, policies always, if-empty or
// never, both case-insensitive), into ow; a later entry of a field wins.
func (ow Overwrites) Add(entry string) error {
	fields, word, ok := strings.Cut(entry, "=")
	word = strings.ToLower(strings.TrimSpace(word))
	if !ok || strings.TrimSpace(fields) == "" || word == "" {
		return &OverwriteError{Entry: entry}
	}
	pol := Overwrite(-1)
	for i, w := range overwriteWords {
		if w == word {
			pol = Overwrite(i)
		}
	}
	if pol < 0 {
		return &OverwriteError{Entry: entry, Word: word, Closest: closestOf(overwriteWords[:], word)}
	}
	var fs []customer.Field
	for name := range strings.SplitSeq(fields, ",") {
		name = strings.TrimSpace(name)
		f, ok := customer.CanonicalField(name)
		if !ok || f == customer.FieldID || f == customer.FieldAction {
			return &OverwriteError{Entry: entry, Field: name, Closest: closestOf(overwriteFields, name)}
		}
		if pol == OverwriteIfEmpty && !clearable[f] {
			return &OverwriteError{Entry: entry, NeverBlank: f}
		}
		fs = append(fs, f)
	}
	for _, f := range fs {
		ow[f] = pol
	}
	return nil
}

// closestOf is the word of words nearest to w (case-insensitive).
func closestOf(words []string, w string) string {
	best, bestD := "", math.MaxInt
	for _, c := range words {
		if d := customer.EditDistance(strings.ToLower(w), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}
