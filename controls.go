package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"aivabatch/batch"
	"aivabatch/batch/customer"
	"aivabatch/formats"
)

// The data controls of validate and import: value maps (--value, and a
// job file's [values.FIELD] tables) and the tenant's rules (a job file's
// [rules] table). A job file table that is not one flag's NAME=VALUE
// pairs is read by a jobTable of the command (command.tables), which
// also gives it back to --write-job.

const (
	valueFlag = "value"
	valuesKey = "values" // the job file's [values.FIELD] tables
	rulesKey  = "rules"  // the job file's [rules] table
)

// jobTable is a job file key that is read by the command rather than set
// as a flag: set reads its value (an error is a *usageError naming the
// key), doc gives it back for --write-job (nil: not given).
type jobTable interface {
	set(path string, v any) error
	doc() any
}

// rulesTable is the [rules] table of a job file.
type rulesTable struct {
	raw   map[string]any
	rules *customer.Rules
}

func (t *rulesTable) set(path string, v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		return usagef("--job %s: rules must be a table, e.g. [rules] then required = [\"phone\"]", path)
	}
	r, err := customer.ParseRules(m)
	if err != nil {
		return usagef("--job %s: [rules] %s", path, controlMsg(err, true))
	}
	t.raw, t.rules = m, r
	return nil
}

func (t *rulesTable) doc() any {
	if t.raw == nil {
		return nil
	}
	return t.raw
}

// valuesTable reads [values.FIELD] tables into --value specs.
type valuesTable struct{ c *command }

func (t valuesTable) set(path string, v any) error {
	fields, ok := v.(map[string]any)
	if !ok {
		return usagef("--job %s: values must be tables, one per field: [values.status] then Pending = \"inactive\"", path)
	}
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		key := fmt.Sprintf("[values.%s]", name)
		pairs, ok := fields[name].(map[string]any)
		if !ok {
			return usagef("--job %s: %s must be a table of text = value, e.g. Pending = \"inactive\"", path, key)
		}
		for _, from := range slices.Sorted(maps.Keys(pairs)) {
			to, err := jobScalar(path, key+" "+strconv.Quote(from), pairs[from])
			if err != nil {
				return err
			}
			if strings.Contains(from, "=") {
				return usagef("--job %s: %s %q: a text cannot hold '='", path, key, from)
			}
			spec := name + ":" + from + "=" + to
			if _, _, _, err := customer.ParseValue(spec); err != nil {
				var ce *customer.ControlError
				if errors.As(err, &ce) && ce.Closest != "" {
					return usagef("--job %s: %s: %s is not a field a value map can name; the closest is %q", path, key, strconv.Quote(name), ce.Closest)
				}
				return usagef("--job %s: %s %s: %s", path, key, strconv.Quote(from), ce.Msg)
			}
			if err := t.c.fs.Set(valueFlag, spec); err != nil {
				return err
			}
		}
	}
	return nil
}

// doc is not used: --write-job writes the --value flag's specs as
// [values.FIELD] tables (valuesDoc).
func (valuesTable) doc() any { return nil }

// valuesDoc turns --value specs into [values.FIELD] tables for a job file.
func valuesDoc(specs []string) map[string]map[string]string {
	var vm customer.ValueMaps
	for _, s := range specs {
		if f, from, to, err := customer.ParseValue(s); err == nil {
			vm.Set(f, from, to)
		}
	}
	doc := map[string]map[string]string{}
	for f, t := range vm.Table() {
		doc[string(f)] = t
	}
	return doc
}

// controlMsg words a value map or rule error: the message, after its key
// when withKey is set (a rule's; a --value spec is named by the caller),
// and the closest field.
func controlMsg(err error, withKey bool) string {
	var ce *customer.ControlError
	if !errors.As(err, &ce) {
		return err.Error()
	}
	msg := ce.Msg
	if withKey {
		msg = ce.Key + ": " + msg
	}
	if ce.Closest != "" {
		msg += fmt.Sprintf("; the closest is %q", ce.Closest)
	}
	return msg
}

