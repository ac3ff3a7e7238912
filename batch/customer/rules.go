package customer

import (
	"fmt"
	"iter"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"aivabatch/formats"
)

// Action is what a row asks for: its action column, or --mode.
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
var profileFields = [numProfile]Field{
	FieldFirstName, FieldLastName, FieldName,
	FieldEmail, FieldPhone, FieldStatus,
	FieldType, FieldValue, FieldAutoPayment,
	FieldNotes,
}

// Indexes into profileFields.
const (
	pFirstName = iota
	pLastName
	pName
	pEmail
	pPhone
	pStatus
	pType
	pValue
	pAutoPayment
	pNotes
	numProfile
)

func profileIndex(f Field) int {
	for i, pf := range profileFields {
		if pf == f {
			return i
		}
	}
	return -1
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
	// vals holds the normalised non-blank profile fields (status lower
	// case, autoPayment "true"/"false", value a decimal literal), by
	// profileFields index; has marks which are set.
	vals [numProfile]string
	has  uint16
	// Blank lists the mapped profile fields whose cell was blank.
	Blank []Field
	// Problems lists every problem of the row; empty means valid.
	Problems []Problem
	// builtName says the name was built from firstName + lastName.
	builtName bool
	// oversize says the row could not be read or a cell was over the
	// limit: nothing else was checked.
	oversize bool
	// From says which fields were taken from a later column of a list
	// (--map "PhoneNumber,MobileNumber=phone"), for the report.
	From []string
	// src is the column each set profile field was read from; mapped
	// marks the fields whose value a value map gave.
	src    [numProfile]int32
	mapped uint16
	raw    bool // the cells are read as CellValue(cell, true)
}

// Source is the report's note on where the row's values came from, or "":
// a later column of a --map list, and the values a value map gave
// (status "Pending" mapped to "inactive"; the cell keeps the file's text).
func (r *Record) Source() string {
	if r.mapped&r.has == 0 {
		return strings.Join(r.From, "; ")
	}
	// One allocation: validate writes it on every row a map touched.
	var cells [numProfile]string
	n := 0
	for _, f := range r.From {
		n += len(f) + 2
	}
	for i, f := range profileFields {
		if r.mapped&r.has&(1<<i) != 0 {
			cells[i] = CellValue(r.Cells[r.src[i]], r.raw)
			n += len(f) + len(cells[i]) + len(r.vals[i]) + len(` "" mapped to ""; `)
		}
	}
	var b strings.Builder
	b.Grow(n)
	for _, f := range r.From {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f)
	}
	for i, f := range profileFields {
		if r.mapped&r.has&(1<<i) != 0 {
			if b.Len() > 0 {
				b.WriteString("; ")
			}
			b.WriteString(string(f))
			b.WriteString(` "`)
			b.WriteString(cells[i])
			b.WriteString(`" mapped to "`)
			b.WriteString(r.vals[i])
			b.WriteByte('"')
		}
	}
	return b.String()
}

// Values yields the profile fields the row sets, in column order, with
// their normalised values.
func (r *Record) Values() iter.Seq2[Field, string] {
	return func(yield func(Field, string) bool) {
		for i, f := range profileFields {
			if r.has&(1<<i) != 0 && !yield(f, r.vals[i]) {
				return
			}
		}
	}
}

// BuiltName reports whether the row's name was built from firstName and
// lastName (sent to create only: an update keeps the server's name).
func (r *Record) BuiltName() bool { return r.builtName }

// EmailKey is the key an email is matched by: s in ASCII lower case.
func EmailKey(s string) string { return lowerASCII(s) }

// Value returns the normalised value of profile field f and whether the
// row has one.
func (r *Record) Value(f Field) (string, bool) {
	i := profileIndex(f)
	if i < 0 || r.has&(1<<i) == 0 {
		return "", false
	}
	return r.vals[i], true
}

func (r *Record) set(i int, v string) {
	r.vals[i] = v
	r.has |= 1 << i
}

func (r *Record) get(i int) string { return r.vals[i] }

