package customer

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"aivabatch/formats"
)

// normalizeName folds a column name for matching: lower case, without
// spaces, '_', '-' and '.', and without accents (Téléphone, Teléfono and
// Telefone match telephone, telefono, telefone; ß is ss).
func normalizeName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, c := range s {
		switch {
		case c == '_' || c == '-' || c == '.' || unicode.IsSpace(c):
		case c < utf8.RuneSelf:
			b.WriteRune(unicode.ToLower(c))
		case c == 'ß':
			b.WriteString("ss")
		default:
			// An accented letter decomposes into its base letter and
			// combining marks, which are dropped.
			for _, d := range norm.NFD.String(string(unicode.ToLower(c))) {
				if !unicode.Is(unicode.Mn, d) {
					b.WriteRune(d)
				}
			}
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

	// The languages customer files are exported in (Excel and the common
	// CRMs of those locales), written without accents: normalizeName
	// drops them. "Nom", "Nombre" and "Nome" depend on the other columns
	// (localField).
	// German.
	"vorname": FieldFirstName, "rufname": FieldFirstName,
	"nachname": FieldLastName, "familienname": FieldLastName, "zuname": FieldLastName,
	"vollstandigername": FieldName, "vollername": FieldName, "kundenname": FieldName,
	"emailadresse": FieldEmail, "mailadresse": FieldEmail,
	"telefon": FieldPhone, "telefonnummer": FieldPhone, "handy": FieldPhone, "handynummer": FieldPhone,
	"mobil": FieldPhone, "mobilnummer": FieldPhone, "mobiltelefon": FieldPhone, "mobilfunknummer": FieldPhone,
	"notizen": FieldNotes, "notiz": FieldNotes, "bemerkung": FieldNotes, "bemerkungen": FieldNotes,
	"anmerkung": FieldNotes, "anmerkungen": FieldNotes, "kommentar": FieldNotes,
	// French.
	"prenom": FieldFirstName, "nomdefamille": FieldLastName, "nomcomplet": FieldName, "nomduclient": FieldName,
	"courriel": FieldEmail, "adressecourriel": FieldEmail, "adresseemail": FieldEmail, "adressemail": FieldEmail,
	"adresseelectronique": FieldEmail,
	"numerodetelephone":   FieldPhone, "telephoneportable": FieldPhone, "portable": FieldPhone, "telportable": FieldPhone,
	"statut":   FieldStatus,
	"remarque": FieldNotes, "remarques": FieldNotes, "commentaire": FieldNotes, "commentaires": FieldNotes,
	// Spanish.
	"apellido": FieldLastName, "apellidos": FieldLastName, "nombrecompleto": FieldName, "nombredelcliente": FieldName,
	"correo": FieldEmail, "correoelectronico": FieldEmail,
	"telefono": FieldPhone, "numerodetelefono": FieldPhone, "movil": FieldPhone, "telefonomovil": FieldPhone,
	"celular": FieldPhone,
	"notas":   FieldNotes, "nota": FieldNotes, "observaciones": FieldNotes, "comentarios": FieldNotes,
	// Portuguese.
	"sobrenome": FieldLastName, "ultimonome": FieldLastName, "primeironome": FieldFirstName,
	"correioeletronico": FieldEmail, "enderecodeemail": FieldEmail,
	"telefone": FieldPhone, "telemovel": FieldPhone, "numerodetelefone": FieldPhone,
	"observacoes": FieldNotes,
	// Italian.
	"cognome": FieldLastName, "nomecompleto": FieldName,
	"postaelettronica": FieldEmail, "indirizzoemail": FieldEmail,
	"numeroditelefono": FieldPhone, "cellulare": FieldPhone, "telefonocellulare": FieldPhone,
	"commento": FieldNotes, "commenti": FieldNotes,
	// Dutch.
	"voornaam": FieldFirstName, "achternaam": FieldLastName, "naam": FieldName, "volledigenaam": FieldName,
	"emailadres": FieldEmail, "mailadres": FieldEmail,
	"telefoon": FieldPhone, "telefoonnummer": FieldPhone, "mobiel": FieldPhone, "mobielnummer": FieldPhone,
	"mobieletelefoon": FieldPhone, "gsm": FieldPhone,
	"opmerking": FieldNotes, "opmerkingen": FieldNotes, "notities": FieldNotes,
	// Not "Estado" (Spanish, Portuguese) nor "Stato" (Italian): as often
	// a state or a country as a status. "Nom", "Nombre", "Nome": see
	// localField.
	"nom": FieldName, "nombre": FieldName, "nome": FieldName,
}

// localField settles the names whose meaning depends on the other
// columns: French "Nom" is the last name beside a first-name column
// (Prénom) and the full name otherwise; Spanish "Nombre" and Portuguese
// and Italian "Nome" are the first name beside a last-name column
// (Apellidos, Sobrenome, Cognome) and the full name otherwise.
func localField(norm string, f Field, hasFirst, hasLast bool) Field {
	switch norm {
	case "nom":
		if hasFirst {
			return FieldLastName
		}
	case "nombre", "nome":
		if hasLast {
			return FieldFirstName
		}
	}
	return f
}

// readOnlyNames are normalised names of columns that are read but never
// imported: the API sets them.
var readOnlyNames = map[string]bool{"createdat": true, "updatedat": true}

// reportColumns are the report's own columns (_row, _result, ...), matched exactly
// (ignoring case) because "_customer_id" normalises like "Customer Id".
var reportColumns = map[string]bool{
	"_row": true, "_result": true, "_customer_id": true, "_http_status": true, "_error": true, "_changes": true,
}

// CanonicalField returns the field that a column name or a --map target
// means: a canonical field name or one of its aliases ("E-mail",
// "given name", "_id"), matched case-insensitively ignoring spaces, '_',
// '-' and '.'. Read-only names (createdAt, updatedAt), report columns and
// KnownColumn reports whether name names a column of a customer file: a
// field or one of its aliases, a read-only column (createdAt) or a
// report column (_result). It is the CSV and TSV readers'
// ReaderOptions.KnownColumn: a line with such a cell ends a preamble.
func KnownColumn(name string) bool {
	name = strings.TrimSpace(name)
	norm := normalizeName(name)
	_, ok := aliases[norm]
	return ok || readOnlyNames[norm] || reportColumns[strings.ToLower(name)]
}

// TextColumn is the XLSX reader's ReaderOptions.TextColumn: a phone
// column stored as numbers has lost its leading zeros and + ("phone
// numbers"); any other column is "".
func TextColumn(name string) string {
	if f, ok := CanonicalField(name); ok && f == FieldPhone {
		return "phone numbers"
	}
	return ""
}

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

// Conflict is a field that two or more columns can feed: the header
// names them so (Phone and Mobile, PhoneNumber and MobileNumber), or a
// column's name and first cells are close to a field another column holds
// (Email and Secondary Email, Phone 1 and Phone 2). Dropping one would
// lose the values only it has, so the fix offered takes, row by row, the
// first of them that is not blank.
type Conflict struct {
	Field Field
	// Columns are the columns (0-based) in the order the fix takes them:
	// those named as the field (or given by --map) first, in file order.
	Columns []int
	Names   []string // their headers
	// Only[k] is how many of the Peeked rows have a value in Columns[k]
	// and in none of the others.
	Only   []int
	Peeked int
	// Several is how many of the Peeked rows have a value in two or more
	// of the columns, and Differ how many of those have two different
	// values (compared as written, trimmed).
	Several, Differ int
	// Suggest is the --map value that takes the first non-blank of them
	// ("PhoneNumber,MobileNumber=phone"), or "" when a name cannot be
	// given to --map (a control character, "=", ",").
	Suggest string
}

// HeaderError lists every problem of the header at once: fields that
// several columns feed (Conflicts), columns that match no customer field
// (Unknown), and — only beside those, since a file that updates by id
// needs neither — the fields a new customer needs that no column holds
// (Missing). MapHeader returns it; Error() ends with the exact options
// that fix it, named as MapOptions.OptionName names them.
type HeaderError struct {
	Unknown   []UnknownColumn
	Conflicts []Conflict
	Missing   []Field
	// Holders says which column holds a field that an unknown column is
	// closest to but cannot be given (for the message): field -> header.
	Holders map[Field]string
	// names is MapOptions.OptionName.
	names func(Option) string
}

// maxListed caps how many columns and flags a message lists: a header of
// 100,000 columns must not make a message of megabytes.
const maxListed = 20

// Error writes one paragraph per problem: each conflict with how many
// rows have a value in one column only and the map that takes the first
// non-blank, then the unknown columns with the field each is safe to map
// to and copy-pasteable maps (shell-quoted) and ignore unknown, then the
// missing fields. With more than one problem a last line gives every
// option together. Options are named as MapOptions.OptionName names
// them (the command line's --map "Col=field" and --ignore-unknown).
func (e *HeaderError) Error() string {
	var paras, all []string
	mapOpt := optionName(e.names, OptMap)
	for _, c := range e.Conflicts {
		paras = append(paras, c.message(mapOpt))
		if c.Suggest != "" {
			all = append(all, mapOpt+" "+shellQuote(c.Suggest))
		}
	}
	if len(e.Unknown) > 0 {
		msg, maps := e.unknownMessage()
		paras = append(paras, msg)
		all = append(all, maps...)
		all = append(all, optionName(e.names, OptIgnoreUnknown))
	}
	for _, f := range e.Missing {
		switch f {
		case FieldEmail:
			paras = append(paras, fmt.Sprintf(`No column holds email, which a new customer (and %s email) needs; if a column holds it under another name, map it with %s "Column=email".`, optionName(e.names, OptMatch), mapOpt))
		case FieldName:
			paras = append(paras, fmt.Sprintf(`No column holds name (or first and last name), which a new customer needs; if a column holds it under another name, map it with %s "Column=name" (or "Column=firstName" and "Column=lastName").`, mapOpt))
		}
	}
	if len(all) > 0 && (len(paras) > 1 || len(all) > 1) {
		paras = append(paras, "All together: "+strings.Join(all, " "))
	}
	return strings.Join(paras, "\n")
}

// message says which columns feed the field, what the first rows show
// and how to take the first non-blank of them with mapOpt, the map
// option's name.
func (c *Conflict) message(mapOpt string) string {
	var b strings.Builder
	names := make([]string, len(c.Names))
	for k, n := range c.Names {
		names[k] = fmt.Sprintf("%d (%s)", c.Columns[k]+1, formats.QuoteName(n))
	}
	verb := "all hold"
	if len(names) == 2 {
		verb = "both hold"
	}
	fmt.Fprintf(&b, "columns %s %s %s", joinAnd(names), verb, c.Field)
	if c.Peeked > 0 && slices.Max(c.Only) == 0 {
		b.WriteString(": " + c.noneOnly())
	} else if c.Peeked > 0 {
		only := make([]string, len(c.Names))
		for k, n := range c.Names {
			count := "none"
			if c.Only[k] > 0 {
				count = strconv.Itoa(c.Only[k])
			}
			only[k] = fmt.Sprintf("%s only in %s", count, formats.QuoteName(n))
		}
		have := "have"
		if c.Only[0] == 1 {
			have = "has"
		}
		only[0] = strings.Replace(only[0], " only in ", " "+have+" a value only in ", 1)
		fmt.Fprintf(&b, ": of the first %s, %s", formats.Plural(c.Peeked, "row"), joinAnd(only))
	}
	b.WriteString(". ")
	if c.Suggest == "" {
		b.WriteString("Rename them in the file so that " + mapOpt + " can name them, then list them in one " + mapOpt + " \"First,Second=" + string(c.Field) + "\".")
		return b.String()
	}
	fmt.Fprintf(&b, "Take the first that is not blank, in this order, with %s %s (list them the other way round to prefer %s); the report's _changes says which column a value came from.",
		mapOpt, shellQuote(c.Suggest), formats.QuoteName(c.Names[len(c.Names)-1]))
	return b.String()
}

// heldSentence says that unknown column u is closest to a field that the
// column named holder feeds already, and how to take u instead; a field
// of which a row has one value (id, action) is switched over, any other
// is taken from both (the first non-blank), which a name with a comma
// cannot be listed for. mapOpt is the map option's name.
func heldSentence(u UnknownColumn, holder, mapOpt string) string {
	s := fmt.Sprintf("%s is closest to %s, which column %s holds already: ", formats.QuoteName(u.Name), u.Closest, formats.QuoteName(holder))
	switch {
	case u.Closest == FieldID || u.Closest == FieldAction:
		return s + fmt.Sprintf("to read %s from %s instead, give %s %s %s %s.", u.Closest, formats.QuoteName(u.Name),
			mapOpt, shellQuote(u.Name+"="+string(u.Closest)), mapOpt, shellQuote(holder+"=-"))
	case strings.Contains(u.Name, ","):
		return s + fmt.Sprintf("to take the first non-blank of both, rename %s in the file without the comma (in %s \"A,B=%s\" a comma separates the columns) and list both in one %s.", formats.QuoteName(u.Name), mapOpt, u.Closest, mapOpt)
	}
	return s + fmt.Sprintf("to read it from %s instead, give %s %s %s %s.", formats.QuoteName(u.Name),
		mapOpt, shellQuote(u.Name+"="+string(u.Closest)), mapOpt, shellQuote(holder+"=-"))
}

// noneOnly words what the first rows show when no row has a value in
// one of the columns only: whether any row has a value at all, whether
// those that do have it in every column, and whether the values differ
// (then the order of the --map list decides which is kept).
func (c *Conflict) noneOnly() string {
	rows := formats.Plural(c.Peeked, "row")
	if c.Several == 0 {
		if len(c.Names) == 2 {
			return fmt.Sprintf("the first %s have no value in either", rows)
		}
		return fmt.Sprintf("the first %s have no value in any of them", rows)
	}
	var s string
	switch {
	case len(c.Names) > 2:
		s = fmt.Sprintf("of the first %s, none has a value in only one of them", rows)
	case c.Several == c.Peeked && c.Peeked == 1:
		s = "both are filled in the first row"
	case c.Several == c.Peeked:
		s = fmt.Sprintf("both are filled in each of the first %s", rows)
	default:
		s = fmt.Sprintf("of the first %s, the %d with a value in either have one in both", rows, c.Several)
	}
	switch {
	case c.Differ == 0:
		return s + ", with the same value in each"
	case c.Differ == c.Several:
		return s + ", with different values in each"
	}
	return s + fmt.Sprintf(", with different values in %d of them", c.Differ)
}

// joinAnd joins words as "a, b and c".
func joinAnd(words []string) string {
	if len(words) <= 1 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// unknownMessage names the unknown columns (at most maxListed) with the
// field each is safe to map to, then gives the options; it returns the
// maps of a column to a field, for the "All together" line.
func (e *HeaderError) unknownMessage() (string, []string) {
	mapOpt, ignoreUnknown := optionName(e.names, OptMap), optionName(e.names, OptIgnoreUnknown)
	var b strings.Builder
	n := len(e.Unknown)
	if n == 1 {
		b.WriteString("the file has 1 column that matches no customer field: ")
	} else {
		fmt.Fprintf(&b, "the file has %d columns that match no customer field: ", n)
	}
	var maps, ignores, unnameable, held []string
	for i, u := range e.Unknown {
		if h, ok := e.Holders[u.Closest]; ok && u.Closest != "" && strings.HasSuffix(u.Suggest, "=-") && len(held) < maxListed {
			held = append(held, heldSentence(u, h, mapOpt))
		}
		if i < maxListed {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(formats.QuoteName(u.Name))
			switch {
			case u.Closest != "":
				fmt.Fprintf(&b, " (closest: %s)", u.Closest)
			case u.Note != "":
				fmt.Fprintf(&b, " (%s)", u.Note)
			}
		}
		switch {
		case u.Suggest == "":
			unnameable = append(unnameable, fmt.Sprintf("%d (%s)", u.Index+1, formats.QuoteName(u.Name)))
		case strings.HasSuffix(u.Suggest, "=-"):
			ignores = append(ignores, mapOpt+" "+shellQuote(u.Suggest))
		default:
			maps = append(maps, mapOpt+" "+shellQuote(u.Suggest))
		}
	}
	if n > maxListed {
		fmt.Fprintf(&b, " and %d more", n-maxListed)
	}
	b.WriteString(".\n")
	them := "them"
	if len(ignores) == 1 {
		them = "it"
	}
	ignoreList := "ignore " + them + " with " + strings.Join(ignores, " ") + ", "
	switch {
	case len(ignores) == 0:
		ignoreList = ""
	case len(ignores) > maxListed:
		ignoreList = ""
		if len(maps) == 0 {
			ignoreList = fmt.Sprintf("ignore one with %s \"Column=-\" (%d are unknown), ", mapOpt, len(ignores))
		}
	}
	switch {
	case len(maps) > maxListed:
		fmt.Fprintf(&b, "Map them with %s … (%d in all), %sor ignore all of them with %s.", strings.Join(maps[:maxListed], " "), len(maps), ignoreList, ignoreUnknown)
	case len(maps) > 0:
		fmt.Fprintf(&b, "Map them with %s, %sor ignore all of them with %s.", strings.Join(maps, " "), ignoreList, ignoreUnknown)
	case len(held) > 0:
		// Each column close to a field another column holds, with that
		// column's name and the flags that take it instead.
		fmt.Fprintf(&b, "%s Otherwise %sor ignore all unknown columns with %s.", strings.Join(held, " "), ignoreList, ignoreUnknown)
	default:
		fmt.Fprintf(&b, "No column has an obvious match: map one with %s \"Column=field\" (fields: %s), %sor ignore all of them with %s.", mapOpt, validFieldList(), ignoreList, ignoreUnknown)
	}
	if len(maps) > 0 && len(held) > 0 {
		b.WriteString(" " + strings.Join(held, " "))
	}
	if len(unnameable) > 0 {
		col, it := "Column "+unnameable[0]+" has a name", "it"
		if len(unnameable) > 1 {
			if len(unnameable) > maxListed {
				unnameable = append(unnameable[:maxListed], "…")
			}
			col, it = "Columns "+strings.Join(unnameable, ", ")+" have names", "them"
		}
		fmt.Fprintf(&b, " %s that %s cannot be given (a control character, an invalid byte, \"=\", or over %d bytes): rename %s in the file, or use %s.", col, mapOpt, maxMapName, it, ignoreUnknown)
	}
	if len(maps) > maxListed {
		maps = maps[:maxListed]
	}
	return b.String(), maps
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
// normalised, or a list "A,B" of such columns; the target a field, an
// alias, or "-" to ignore), then the report's own "_" columns and
// createdAt/updatedAt (ignored), then field names and aliases (in the
// languages of normalizeName's list; "Nom", "Nombre", "Nome" by
// localField). Columns without a name are ignored. Errors, all input
// problems: a --map source that is no column or a target that is no field
// (listing the valid fields), two columns with the same name (ignoring
// case), two --map flags for one field, and a *HeaderError naming at once
// every field that several columns feed and — unless opts.IgnoreUnknown —
// every unknown column.
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
	mapOpt := optionName(opts.OptionName, OptMap)
	sources := make([]string, 0, len(opts.Map))
	for s := range opts.Map {
		sources = append(sources, s)
	}
	sort.Strings(sources)
	for _, src := range sources {
		target := strings.TrimSpace(opts.Map[src])
		cols, err := findColumns(header, src, mapOpt)
		if err != nil {
			return nil, err
		}
		for _, i := range cols {
			decided[i] = true
		}
		if target == "-" {
			continue
		}
		f, ok := CanonicalField(target)
		if !ok {
			return nil, fmt.Errorf("%s %s: %q is not a customer field; use one of %s, or - to ignore the column", mapOpt, shellQuote(src+"="+opts.Map[src]), target, validFieldList())
		}
		if err := m.assign(cols, f, mapOpt); err != nil {
			return nil, err
		}
	}

	// The API returns both "_id" and "id" with the same value: with both
	// columns (a whole-object NDJSON export), "id" is the one read.
	hasPlainID := false
	hasFirst, hasLast := m.Has(FieldFirstName), m.Has(FieldLastName)
	for i, h := range header {
		if strings.EqualFold(strings.TrimSpace(h), "id") {
			hasPlainID = true
		}
		if !decided[i] {
			switch aliases[normalizeName(h)] {
			case FieldFirstName:
				hasFirst = true
			case FieldLastName:
				hasLast = true
			}
		}
	}
	var (
		unknown []UnknownColumn
		unnamed []string            // column numbers
		named   = map[Field][]int{} // columns named as a field, in file order
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
			f = localField(norm, f, hasFirst, hasLast)
			if note := foreignValues(f, columnValues(sample, i)); note != "" {
				unknown = append(unknown, UnknownColumn{Index: i, Name: h, Note: note})
				continue
			}
			named[f] = append(named[f], i)
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

	// A field named by one column takes it; by more (or by a column and
	// a --map), it is a conflict, never settled by dropping one.
	conflicting := map[Field][]int{}
	for _, f := range Fields {
		cols := named[f]
		switch {
		case len(cols) == 0:
		case len(cols) == 1 && !m.Has(f):
			m.Index[f], m.Columns[cols[0]] = cols[0], f
		default:
			conflicting[f] = append(m.columnsOf(f), cols...)
		}
	}
	if len(unknown) == 0 && len(conflicting) == 0 {
		return m, nil
	}
	he := &HeaderError{names: opts.OptionName}
	if opts.IgnoreUnknown {
		for _, u := range unknown {
			m.Ignored = append(m.Ignored, u.Name)
		}
		if len(conflicting) == 0 {
			return m, nil
		}
		unknown = nil
	}

	// Suggestions for the unknown columns whose names and first cells
	// are close to a field's: the first takes a free field; more columns
	// for one field join a conflict.
	nameBuilt := (m.Has(FieldFirstName) || len(conflicting[FieldFirstName]) > 0) &&
		(m.Has(FieldLastName) || len(conflicting[FieldLastName]) > 0)
	suggested := map[Field]int{} // field -> index in unknown
	var grouped []int            // indexes in unknown that joined a conflict
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
		if u.Closest == FieldName && nameBuilt {
			// The name is built from the first and last name: "Nickname"
			// or a company's "*ContactName" would replace it.
			u.Closest, u.Note = "", "not taken as name, which is built from the first and last name"
			continue
		}
		f := u.Closest
		if f == "" {
			continue
		}
		_, isSuggested := suggested[f]
		switch {
		case !m.Has(f) && len(conflicting[f]) == 0 && !isSuggested:
			u.Suggest = u.Name + "=" + string(f)
			suggested[f] = k
		case f == FieldID || f == FieldAction || !canMapList(header, u.Index):
			// One id, one action: a second column is never a fallback.
		default:
			if len(conflicting[f]) == 0 {
				if isSuggested {
					conflicting[f] = []int{unknown[suggested[f]].Index}
					grouped = append(grouped, suggested[f])
				} else {
					conflicting[f] = m.columnsOf(f)
				}
			}
			conflicting[f] = append(conflicting[f], u.Index)
			grouped = append(grouped, k)
		}
	}
	for _, k := range grouped {
		unknown[k].Index = -1 // listed under its conflict instead
	}
	for _, u := range unknown {
		if u.Index >= 0 {
			he.Unknown = append(he.Unknown, u)
			if u.Closest != "" && strings.HasSuffix(u.Suggest, "=-") {
				if i, ok := m.Index[u.Closest]; ok {
					if he.Holders == nil {
						he.Holders = map[Field]string{}
					}
					he.Holders[u.Closest] = header[i]
				}
			}
		}
	}
	for _, f := range Fields {
		if cols := conflicting[f]; len(cols) > 0 {
			he.Conflicts = append(he.Conflicts, newConflict(header, sample, f, cols))
		}
	}

	// What a new customer needs and nothing will feed.
	feeds := func(f Field) bool {
		_, s := suggested[f]
		return m.Has(f) || len(conflicting[f]) > 0 || s
	}
	if !feeds(FieldEmail) {
		he.Missing = append(he.Missing, FieldEmail)
	}
	if !feeds(FieldName) && !feeds(FieldFirstName) && !feeds(FieldLastName) {
		he.Missing = append(he.Missing, FieldName)
	}
	return nil, he
}

// newConflict describes field f fed by cols, counting in the sample the
// rows that have a value in one of the columns only.
func newConflict(header []string, sample [][]string, f Field, cols []int) Conflict {
	c := Conflict{Field: f, Columns: cols, Only: make([]int, len(cols)), Peeked: len(sample)}
	names := make([]string, len(cols))
	for k, i := range cols {
		names[k] = strings.TrimSpace(header[i])
		c.Names = append(c.Names, header[i])
	}
	for _, cells := range sample {
		only, n, first, differ := -1, 0, "", false
		for k, i := range cols {
			if i >= len(cells) {
				continue
			}
			v := CellText(cells[i])
			if v == "" {
				continue
			}
			if n == 0 {
				first = v
			} else if v != first {
				differ = true
			}
			only, n = k, n+1
		}
		switch {
		case n == 1:
			c.Only[only]++
		case n > 1:
			c.Several++
			if differ {
				c.Differ++
			}
		}
	}
	if canMapList(header, cols...) {
		c.Suggest = strings.Join(names, ",") + "=" + string(f)
	}
	return c
}

// maxMapName is the longest column name a message offers as a --map
// flag; a longer one is no name a user would type.
const maxMapName = 200

// canMap reports whether --map "NAME=…" can name column i: the name is
// valid UTF-8 without control characters or "=" (the flag's separator).
// findColumn then finds this very column by its exact name, since
// mapHeader refuses names that repeat (ignoring case).
func canMap(header []string, i int) bool {
	name := strings.TrimSpace(header[i])
	return name != "" && len(name) <= maxMapName && !strings.Contains(name, "=") &&
		utf8.ValidString(name) && strings.IndexFunc(name, unicode.IsControl) < 0
}

// canMapList reports whether --map "A,B=…" can name the columns: each
// can be named, and none has a comma, the list's separator.
func canMapList(header []string, cols ...int) bool {
	for _, i := range cols {
		if !canMap(header, i) || strings.Contains(header[i], ",") {
			return false
		}
	}
	return true
}

// assign maps the columns of one --map to field f (several: the first
// non-blank of them), refusing a second --map for f; mapOpt is the map
// option's name.
func (m *Mapping) assign(cols []int, f Field, mapOpt string) error {
	if m.Has(f) {
		names := []string{}
		for _, i := range append(m.columnsOf(f), cols...) {
			names = append(names, strings.TrimSpace(m.Header[i]))
		}
		return fmt.Errorf("%s gives %s more than one column (%s); to take the first of them that is not blank, list them in one flag: %s %s", mapOpt, f,
			strings.Join(quoteAll(names), ", "), mapOpt, shellQuote(strings.Join(names, ",")+"="+string(f)))
	}
	m.Index[f] = cols[0]
	for _, i := range cols {
		m.Columns[i] = f
	}
	if len(cols) > 1 {
		if m.Alternates == nil {
			m.Alternates = map[Field][]int{}
		}
		m.Alternates[f] = cols[1:]
	}
	return nil
}

func quoteAll(names []string) []string {
	q := make([]string, len(names))
	for k, n := range names {
		q[k] = formats.QuoteName(n)
	}
	return q
}

// findColumns finds the columns a --map source names: one column
// (findColumn), or, when no column has that name, a list "A,B,C" of
// columns, each found by findColumn. mapOpt is the map option's name.
func findColumns(header []string, src, mapOpt string) ([]int, error) {
	i, err := findColumn(header, src, mapOpt)
	if err == nil || !strings.Contains(src, ",") || !errors.Is(err, errNoSuchColumn) {
		return []int{i}, err
	}
	var cols []int
	for _, part := range strings.Split(src, ",") {
		if strings.TrimSpace(part) == "" {
			return nil, fmt.Errorf("%s %s: the list of columns has an empty name; write %s \"First Column,Second Column=field\"", mapOpt, shellQuote(src+"=…"), mapOpt)
		}
		j, err := findColumn(header, part, mapOpt)
		if err != nil {
			return nil, err
		}
		for _, c := range cols {
			if c == j {
				return nil, fmt.Errorf("%s %s names the column %q twice", mapOpt, shellQuote(src+"=…"), header[j])
			}
		}
		cols = append(cols, j)
	}
	return cols, nil
}

// errNoSuchColumn marks findColumn's error for a name no column has.
var errNoSuchColumn = errors.New("no such column")

// findColumn finds the column a --map source names: exactly (after
// trimming), else by normalised name when that is unambiguous. mapOpt is
// the map option's name.
func findColumn(header []string, src, mapOpt string) (int, error) {
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
				return 0, fmt.Errorf("%s %s: both %q and %q match %q; write the column name exactly", mapOpt, shellQuote(src+"=…"), header[found], h, src)
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
		return 0, fmt.Errorf("%s names the column %q, which the file does not have; its columns are %s%w", mapOpt, strings.TrimSpace(src), strings.Join(names, ", "), silent{errNoSuchColumn})
	}
	return found, nil
}

// silent wraps an error for errors.Is without adding to the message.
type silent struct{ err error }

func (s silent) Error() string { return "" }
func (s silent) Unwrap() error { return s.err }

// closestField guesses the field an unknown column was meant for: the
// longest alias of 4 letters or more contained in its name ("Phone 1",
// "Lifetime Value"), else the alias nearest by edit distance, if close
// ("emial"). It never guesses id: mapping a foreign id to the API id
// would update the wrong customers.
func closestField(norm string) Field {
	f := closestAlias(norm)
	if f == FieldName && notAName(norm) {
		return ""
	}
	return f
}

// notNameWords are parts of column names that hold only part of a name,
// or another name than the customer's legal one: such a column is never
// offered as name ("Nickname" would store Kenji Watanabe as "Ken",
// "Vorname" the first name only).
var notNameWords = []string{"nick", "preferred", "user", "alias", "display", "handle", "screen", "login",
	"first", "given", "fore", "middle", "last", "sur", "family", "maiden", "vor", "nach", "ruf",
	"pren", "apellido", "cognom", "sobrenom", "voor", "achter", "tussen", "short", "pseudo", "spitz"}

func notAName(norm string) bool {
	for _, w := range notNameWords {
		if strings.Contains(norm, w) {
			return true
		}
	}
	return false
}

// closestAlias is closestField without the name check.
func closestAlias(norm string) Field {
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
