package formats

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// normalizeName folds a column name for matching: lower case, without
// spaces, '_', '-' and '.'.
func normalizeName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, c := range s {
		switch {
		case c == '_' || c == '-' || c == '.' || unicode.IsSpace(c):
		default:
			b.WriteRune(unicode.ToLower(c))
		}
	}
	return b.String()
}

// aliases maps normalised column names to fields. Only exact "id"/"_id"
// (and their normalised forms) mean id: a foreign system's "Customer Id"
// would update the wrong customers.
var aliases = map[string]Field{
	"id": FieldID,

	"firstname": FieldFirstName, "givenname": FieldFirstName, "forename": FieldFirstName, "first": FieldFirstName,
	"lastname": FieldLastName, "surname": FieldLastName, "familyname": FieldLastName, "last": FieldLastName,
	"name": FieldName, "fullname": FieldName, "customername": FieldName, "contactname": FieldName,
	"email": FieldEmail, "emailaddress": FieldEmail, "mail": FieldEmail,
	"phone": FieldPhone, "phonenumber": FieldPhone, "telephone": FieldPhone, "telephonenumber": FieldPhone,
	"tel": FieldPhone, "mobile": FieldPhone, "mobilephone": FieldPhone, "mobilenumber": FieldPhone,
	"cell": FieldPhone, "cellphone": FieldPhone,
	"status": FieldStatus, "customerstatus": FieldStatus,
	"type": FieldType, "customertype": FieldType,
	"value":       FieldValue,
	"autopayment": FieldAutoPayment, "autopay": FieldAutoPayment,
	"notes": FieldNotes, "note": FieldNotes, "comment": FieldNotes, "comments": FieldNotes,
	"action": FieldAction,
}

// readOnlyNames are normalised names of columns that are read but never
// imported: the API sets them.
var readOnlyNames = map[string]bool{"createdat": true, "updatedat": true}

// reportColumns are the report's own columns (SPEC §7), matched exactly
// (ignoring case) because "_customer_id" normalises like "Customer Id".
var reportColumns = map[string]bool{
	"_row": true, "_result": true, "_customer_id": true, "_http_status": true, "_error": true, "_changes": true,
}

// CanonicalField returns the field that a column name or a --map target
// means: a canonical field name or one of its aliases ("E-mail",
// "given name", "_id"), matched case-insensitively ignoring spaces, '_',
// '-' and '.'. Read-only names (createdAt, updatedAt), report columns and
// unknown names return false.
func CanonicalField(name string) (Field, bool) {
	f, ok := aliases[normalizeName(name)]
	return f, ok
}

