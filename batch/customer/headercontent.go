package customer

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"

	"aivabatch/formats"
)

// PeekRows is how many rows MapReader reads ahead to judge columns by
// their content: enough to see a column's kind, few enough to cost nothing.
const PeekRows = 20

// MapReader maps r's header like MapHeader, also judging columns by the
// cells of their first PeekRows rows: a foreign id or action column is not
// taken as id or action, and a --map suggestion is made only for a column
// whose cells fit the field. It returns a reader that yields every row of
// r, the peeked ones first, and closes r. On error r is left open for the
// caller to close.
func MapReader(r formats.RowReader, opts MapOptions) (*Mapping, formats.RowReader, error) {
	p := formats.Peek(r, PeekRows)
	rows := formats.Peeked(p)
	sample := make([][]string, len(rows))
	for i, row := range rows {
		// A row with Row.Err (often a short row) still shows its first
		// cells: Outlook's short rows carry the foreign ids.
		sample[i] = row.Cells
	}
	m, err := mapHeader(r.Header(), sample, opts)
	if err != nil {
		return nil, nil, err
	}
	return m, p, nil
}

// columnValues returns the non-blank cell texts of column i in sample.
func columnValues(sample [][]string, i int) []string {
	var vals []string
	for _, cells := range sample {
		if i < len(cells) {
			if v := CellText(cells[i]); v != "" {
				vals = append(vals, v)
			}
		}
	}
	return vals
}

var (
	phoneRE = regexp.MustCompile(`^\+?[0-9 ()./-]*[0-9][0-9 ()./-]*(\s*(x|ext\.?|#)\s*[0-9]+)?$`)
	dateRE  = regexp.MustCompile(`^(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4})([ T].*)?$`)
	numRE   = regexp.MustCompile(`^[+-]?(\d+([.,]\d+)?|\d{1,3}(,\d{3})+(\.\d+)?)$`)
	letters = regexp.MustCompile(`\pL`)
)

func looksLikeEmail(v string) bool {
	a, err := mail.ParseAddress(v)
	return err == nil && a.Address == v && a.Name == ""
}

func looksLikePhone(v string) bool {
	digits := 0
	for _, c := range v {
		if c >= '0' && c <= '9' {
			digits++
		}
	}
	return digits >= 6 && phoneRE.MatchString(v)
}

func looksLikeDate(v string) bool   { return dateRE.MatchString(v) }
func looksLikeNumber(v string) bool { return numRE.MatchString(v) }

// looksLikeText is a cell that could be a person's name or free text: it
// has letters and is not an address, a date or a number.
func looksLikeText(v string) bool {
	return letters.MatchString(v) && !strings.ContainsAny(v, "@") && !strings.Contains(v, "://") &&
		!looksLikeDate(v) && !looksLikeNumber(v)
}

// foreignSubjects are words that make a column about something other than
// the customer: "Account Name" and "Organization 1 - Name" are companies,
// "Address 1 - Type" is a kind of address. Such a column never gets a
// free-text field (name, type, notes) suggested.
var foreignSubjects = []string{"company", "account", "organization", "organisation", "business",
	"employer", "address", "street", "city", "owner", "user", "domain", "photo", "url", "website",
	// The same in the languages of the aliases.
	"firma", "unternehmen", "societe", "entreprise", "empresa", "azienda", "bedrijf", "adresse", "direccion",
	"endereco", "indirizzo", "adres", "strasse", "rue", "calle", "stadt", "ville", "ciudad", "cidade", "citta", "plaats"}

func foreignSubject(norm string) bool {
	for _, w := range foreignSubjects {
		if strings.Contains(norm, w) {
			return true
		}
	}
	return false
}

// fits reports whether the values can be cells of field f: at least 4 in
// 5 of them fit (real files have a stray cell, such as a phone "-1199"),
// and at least one value is needed (a blank column shows nothing).
func fits(f Field, norm string, vals []string) bool {
	if len(vals) == 0 {
		return false
	}
	var ok func(string) bool
	switch f {
	case FieldEmail:
		ok = looksLikeEmail
	case FieldPhone:
		ok = looksLikePhone
	case FieldStatus:
		ok = func(v string) bool { return inList(v, "active", "inactive", "blocked") }
	case FieldAction:
		ok = isAction
	case FieldValue:
		ok = func(v string) bool { return numRE.MatchString(v) && !strings.Contains(v, ",") }
	case FieldAutoPayment:
		ok = func(v string) bool { return inList(v, "true", "false", "yes", "no", "y", "n", "1", "0") }
	case FieldFirstName, FieldLastName, FieldName, FieldType:
		if foreignSubject(norm) {
			return false
		}
		ok = func(v string) bool { return looksLikeText(v) && !looksLikePhone(v) }
	case FieldNotes:
		if foreignSubject(norm) {
			return false
		}
		ok = func(string) bool { return true }
	default:
		return false
	}
	n := 0
	for _, v := range vals {
		if ok(v) {
			n++
		}
	}
	return 5*n >= 4*len(vals)
}

func isAction(v string) bool { return inList(v, "create", "update", "upsert", "delete", "skip") }

func inList(v string, list ...string) bool {
	for _, s := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// foreignValues says why the values of an action column (named so) show
// that the column belongs to another system, or "" when they fit: every
// value must be an action (Outlook's "add" is not ours). An id column is
// never judged by its values: ids are opaque, whatever the server makes
// them, and only the tenant's list can tell (batch checks every id
// against it before any write).
func foreignValues(f Field, vals []string) string {
	switch f {
	case FieldAction:
		for _, v := range vals {
			if !isAction(v) {
				return fmt.Sprintf("values such as %q are not actions, which are create, update, upsert, delete or skip", v)
			}
		}
	}
	return ""
}

// notAHeader returns an error when the header row is data: no cell names
// a field, and a cell is an email address or two are numbers, phones or
// dates (a file without a header row, or the wrong sheet).
func notAHeader(header []string, opts MapOptions) error {
	var data []string
	emails := 0
	for _, h := range header {
		name := strings.TrimSpace(h)
		norm := normalizeName(name)
		if _, ok := aliases[norm]; ok || readOnlyNames[norm] || reportColumns[strings.ToLower(name)] {
			return nil
		}
		if _, ok := opts.Map[name]; ok {
			return nil
		}
		switch {
		case looksLikeEmail(name):
			emails++
			data = append(data, fmt.Sprintf("%q is an email address", name))
		case looksLikeDate(name):
			data = append(data, fmt.Sprintf("%q is a date", name))
		case looksLikeNumber(name) || looksLikePhone(name):
			data = append(data, fmt.Sprintf("%q is a number", name))
		}
	}
	if emails == 0 && len(data) < 2 {
		return nil
	}
	if len(data) > 2 {
		data = data[:2]
	}
	return fmt.Errorf("the header row holds data, not column names (%s); add a first row that names the columns, for example name,email,phone", strings.Join(data, ", "))
}

// ShellQuote quotes s as one shell word, as the header messages quote the
// --map flags they suggest.
func ShellQuote(s string) string { return shellQuote(s) }
