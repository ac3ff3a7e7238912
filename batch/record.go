package batch

import (
	"fmt"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"aivabatch/formats"
)

// Action is what a row asks for (SPEC §5).
type Action string

// Actions.
const (
	ActionCreate Action = "create"
	ActionUpdate Action = "update"
	ActionUpsert Action = "upsert"
	ActionDelete Action = "delete"
	ActionSkip   Action = "skip"
)

// ParseAction reads a --mode value or an action cell (case-insensitive).
func ParseAction(s string) (Action, bool) {
	switch a := Action(strings.ToLower(strings.TrimSpace(s))); a {
	case ActionCreate, ActionUpdate, ActionUpsert, ActionDelete, ActionSkip:
		return a, true
	}
	return "", false
}

// profileFields are the fields a row can send to the API, in column order.
var profileFields = []formats.Field{
	formats.FieldFirstName, formats.FieldLastName, formats.FieldName,
	formats.FieldEmail, formats.FieldPhone, formats.FieldStatus,
	formats.FieldType, formats.FieldValue, formats.FieldAutoPayment,
	formats.FieldNotes,
}

// Record is one input row after mapping and validation.
type Record struct {
	Num   int      // row number the user sees
	Cells []string // original cells, for the report

	Action Action // resolved: create, update, upsert, delete or skip
	ID     string
	// Email is the trimmed address as given; EmailKey its lower-case form
	// for matching.
	Email, EmailKey string
	// Values holds the normalised non-blank profile fields (status lower
	// case, autoPayment "true"/"false", value a decimal literal).
	Values map[formats.Field]string
	// Blank lists the mapped profile fields whose cell was blank.
	Blank []formats.Field
	// Problems lists every problem of the row; empty means valid.
	Problems []Problem
	// builtName says the name was built from firstName + lastName.
	builtName bool
}

// Problem is one validation problem, naming the column.
type Problem struct {
	Field  formats.Field // canonical field ("" for the whole row)
	Column string        // the column's header in the file, when known
	Msg    string
}

// String renders the problem as "E-mail Address: "x" is not a valid email address".
func (p Problem) String() string {
	col := p.Column
	if col == "" {
		col = string(p.Field)
	}
	if col == "" {
		return p.Msg
	}
	return col + ": " + p.Msg
}

// Valid reports whether the record has no problems.
func (r *Record) Valid() bool { return len(r.Problems) == 0 }

// ErrorText joins the problems into the report's _error sentence.
func (r *Record) ErrorText() string {
	parts := make([]string, len(r.Problems))
	for i, p := range r.Problems {
		parts[i] = p.String()
	}
	return strings.Join(parts, "; ")
}

// Creates reports whether the record is known offline to create a customer.
func (r *Record) Creates(matchEmail bool) bool {
	switch r.Action {
	case ActionCreate:
		return true
	case ActionUpsert:
		return r.ID == "" && !matchEmail
	}
	return false
}

// ValidatorOptions configures NewValidator.
type ValidatorOptions struct {
	Mode       Action // default action; "" means upsert
	MatchEmail bool   // --match email
}

// Validator turns rows into records. It remembers emails and ids seen so
// that a repeat within the file is reported. It is not safe for
// concurrent use.
type Validator struct {
	m    *formats.Mapping
	opts ValidatorOptions
	seen *seenSet
}

// NewValidator builds a validator for rows mapped by m. Close releases the
// temporary files of its duplicate index.
func NewValidator(m *formats.Mapping, opts ValidatorOptions) *Validator {
	if opts.Mode == "" {
		opts.Mode = ActionUpsert
	}
	return &Validator{m: m, opts: opts, seen: newSeenSet()}
}

// Close releases the duplicate index.
func (v *Validator) Close() error { return v.seen.Close() }

const maxCell = 64 << 10

var (
	groupedRE  = regexp.MustCompile(`^[+-]?\d{1,3}([,.' ]\d{3})+([.,]\d+)?$`)
	commaDecRE = regexp.MustCompile(`^[+-]?\d+,\d+$`)
	exponentRE = regexp.MustCompile(`^[+-]?\d+(\.\d+)?[eE][+-]?\d+$`)
)

