package customer

// Field is a canonical customer field name, as the API spells it.
type Field string

// Canonical fields: the customer fields of the API, by their JSON names.
const (
	FieldID          Field = "id"
	FieldFirstName   Field = "firstName"
	FieldLastName    Field = "lastName"
	FieldName        Field = "name"
	FieldEmail       Field = "email"
	FieldPhone       Field = "phone"
	FieldStatus      Field = "status"
	FieldType        Field = "type"
	FieldValue       Field = "value"
	FieldAutoPayment Field = "autoPayment"
	FieldNotes       Field = "notes"
	FieldAction      Field = "action"
)

// Fields lists the canonical fields in their usual column order.
var Fields = []Field{
	FieldID, FieldFirstName, FieldLastName, FieldName, FieldEmail, FieldPhone,
	FieldStatus, FieldType, FieldValue, FieldAutoPayment, FieldNotes, FieldAction,
}

// MapOptions configures MapHeader.
type MapOptions struct {
	// Map renames source columns: source header -> canonical field name,
	// or "-" to ignore the column. Source headers are matched exactly
	// first, then case-insensitively ignoring spaces, _ - and .
	Map map[string]string
	// IgnoreUnknown ignores columns that map to no field instead of
	// failing.
	IgnoreUnknown bool
	// Warn, when set, receives non-fatal notices (a column without a name
	// is ignored) as one sentence each.
	Warn func(msg string)
	// OptionName, when set, names an option in the errors (a
	// *HeaderError's fixes, a bad Map) as the caller does (the command
	// line gives its flags, "--map"); without it an option is named in
	// words (its String).
	OptionName func(Option) string
}

// Mapping says which canonical field each input column feeds.
type Mapping struct {
	// Header is the input header as read.
	Header []string
	// Columns[i] is the field of input column i, or "" when the column is
	// ignored (read-only columns such as createdAt, report "_" columns,
	// --map "X=-", --ignore-unknown).
	Columns []Field
	// Index gives the input column of each mapped field.
	Index map[Field]int
	// Ignored lists the headers of ignored columns, for a notice.
	Ignored []string
	// Alternates gives, for a field mapped from a list of columns
	// (--map "PhoneNumber,MobileNumber=phone"), the columns after the
	// first (Index[f]), in order: a row takes the first of them whose
	// cell is not blank.
	Alternates map[Field][]int
}

// columnsOf returns the columns of field f, the first one first.
func (m *Mapping) columnsOf(f Field) []int {
	i, ok := m.Index[f]
	if !ok {
		return nil
	}
	return append([]int{i}, m.Alternates[f]...)
}

// Has reports whether field f is mapped to a column.
func (m *Mapping) Has(f Field) bool {
	_, ok := m.Index[f]
	return ok
}
