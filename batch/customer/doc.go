// Package customer is the customer vocabulary of aivabatch, in one place
// for every pipeline: the canonical fields as the API names them (Field,
// Fields) and the header names taken for them (aliases, English and
// local), mapping an input header onto them (MapHeader, MapReader,
// Mapping, MapOptions) with its checks by name and by content and the
// errors that explain a header (HeaderError, UnknownColumn, Conflict),
// the row rules (Validator, Record, Problem, Action: what a row asks for
// and whether its values are valid; the value maps and rules of
// controls.go, which the Validator applies) with the set that finds a repeated
// email or id (seen.go, spilled to disk past a bound), the text of a cell as import reads it (CellText, the ' text marker),
// and the text of a customer's field as import compares it and export
// writes it (FieldText, Cell, ColumnType).
//
// It also supplies the hooks that package formats asks of its caller
// (KnownColumn, TextColumn), so that the table readers stay free of
// customer fields.
//
// Its messages name the options that fix them (Option: a map, ignoring
// unknown columns, the mode, matching) in words; a caller names them its
// own way through MapOptions.OptionName and ValidatorOptions.OptionName,
// as the command line does with its flags.
//
// It is a subpackage of batch rather than part of it: it imports only
// formats and apiclient (the Customer type), and batch (validate, import,
// export) imports it, so there is no import cycle, and main can use it
// (ParseAction for --mode, EditDistance for flag suggestions) without
// reaching into the pipelines. Formula escaping (formats.EscapeFormula)
// stays with the writers: it is about spreadsheets, whatever the column.
package customer