func validFieldList() string {
	names := make([]string, len(Fields))
	for i, f := range Fields {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}

// UnknownColumn is a header column that maps to no customer field.
type UnknownColumn struct {
	Index int    // 0-based position in the header
	Name  string // the header as written
	// Closest is the field the column is safe to map to: its name is close
	// to the field's and its first cells fit the field; "" when none.
	Closest Field
	// Note says why a column named like a field was not taken ("values
	// such as "add" are not actions …"), or "".
	Note string
	// Suggest is the --map flag value that fixes the column: "Name=field"
	// for the first column closest to a free field, else "Name=-"; "" when
	// the name cannot be given to --map (a control character, "=").
	Suggest string
}

// HeaderError lists the columns that match no customer field. MapHeader
// returns it when MapOptions.IgnoreUnknown is false; Error() is a message
// of two lines ending with the exact flags that fix it.
type HeaderError struct {
	Unknown []UnknownColumn
}

// maxListed caps how many columns and flags a message lists: a header of
// 100,000 columns must not make a message of megabytes.
const maxListed = 20

// Error names the unknown columns (at most maxListed) with the field each
// is safe to map to, then gives copy-pasteable --map flags (shell-quoted)
// and --ignore-unknown.
func (e *HeaderError) Error() string {
	var b strings.Builder
	n := len(e.Unknown)
	if n == 1 {
		b.WriteString("the file has 1 column that matches no customer field: ")
	} else {
		fmt.Fprintf(&b, "the file has %d columns that match no customer field: ", n)
	}
	var maps, ignores, unnameable []string
	closestTaken := false
	for i, u := range e.Unknown {
		closestTaken = closestTaken || u.Closest != ""
		if i < maxListed {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quoteName(u.Name))
			switch {
			case u.Closest != "":
				fmt.Fprintf(&b, " (closest: %s)", u.Closest)
			case u.Note != "":
				fmt.Fprintf(&b, " (%s)", u.Note)
			}
		}
		switch {
		case u.Suggest == "":
			unnameable = append(unnameable, fmt.Sprintf("%d (%s)", u.Index+1, quoteName(u.Name)))
		case strings.HasSuffix(u.Suggest, "=-"):
			ignores = append(ignores, "--map "+shellQuote(u.Suggest))
		default:
			maps = append(maps, "--map "+shellQuote(u.Suggest))
		}
	}
	if n > maxListed {
		fmt.Fprintf(&b, " and %d more", n-maxListed)
	}
	b.WriteString(".\n")
	ignoreList := "ignore them with " + strings.Join(ignores, " ") + ", "
	switch {
	case len(ignores) == 0:
		ignoreList = ""
	case len(ignores) > maxListed:
		ignoreList = ""
		if len(maps) == 0 {
			ignoreList = fmt.Sprintf("ignore one with --map \"Column=-\" (%d are unknown), ", len(ignores))
		}
	}
	switch {
	case len(maps) > maxListed:
		fmt.Fprintf(&b, "Map them with %s … (%d in all), %sor ignore all of them with --ignore-unknown.", strings.Join(maps[:maxListed], " "), len(maps), ignoreList)
	case len(maps) > 0:
		fmt.Fprintf(&b, "Map them with %s, %sor ignore all of them with --ignore-unknown.", strings.Join(maps, " "), ignoreList)
	case closestTaken:
		fmt.Fprintf(&b, "The fields they are closest to are taken: map one with --map \"Column=field\" (fields: %s), %sor ignore all of them with --ignore-unknown.", validFieldList(), ignoreList)
	default:
		fmt.Fprintf(&b, "No column has an obvious match: map one with --map \"Column=field\" (fields: %s), %sor ignore all of them with --ignore-unknown.", validFieldList(), ignoreList)
	}
	if len(unnameable) > 0 {
		col, it := "Column "+unnameable[0]+" has a name", "it"
		if len(unnameable) > 1 {
			if len(unnameable) > maxListed {
				unnameable = append(unnameable[:maxListed], "…")
			}
			col, it = "Columns "+strings.Join(unnameable, ", ")+" have names", "them"
		}
		fmt.Fprintf(&b, " %s that --map cannot be given (a control character, an invalid byte, \"=\", or over %d bytes): rename %s in the file, or use --ignore-unknown.", col, maxMapName, it)
	}
	return b.String()
}

// shellQuote quotes s as one shell word: in double quotes when that is
// safe, else in single quotes.
func shellQuote(s string) string {
	if !strings.ContainsAny(s, "\"$`\\!") {
		return `"` + s + `"`
	}
	return `'` + strings.ReplaceAll(s, `'`, `'\''`) + `'`
}

// MapHeader decides which canonical field each header column feeds.
//
// Order of precedence: opts.Map (a source matched exactly, then
// normalised; the target a field, an alias, or "-" to ignore), then the
// report's own "_" columns and createdAt/updatedAt (ignored), then field
// names and aliases. Columns without a name are ignored. Errors, all
// input problems: a --map source that is no column or a target that is no
// field (listing the valid fields), two columns with the same name
// (ignoring case), two columns feeding the same field, and — unless
// opts.IgnoreUnknown — unknown columns as a *HeaderError.
//
// Mapping.Ignored lists, for a notice, the columns ignored because they
// are unknown (with IgnoreUnknown) or have no name; expected ignored
// columns (read-only, report, "-") are not listed.
//
// MapHeader judges columns by their names only; MapReader also looks at
// the first rows, and is what reading a file should use.
func MapHeader(header []string, opts MapOptions) (*Mapping, error) {
	return mapHeader(header, nil, opts)
}