// Check maps and validates one row. Rows must be given in file order: the
// duplicate check compares each row with the rows before it.
func (v *Validator) Check(row formats.Row) (*Record, error) {
	r := &Record{Num: row.Num, Cells: row.Cells, Values: make(map[formats.Field]string, 8)}
	if row.Err != nil {
		msg := row.Err.Error()
		if re, ok := row.Err.(*formats.RowError); ok {
			r.Problems = append(r.Problems, Problem{Column: re.Field, Msg: re.Err.Error()})
		} else {
			r.Problems = append(r.Problems, Problem{Msg: msg})
		}
	}
	cell := func(f formats.Field) string {
		s := strings.TrimSpace(v.m.Cell(row.Cells, f))
		return formats.UnescapeFormula(s)
	}
	add := func(f formats.Field, format string, args ...any) {
		col := ""
		if i, ok := v.m.Index[f]; ok {
			col = v.m.Header[i]
		}
		r.Problems = append(r.Problems, Problem{Field: f, Column: col, Msg: fmt.Sprintf(format, args...)})
	}
	for i, c := range row.Cells {
		if len(c) > maxCell && i < len(v.m.Columns) && v.m.Columns[i] != "" {
			add(v.m.Columns[i], "cell is %d KiB, over the 64 KiB limit; shorten it", len(c)>>10)
			return r, nil
		}
	}

	r.Action = v.opts.Mode
	if v.m.Has(formats.FieldAction) {
		if s := cell(formats.FieldAction); s != "" {
			a, ok := ParseAction(s)
			if !ok {
				add(formats.FieldAction, "%q is not an action; use create, update, upsert, delete or skip (or leave it blank for --mode %s)", s, v.opts.Mode)
			} else {
				r.Action = a
			}
		}
	}
	if r.Action == ActionSkip {
		return r, nil
	}
	r.ID = cell(formats.FieldID)

	for _, f := range profileFields {
		if !v.m.Has(f) {
			continue
		}
		s := cell(f)
		if s == "" {
			r.Blank = append(r.Blank, f)
			continue
		}
		if !utf8.ValidString(s) {
			add(f, "contains bytes that are not valid UTF-8; re-save the file as UTF-8 or pass --encoding windows-1252")
			continue
		}
		switch f {
		case formats.FieldEmail:
			if !validEmail(s) {
				add(f, "%q is not a valid email address; give one bare address like name@example.com", s)
				continue
			}
			r.Email, r.EmailKey = s, strings.ToLower(s)
		case formats.FieldStatus:
			ls := strings.ToLower(s)
			if ls != "active" && ls != "inactive" && ls != "blocked" {
				add(f, "%q is not a status; use active, inactive or blocked", s)
				continue
			}
			s = ls
		case formats.FieldValue:
			switch {
			case isDecimal(s):
				if _, err := strconv.ParseFloat(s, 64); err != nil {
					add(f, "%q is out of range", s)
					continue
				}
			case groupedRE.MatchString(s):
				add(f, "%q has a thousands separator; write the number without it (e.g. %s)", s, ungroup(s))
				continue
			case commaDecRE.MatchString(s):
				add(f, "%q uses a comma as decimal separator; write %s", s, strings.Replace(s, ",", ".", 1))
				continue
			default:
				add(f, "%q is not a number; write a plain decimal like 1234.5 or -3", s)
				continue
			}
		case formats.FieldAutoPayment:
			switch strings.ToLower(s) {
			case "true", "yes", "y", "1":
				s = "true"
			case "false", "no", "n", "0":
				s = "false"
			default:
				add(f, "%q is not a yes/no value; use true/false, yes/no, y/n or 1/0", s)
				continue
			}
		case formats.FieldPhone:
			if exponentRE.MatchString(s) {
				add(f, "%q is in exponent form: the spreadsheet has already dropped its digits; format the column as text and enter the full number", s)
				continue
			}
		}
		r.Values[f] = s
	}
	if r.Values[formats.FieldName] == "" {
		if n := strings.TrimSpace(r.Values[formats.FieldFirstName] + " " + r.Values[formats.FieldLastName]); n != "" {
			r.Values[formats.FieldName] = n
			r.builtName = true
		}
	}

	switch r.Action {
	case ActionCreate:
		if r.ID != "" {
			add(formats.FieldID, "id given for create; clear the id or use action update/upsert")
		}
	case ActionUpdate, ActionDelete:
		if r.ID == "" && !v.opts.MatchEmail {
			add(formats.FieldID, "%s needs an id; fill the id column or pass --match email", r.Action)
		}
	}
	byEmail := r.ID == "" && v.opts.MatchEmail && r.Action != ActionCreate
	if r.Creates(v.opts.MatchEmail) {
		v.requireName(r, add)
	}
	if (r.Creates(v.opts.MatchEmail) || byEmail) && r.Email == "" && !hasProblem(r, formats.FieldEmail) {
		if byEmail {
			add(formats.FieldEmail, "required to find the customer with --match email")
		} else {
			add(formats.FieldEmail, "required to create a customer")
		}
	}

	// Duplicates within the file.
	if r.ID != "" {
		if first, dup, err := v.seen.CheckAndAdd("i\x00"+r.ID, r.Num); err != nil {
			return nil, err
		} else if dup {
			add(formats.FieldID, "duplicate of row %d (same id)", first)
		}
	}
	if r.EmailKey != "" {
		if first, dup, err := v.seen.CheckAndAdd("e\x00"+r.EmailKey, r.Num); err != nil {
			return nil, err
		} else if dup {
			add(formats.FieldEmail, "duplicate of row %d (same email)", first)
		}
	}
	return r, nil
}