// registerControls registers --value on c and the [values.FIELD] and
// [rules] job file tables.
func (f *inputFlags) registerControls(c *command) {
	c.fs.Var(&f.values, valueFlag, `map a cell's text to the value sent: "field:text=value", e.g. "status:Pending=inactive" (matched ignoring case and spaces; repeatable; in a job file: [values.status] Pending = "inactive")`)
	c.addTable(valuesKey, valuesTable{c})
	c.addTable(rulesKey, &f.rules)
}

// addTable registers a job file key read by t.
func (c *command) addTable(key string, t jobTable) {
	if c.tables == nil {
		c.tables = map[string]jobTable{}
	}
	c.tables[key] = t
}

// controls parses --value into cfg and sets the job file's rules.
func (f *inputFlags) controls(cfg *batch.InputConfig) error {
	for _, s := range f.values {
		fld, from, to, err := customer.ParseValue(s)
		if err != nil {
			return usagef("--value %q: %s", s, controlMsg(err, false))
		}
		cfg.Values.Set(fld, from, to)
	}
	cfg.Rules = f.rules.rules
	return nil
}

// printInvalidValues lists, per column, the values its field does not
// take, the most common first, and a job file table to fill in: the
// values it should map to are the user's to write, never guessed.
func printInvalidValues(w io.Writer, s *batch.Summary, rules *customer.Rules) {
	if len(s.InvalidValues) == 0 {
		return
	}
	fmt.Fprintln(w, "values the fields do not take, by column (a value map turns each into one they do):")
	byField := map[customer.Field][]batch.ValueCount{}
	var order []customer.Field
	for _, iv := range s.InvalidValues {
		col := iv.Column
		if col == "" || col == string(iv.Field) {
			col = string(iv.Field)
		} else {
			col = fmt.Sprintf("%s (%s)", col, iv.Field)
		}
		fmt.Fprintf(w, "  %s: %s in %s\n", col, formats.Plural(iv.Distinct, "distinct value"), formats.Plural(iv.Rows, "row"))
		width := 0
		for _, vc := range iv.Top {
			width = max(width, len(strconv.Quote(vc.Value)))
		}
		for _, vc := range iv.Top {
			fmt.Fprintf(w, "    %-*s %d\n", width, strconv.Quote(vc.Value), vc.Count)
		}
		if n := iv.Distinct - len(iv.Top); n > 0 || iv.More {
			more := strconv.Itoa(n)
			if iv.More {
				more = "over " + more
			}
			fmt.Fprintf(w, "    … and %s more, less common\n", more)
		}
		if _, ok := byField[iv.Field]; !ok {
			order = append(order, iv.Field)
		}
		byField[iv.Field] = append(byField[iv.Field], iv.Top...)
	}
	fmt.Fprintln(w, "to map them, save the table below in a job file, write after each = the value the text stands for, and pass the file with --job (or give each as --value \"field:text=value\"):")
	for _, f := range order {
		fmt.Fprintf(w, "[values.%s]", f)
		if takes := fieldTakes(f, rules); takes != "" {
			fmt.Fprintf(w, "  # %s takes %s", f, takes)
		}
		fmt.Fprintln(w)
		seen := map[string]bool{}
		for _, vc := range byField[f] {
			if k := strings.ToLower(vc.Value); !seen[k] {
				seen[k] = true
				fmt.Fprintf(w, "%s = \"\"\n", tomlKey(vc.Value))
			}
		}
	}
}

// fieldTakes says which values field f takes, when they are a list.
func fieldTakes(f customer.Field, rules *customer.Rules) string {
	if !rules.Empty() {
		if fr := rules.Fields[f]; fr != nil && fr.Allowed != nil {
			return strings.Join(fr.Allowed, ", ")
		}
	}
	switch f {
	case customer.FieldStatus:
		return "active, inactive, blocked"
	case customer.FieldAutoPayment:
		return "true, false"
	}
	return ""
}

// tomlKey writes s as a TOML key: bare when it can be, quoted otherwise.
func tomlKey(s string) string {
	if s == "" {
		return `""`
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return strconv.Quote(s)
		}
	}
	return s
}