// mapHeader is MapHeader with the first rows' cells: a column named id or
// action whose values are another system's is unknown, and a --map is
// suggested only for a column whose cells fit the field.
func mapHeader(header []string, sample [][]string, opts MapOptions) (*Mapping, error) {
	if err := notAHeader(header, opts); err != nil {
		return nil, err
	}
	m := &Mapping{
		Header:  header,
		Columns: make([]Field, len(header)),
		Index:   map[Field]int{},
	}
	decided := make([]bool, len(header))

	// Duplicate names first: --map could not say which one it means.
	seen := map[string]int{}
	for i, h := range header {
		k := strings.ToLower(strings.TrimSpace(h))
		if k == "" {
			continue
		}
		if j, ok := seen[k]; ok {
			return nil, fmt.Errorf("columns %d (%q) and %d (%q) have the same name; rename or remove one of them", j+1, header[j], i+1, h)
		}
		seen[k] = i
	}

	// --map, in a fixed order so that errors do not depend on map order.
	sources := make([]string, 0, len(opts.Map))
	for s := range opts.Map {
		sources = append(sources, s)
	}
	sort.Strings(sources)
	for _, src := range sources {
		target := strings.TrimSpace(opts.Map[src])
		i, err := findColumn(header, src)
		if err != nil {
			return nil, err
		}
		decided[i] = true
		if target == "-" {
			continue
		}
		f, ok := CanonicalField(target)
		if !ok {
			return nil, fmt.Errorf("--map %s: %q is not a customer field; use one of %s, or - to ignore the column", shellQuote(src+"="+opts.Map[src]), target, validFieldList())
		}
		if err := m.assign(i, f); err != nil {
			return nil, err
		}
	}

	// The API returns both "_id" and "id" with the same value: with both
	// columns (a whole-object NDJSON export), "id" is the one read.
	hasPlainID := false
	for _, h := range header {
		if strings.EqualFold(strings.TrimSpace(h), "id") {
			hasPlainID = true
		}
	}
	var (
		unknown []UnknownColumn
		unnamed []string // column numbers
	)
	for i, h := range header {
		if decided[i] {
			continue
		}
		name := strings.TrimSpace(h)
		norm := normalizeName(name)
		switch {
		case name == "":
			m.Ignored = append(m.Ignored, fmt.Sprintf("column %d (no header)", i+1))
			unnamed = append(unnamed, strconv.Itoa(i+1))
			continue
		case reportColumns[strings.ToLower(name)] || readOnlyNames[norm]:
			continue
		case hasPlainID && strings.EqualFold(name, "_id"):
			continue
		}
		if f, ok := aliases[norm]; ok {
			if note := foreignValues(f, columnValues(sample, i)); note != "" {
				unknown = append(unknown, UnknownColumn{Index: i, Name: h, Note: note})
				continue
			}
			if err := m.assign(i, f); err != nil {
				return nil, err
			}
			continue
		}
		unknown = append(unknown, UnknownColumn{Index: i, Name: h})
	}
	if opts.Warn != nil && len(unnamed) > 0 {
		msg := "column " + unnamed[0] + " has no name in the header, so its cells are ignored; name it in the header to import it"
		if n := len(unnamed); n > 1 {
			if n > maxListed {
				unnamed = append(unnamed[:maxListed], fmt.Sprintf("and %d more", n-maxListed))
			}
			msg = "columns " + strings.Join(unnamed, ", ") + " have no name in the header, so their cells are ignored; name them in the header to import them"
		}
		opts.Warn(msg)
	}
	if len(unknown) == 0 {
		return m, nil
	}
	if opts.IgnoreUnknown {
		for _, u := range unknown {
			m.Ignored = append(m.Ignored, u.Name)
		}
		return m, nil
	}
	taken := map[Field]bool{}
	for f := range m.Index {
		taken[f] = true
	}
	for k := range unknown {
		u := &unknown[k]
		if !canMap(header, u.Index) {
			continue
		}
		u.Suggest = u.Name + "=-"
		if u.Note != "" {
			continue
		}
		vals := columnValues(sample, u.Index)
		if len(vals) == 0 {
			continue // a blank column shows nothing to fit
		}
		norm := normalizeName(u.Name)
		// Never id: no look of a value makes another system's key ours.
		if f := closestField(norm); f != "" && f != FieldID && fits(f, norm, vals) {
			u.Closest = f
		}
		if u.Closest != "" && !taken[u.Closest] {
			u.Suggest = u.Name + "=" + string(u.Closest)
			taken[u.Closest] = true
		}
	}
	return nil, &HeaderError{Unknown: unknown}
}

// maxMapName is the longest column name a message offers as a --map
// flag; a longer one is no name a user would type.
const maxMapName = 200