func (v *Validator) requireName(r *Record, add func(formats.Field, string, ...any)) {
	if r.Values[formats.FieldName] != "" || hasProblem(r, formats.FieldName) {
		return
	}
	if v.m.Has(formats.FieldFirstName) || v.m.Has(formats.FieldLastName) {
		add(formats.FieldName, "required to create a customer; fill the name, or the first and last name")
		return
	}
	add(formats.FieldName, "required to create a customer")
}

// RequireCreate adds the problems of a row that --match email found to
// create (no customer had its email): it then needs a name.
func (v *Validator) RequireCreate(r *Record) {
	add := func(f formats.Field, format string, args ...any) {
		col := ""
		if i, ok := v.m.Index[f]; ok {
			col = v.m.Header[i]
		}
		r.Problems = append(r.Problems, Problem{Field: f, Column: col, Msg: fmt.Sprintf(format, args...)})
	}
	v.requireName(r, add)
	if r.Email == "" && !hasProblem(r, formats.FieldEmail) {
		add(formats.FieldEmail, "required to create a customer")
	}
}

func hasProblem(r *Record, f formats.Field) bool {
	for _, p := range r.Problems {
		if p.Field == f {
			return true
		}
	}
	return false
}

func ungroup(s string) string {
	// The last separator is the decimal one when followed by 1-2 or 4+
	// digits; with exactly three we guess a thousands separator.
	var b strings.Builder
	last := strings.LastIndexAny(s, ".,")
	for i, c := range s {
		switch {
		case c >= '0' && c <= '9', c == '-', c == '+':
			b.WriteRune(c)
		case i == last && len(s)-i-1 != 3:
			b.WriteByte('.')
		}
	}
	return b.String()
}

// isDecimal reports whether s is a plain decimal: optional sign, digits
// with at most one dot, at least one digit (1234.5, -3, .5, 7.).
func isDecimal(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	digits, dots := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dots++
		default:
			return false
		}
	}
	return digits > 0 && dots <= 1
}

// validEmail accepts one bare address as net/mail parses it. The common
// shape (dot-atom ASCII local part and domain) is checked by hand, as it
// is on every row of a large file; anything else goes to net/mail.
func validEmail(s string) bool {
	if simpleEmail(s) {
		return true
	}
	addr, err := mail.ParseAddress(s)
	return err == nil && addr.Name == "" && addr.Address == s
}

func simpleEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return false
	}
	return dotAtom(s[:at]) && dotAtom(s[at+1:])
}

// dotAtom reports whether s is atext runs joined by single dots (RFC 5322).
func dotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0:
		case c == '.':
			if s[i-1] == '.' {
				return false
			}
		default:
			return false
		}
	}
	return true
}