// Problem is one validation problem, naming the column.
type Problem struct {
	Field  Field  // canonical field ("" for the whole row)
	Column string // the column's header in the file, when known
	Msg    string
	// Value is the cell's text when the problem is a value the field
	// does not take (a status, a yes/no, a value a rule does not
	// allow), which a value map could turn into one it does: validate
	// counts them by column.
	Value string
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

// Creates reports whether the record is known offline to create a
func (r *Record) Creates(matchEmail bool) bool {
	switch r.Action {
	case ActionCreate:
		return true
	case ActionUpsert:
		// Matched by email when it has one; without, nothing can match it.
		return r.ID == "" && (!matchEmail || r.Email == "")
	}
	return false
}

// NeedsMatch reports whether a valid row can only update a customer found
// by email: an upsert without id or name. Offline that is fine; at import
// a row whose email the tenant does not hold would create, and is then
// invalid for want of a name.
func (r *Record) NeedsMatch(matchEmail bool) bool {
	return matchEmail && r.Action == ActionUpsert && r.ID == "" && r.Email != "" && r.get(pName) == ""
}

// ValidatorOptions configures NewValidator.
type ValidatorOptions struct {
	Mode       Action // default action; "" means upsert
	MatchEmail bool   // --match email
	// OptionName, when set, names an option in the rows' problems as the
	// caller does (the command line gives its flags, "--mode"); without
	// it an option is named in words (its String).
	OptionName func(Option) string
	// JSON says the cells come from NDJSON: typed values with no
	// spreadsheet in between, so a leading ' is data, not a text marker.
	JSON bool
	// Workbook says the cells come from an XLSX sheet: a workbook marks
	// text with a cell style (quotePrefix), never with a character, so a
	// leading ' is data there too.
	Workbook bool
	// Values maps cell texts to the values checked and sent in their
	// place (value maps, see controls.go).
	Values ValueMaps
	// Rules are the tenant's own demands, checked after the built-in
	// checks on every row that creates or updates; nil means none.
	Rules *Rules
}

// Validator turns rows into records. It remembers emails and ids seen so
// that a repeat within the file is reported. It is not safe for
// concurrent use.
type Validator struct {
	m    *Mapping
	opts ValidatorOptions
	seen *seenSet
	// Column of each profile field, of id and of action (-1: not mapped),
	// worked out once rather than by map lookups on every row.
	col              [numProfile]int
	idCol, actionCol int
	// alt holds, for a field mapped from a list of columns
	// (--map "PhoneNumber,MobileNumber=phone"), the columns after col.
	alt    [numProfile][]int
	hashes []uint64 // scratch of CheckDuplicatesBatch
	// vmap and rules are ValidatorOptions' Values and Rules by profile
	// index (nil: none), required the indexes of Rules.Required.
	vmap     [numProfile]*fieldMap
	rules    [numProfile]*FieldRule
	required []int
	hasRules bool
}

// NewValidator builds a validator for rows mapped by m. Close releases the
// temporary files of its duplicate index.
func NewValidator(m *Mapping, opts ValidatorOptions) *Validator {
	if opts.Mode == "" {
		opts.Mode = ActionUpsert
	}
	v := &Validator{m: m, opts: opts, seen: newSeenSet()}
	colOf := func(f Field) int {
		if i, ok := m.Index[f]; ok {
			return i
		}
		return -1
	}
	for i, f := range profileFields {
		v.col[i] = colOf(f)
		v.alt[i] = m.Alternates[f]
	}
	v.idCol, v.actionCol = colOf(FieldID), colOf(FieldAction)
	for f, ps := range opts.Values.m {
		v.vmap[profileIndex(f)] = newFieldMap(ps)
	}
	if !opts.Rules.Empty() {
		v.hasRules = true
		for f, fr := range opts.Rules.Fields {
			v.rules[profileIndex(f)] = fr
		}
		for _, f := range opts.Rules.Required {
			if i := profileIndex(f); !slices.Contains(v.required, i) {
				v.required = append(v.required, i)
			}
		}
	}
	return v
}

// Close releases the duplicate index.
func (v *Validator) Close() error { return v.seen.Close() }

const maxCell = 64 << 10

var (
	groupedRE  = regexp.MustCompile(`^[+-]?\d{1,3}([,.' ]\d{3})+([.,]\d+)?$`)
	commaDecRE = regexp.MustCompile(`^[+-]?\d+,\d+$`)
	// exponentRE: 1.80012E+10, and as German or French Excel writes it,
	// 4,36641E+11; lower case and no sign (4.36641e11) alike.
	exponentRE = regexp.MustCompile(`^[+-]?\d+([.,]\d+)?[eE][+-]?\d+$`)
)

// columnName is the header of field f's column, or the field's name.
func (v *Validator) columnName(f Field) string {
	if i, ok := v.m.Index[f]; ok {
		return v.m.Header[i]
	}
	return ""
}

func (v *Validator) problem(r *Record, f Field, format string, args ...any) {
	r.Problems = append(r.Problems, Problem{Field: f, Column: v.columnName(f), Msg: fmt.Sprintf(format, args...)})
}

// problemAt is problem for the value of column col (with --map "A,B=f",
// the column the value came from).
func (v *Validator) problemAt(r *Record, f Field, col int, format string, args ...any) {
	r.Problems = append(r.Problems, Problem{Field: f, Column: v.m.Header[col], Msg: fmt.Sprintf(format, args...)})
}

// cellAt returns the text of column i as CellText reads it ("" when
// i < 0).
func (v *Validator) cellAt(cells []string, i int) string {
	if i < 0 || i >= len(cells) {
		return ""
	}
	return CellValue(cells[i], v.opts.JSON || v.opts.Workbook)
}

// Check maps and validates one row. Rows must be given in file order: the
// duplicate check compares each row with the rows before it.
func (v *Validator) Check(row formats.Row) (*Record, error) {
	r := v.CheckFields(row)
	return r, v.CheckDuplicates(r)
}

// CheckFields maps and validates one row on its own, everything but the
// duplicate check. Cells are valid UTF-8: the readers of package formats
// guarantee it (and report a row whose bytes they had to replace). Unlike Check it is safe for concurrent use, so that
// rows can be checked in parallel and then passed, in file order, to
// CheckDuplicates.
func (v *Validator) CheckFields(row formats.Row) *Record {
	r := &Record{Num: row.Num, Cells: row.Cells}
	if row.Err != nil {
		// The row could not be read as a record (ragged, too long, not an
		// object): its cells may be shifted, so checking them would only
		// add misleading problems.
		if re, ok := row.Err.(*formats.RowError); ok {
			r.Problems = append(r.Problems, Problem{Column: re.Field, Msg: re.Err.Error()})
		} else {
			r.Problems = append(r.Problems, Problem{Msg: row.Err.Error()})
		}
		r.oversize = true // no duplicate check either
		return r
	}
	for i, c := range row.Cells {
		if len(c) > maxCell && i < len(v.m.Columns) && v.m.Columns[i] != "" {
			v.problemAt(r, v.m.Columns[i], i, "cell is %d KiB, over the 64 KiB limit; shorten it", len(c)>>10)
			r.oversize = true
			return r
		}
	}

	r.Action = v.opts.Mode
	if s := v.cellAt(row.Cells, v.actionCol); s != "" {
		a, ok := ParseAction(s)
		if !ok {
			v.problem(r, FieldAction, "%q is not an action; use create, update, upsert, delete or skip (or leave it blank for %s %s)", s, optionName(v.opts.OptionName, OptMode), v.opts.Mode)
		} else {
			r.Action = a
		}
	}
	if r.Action == ActionSkip {
		return r
	}
	r.ID = v.cellAt(row.Cells, v.idCol)

	for i, f := range profileFields {
		if v.col[i] < 0 {
			continue
		}
		src := v.col[i] // the column the value is read from
		s := v.cellAt(row.Cells, src)
		for _, j := range v.alt[i] {
			if s != "" {
				break
			}
			if s = v.cellAt(row.Cells, j); s != "" {
				src = j
				// Said in the report's _changes: the value is not in
				// the column the field is usually read from.
				r.From = append(r.From, fmt.Sprintf("%s from %q (%q is blank)", f, v.m.Header[j], v.m.Header[v.col[i]]))
			}
		}
		if s == "" {
			r.Blank = append(r.Blank, f)
			continue
		}
		r.src[i] = int32(src)
		if fm := v.vmap[i]; fm != nil {
			if to, ok := fm.lookup(s); ok {
				s = to
				r.mapped |= 1 << i
				r.raw = v.opts.JSON || v.opts.Workbook
			}
		}
		if c, ok := controlRune(s); ok {
			// A NUL or another control character would reach the API,
			// which may cut the text there or refuse the whole row.
			v.problemAt(r, f, src, "contains the control character U+%04X; delete it (line breaks and tabs are fine)", c)
			continue
		}
		switch i {
		case pEmail:
			if c, ok := invisibleRune(s); ok {
				// net/mail accepts it, and the server would keep an
				// address that looks right but that no one can type.
				v.problemAt(r, f, src, "%q contains an invisible character, U+%04X (%s); delete it: the customer would be saved with an address no one can type", s, c, invisibleName(c))
				continue
			}
			if !validEmail(s) {
				v.problemAt(r, f, src, "%q is not a valid email address; give one bare address like name@example.com", s)
				continue
			}
			r.Email, r.EmailKey = s, lowerASCII(s)
		case pStatus:
			switch s {
			case "active", "inactive", "blocked":
			default:
				ls := strings.ToLower(s)
				if ls != "active" && ls != "inactive" && ls != "blocked" {
					st, ok := localStatus[ls]
					if !ok {
						v.valueProblem(r, i, "%q is not a status; use active, inactive or blocked", s)
						continue
					}
					ls = st
				}
				s = ls
			}
		case pValue:
			switch {
			case isPlainDecimal(s):
				if _, err := strconv.ParseFloat(s, 64); err != nil {
					v.problemAt(r, f, src, "%q is out of range", s)
					continue
				}
			case groupedRE.MatchString(s):
				v.problemAt(r, f, src, "%q has a thousands separator; write the number without it (e.g. %s)", s, ungroup(s))
				continue
			case commaDecRE.MatchString(s):
				v.problemAt(r, f, src, "%q uses a comma as decimal separator; write %s", s, strings.Replace(s, ",", ".", 1))
				continue
			default:
				v.problemAt(r, f, src, "%q is not a number; write a plain decimal like 1234.5 or -3", s)
				continue
			}
		case pAutoPayment:
			b, ok := parseBool(s)
			if !ok {
				v.valueProblem(r, i, "%q is not a yes/no value; use true/false, yes/no, y/n or 1/0", s)
				continue
			}
			s = b
		case pPhone:
			if looksExponent(s) && exponentRE.MatchString(s) {
				v.problemAt(r, f, src, "%q is in exponent form: the spreadsheet has already dropped its digits; format the column as text and enter the full number", s)
				continue
			}
		}
		r.set(i, s)
	}
	if r.get(pName) == "" {
		first, last := r.get(pFirstName), r.get(pLastName)
		if first != "" || last != "" {
			r.set(pName, strings.TrimSpace(first+" "+last))
			r.builtName = true
		}
	}

	if v.hasRules && r.Action != ActionDelete {
		v.checkRules(r)
	}

	switch r.Action {
	case ActionCreate:
		if r.ID != "" {
			v.problem(r, FieldID, "id given for create; clear the id or use action update/upsert")
		}
	case ActionUpdate, ActionDelete:
		if r.ID == "" && !v.opts.MatchEmail {
			v.problem(r, FieldID, "%s needs an id; fill the id column, or drop %s none so that the row finds its customer by email", r.Action, optionName(v.opts.OptionName, OptMatch))
		}
	}
	byEmail := r.ID == "" && v.opts.MatchEmail && r.Action != ActionCreate
	if r.Creates(v.opts.MatchEmail) {
		v.requireName(r)
	}
	if (r.Creates(v.opts.MatchEmail) || byEmail) && r.Email == "" && !hasProblem(r, FieldEmail) {
		if r.Creates(v.opts.MatchEmail) {
			v.problem(r, FieldEmail, "required to create a customer")
		} else {
			v.problem(r, FieldEmail, "required to find the customer by email (or fill the id column)")
		}
	}

	return r
}

// CheckDuplicatesBatch is CheckDuplicates for consecutive rows, faster:
// the duplicate index is read for all of them at once.
func (v *Validator) CheckDuplicatesBatch(rs []*Record) error {
	hs := v.hashes[:0]
	for _, r := range rs {
		if r.Action == ActionSkip || r.oversize {
			continue
		}
		if r.ID != "" {
			hs = append(hs, v.seen.hash('i', r.ID))
		}
		if r.EmailKey != "" {
			hs = append(hs, v.seen.hash('e', r.EmailKey))
		}
	}
	v.hashes = hs
	k := 0
	for _, r := range rs {
		if r.Action == ActionSkip || r.oversize {
			continue
		}
		if r.ID != "" {
			if err := v.dupResult(r, FieldID, hs[k]); err != nil {
				return err
			}
			k++
		}
		if r.EmailKey != "" {
			if err := v.dupResult(r, FieldEmail, hs[k]); err != nil {
				return err
			}
			k++
		}
	}
	return nil
}

func (v *Validator) dupResult(r *Record, f Field, h uint64) error {
	first, dup, err := v.seen.checkAndAddHash(h, r.Num)
	if err != nil {
		return err
	}
	if dup {
		what := "email"
		if f == FieldID {
			what = "id"
		}
		v.problem(r, f, "duplicate of row %d (same %s)", first, what)
	}
	return nil
}

// CheckDuplicates adds the problem of a row whose email or id an earlier
// row had. Rows must come in file order; not safe for concurrent use. The
// error is an I/O failure of the spill file.
func (v *Validator) CheckDuplicates(r *Record) error {
	if r.Action == ActionSkip || r.oversize {
		return nil
	}
	return v.CheckDuplicatesBatch([]*Record{r})
}

// localStatus reads the statuses of files exported in the languages of
// the header aliases (German, French, Spanish, Portuguese, Italian,
// Dutch), lower case, with and without accents.
var localStatus = map[string]string{
	"aktiv": "active", "inaktiv": "inactive", "gesperrt": "blocked",
	"actif": "active", "inactif": "inactive", "bloqué": "blocked", "bloquée": "blocked", "bloque": "blocked", "bloquee": "blocked",
	"activo": "active", "activa": "active", "inactivo": "inactive", "inactiva": "inactive", "bloqueado": "blocked", "bloqueada": "blocked",
	"ativo": "active", "ativa": "active", "inativo": "inactive", "inativa": "inactive",
	"attivo": "active", "attiva": "active", "inattivo": "inactive", "inattiva": "inactive", "bloccato": "blocked", "bloccata": "blocked",
	"actief": "active", "inactief": "inactive", "geblokkeerd": "blocked",
}

// looksExponent is a cheap pre-check before the exponent regexp.
func looksExponent(s string) bool {
	return strings.IndexAny(s, "eE") > 0
}

// lowerASCII lower-cases s, allocating only when it has upper case.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 0x80 {
			return strings.ToLower(s)
		}
	}
	return s
}