// quoteName quotes a column name for a message (Go %q style, so that
// control characters show), cut to 60 characters.
func quoteName(s string) string {
	if r := []rune(s); len(r) > 60 {
		return fmt.Sprintf("%q…", string(r[:60]))
	}
	return fmt.Sprintf("%q", s)
}

// canMap reports whether --map "NAME=…" can name column i: the name is
// valid UTF-8 without control characters or "=" (the flag's separator).
// findColumn then finds this very column by its exact name, since
// mapHeader refuses names that repeat (ignoring case).
func canMap(header []string, i int) bool {
	name := strings.TrimSpace(header[i])
	return name != "" && len(name) <= maxMapName && !strings.Contains(name, "=") &&
		utf8.ValidString(name) && strings.IndexFunc(name, unicode.IsControl) < 0
}

// assign maps column i to field f, refusing a second column for f.
func (m *Mapping) assign(i int, f Field) error {
	if j, ok := m.Index[f]; ok {
		fix := "ignore one with --map " + shellQuote(m.Header[i]+"=-")
		if !canMap(m.Header, i) {
			fix = "rename one of them"
		}
		return fmt.Errorf("columns %d (%q) and %d (%q) both map to %s; remove one of them, or %s", j+1, m.Header[j], i+1, m.Header[i], f, fix)
	}
	m.Index[f] = i
	m.Columns[i] = f
	return nil
}

// findColumn finds the column a --map source names: exactly (after
// trimming), else by normalised name when that is unambiguous.
func findColumn(header []string, src string) (int, error) {
	s := strings.TrimSpace(src)
	for i, h := range header {
		if strings.TrimSpace(h) == s {
			return i, nil
		}
	}
	norm := normalizeName(s)
	found := -1
	for i, h := range header {
		if norm != "" && normalizeName(h) == norm {
			if found >= 0 {
				return 0, fmt.Errorf("--map %s: both %q and %q match %q; write the column name exactly", shellQuote(src+"=…"), header[found], h, src)
			}
			found = i
		}
	}
	if found < 0 {
		names := make([]string, 0, maxListed+1)
		named := 0
		for _, h := range header {
			if h != "" {
				if named++; named <= maxListed {
					names = append(names, fmt.Sprintf("%q", h))
				}
			}
		}
		if named > maxListed {
			names = append(names, fmt.Sprintf("and %d more", named-maxListed))
		}
		return 0, fmt.Errorf("--map names the column %q, which the file does not have; its columns are %s", src, strings.Join(names, ", "))
	}
	return found, nil
}

// closestField guesses the field an unknown column was meant for: the
// longest alias of 4 letters or more contained in its name ("Phone 1",
// "Lifetime Value"), else the alias nearest by edit distance, if close
// ("emial"). It never guesses id: mapping a foreign id to the API id
// would update the wrong customers.
func closestField(norm string) Field {
	if norm == "" {
		return ""
	}
	best, bestLen := Field(""), 0
	for _, a := range sortedAliases {
		if f := aliases[a]; f != FieldID && len(a) >= 4 && len(a) > bestLen && strings.Contains(norm, a) {
			best, bestLen = f, len(a)
		}
	}
	if best != "" {
		return best
	}
	limit := 2 // edits allowed
	if len(norm) <= 4 {
		limit = 1
	}
	bestDist := limit + 1
	for _, a := range sortedAliases {
		if f := aliases[a]; f != FieldID && len(a)-len(norm) <= limit && len(norm)-len(a) <= limit {
			if d := EditDistance(norm, a); d < bestDist {
				best, bestDist = f, d
			}
		}
	}
	return best
}

var sortedAliases = func() []string {
	s := make([]string, 0, len(aliases))
	for a := range aliases {
		s = append(s, a)
	}
	sort.Strings(s)
	return s
}()

// EditDistance is the edit distance between a and b by runes, a swap of
// two neighbouring letters counting as one edit (optimal string
// alignment: the typo --stauts is one edit from --status, two from
// --state). Names over 64 runes are never close (a hostile header is not
// compared at quadratic cost). The closest-name suggestions of the header,
// the command line and job files all use it.
func EditDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return 1 << 30
	}
	pprev := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], pprev[j-2]+1)
			}
		}
		pprev, prev, cur = prev, cur, pprev
	}
	return prev[len(rb)]
}