func (v *Validator) requireName(r *Record) {
	if r.get(pName) != "" || hasProblem(r, FieldName) {
		return
	}
	if v.col[pFirstName] >= 0 || v.col[pLastName] >= 0 {
		v.problem(r, FieldName, "required to create a customer; fill the name, or the first and last name")
		return
	}
	v.problem(r, FieldName, "required to create a customer")
}

// RequireCreate adds the problems of a row that --match email found to
// create (no customer had its email): it then needs a name and an email.
func (v *Validator) RequireCreate(r *Record) {
	v.requireName(r)
	if r.Email == "" && !hasProblem(r, FieldEmail) {
		v.problem(r, FieldEmail, "required to create a customer")
	}
}

// valueProblem adds the problem of profile field i's value, a value
// the field does not take: it names the column the value came from, and
// the cell's own text when a value map gave s. The problem's Value is the
// cell's text: a value map could fix it.
func (v *Validator) valueProblem(r *Record, i int, format string, args ...any) {
	v.fieldProblem(r, i, true, format, args...)
}

// fieldProblem is valueProblem for a problem a value map is not the fix
// for when mappable is false (a number out of range, a text that does not
// match a pattern): Value stays empty.
func (v *Validator) fieldProblem(r *Record, i int, mappable bool, format string, args ...any) {
	col := int(r.src[i])
	cell := v.cellAt(r.Cells, col)
	msg := fmt.Sprintf(format, args...)
	if r.mapped&(1<<i) != 0 {
		msg += fmt.Sprintf(" (the value map gave it for %q)", cell)
	}
	p := Problem{Field: profileFields[i], Column: v.m.Header[col], Msg: msg}
	if mappable {
		p.Value = cell
	}
	r.Problems = append(r.Problems, p)
}

// parseBool reads a yes/no cell: the English words and those of the
// languages of the header aliases (German, French, Spanish, Portuguese,
// Italian, Dutch), ignoring case, without allocating for ASCII text.
func parseBool(s string) (string, bool) {
	if len(s) > 8 {
		return "", false
	}
	var buf [8]byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			b, ok := boolWords[strings.ToLower(s)]
			return b, ok
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	b, ok := boolWords[string(buf[:len(s)])]
	return b, ok
}

// boolWords are the yes/no words by their lower case.
var boolWords = map[string]string{
	"true": "true", "yes": "true", "y": "true", "1": "true",
	"false": "false", "no": "false", "n": "false", "0": "false",
	"ja": "true", "nein": "false", // German (and Dutch ja)
	"nee": "false",                // Dutch
	"oui": "true", "non": "false", // French
	"sí": "true", "si": "true", // Spanish (no above)
	"sì":  "true",                                 // Italian (si above)
	"sim": "true", "não": "false", "nao": "false", // Portuguese
}

func hasProblem(r *Record, f Field) bool {
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

// isPlainDecimal reports whether s is a plain decimal: optional sign, digits
// with at most one dot, at least one digit (1234.5, -3, .5, 7.), and no
// exponent: a customer's value is written out in full (1e5 is refused).
// The table writers' isDecimalOrExponent (formats) also takes 1e5.
func isPlainDecimal(s string) bool {
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

// controlRune returns the first control character in s other than tab,
// line feed and carriage return (NUL, the C0 and C1 controls, DEL).
func controlRune(s string) (rune, bool) {
	for _, c := range s {
		if unicode.IsControl(c) && c != '\t' && c != '\n' && c != '\r' {
			return c, true
		}
	}
	return 0, false
}

// invisibleRune returns the first invisible formatting character in s
// (Unicode category Cf: zero-width space and joiners, word joiner, a BOM
// inside the text, soft hyphen, direction marks).
func invisibleRune(s string) (rune, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] < utf8.RuneSelf {
			continue
		}
		for _, c := range s[i:] {
			if unicode.Is(unicode.Cf, c) {
				return c, true
			}
		}
		break
	}
	return 0, false
}

func invisibleName(c rune) string {
	switch c {
	case 0x200B:
		return "zero-width space"
	case 0x200C:
		return "zero-width non-joiner"
	case 0x200D:
		return "zero-width joiner"
	case 0x2060:
		return "word joiner"
	case 0xFEFF:
		return "zero-width no-break space, or byte order mark"
	case 0x00AD:
		return "soft hyphen"
	}
	return "an invisible formatting character"
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
