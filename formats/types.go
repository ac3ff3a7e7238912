package formats

import "fmt"

// Row is one record read from an input file.
type Row struct {
	// Num is the row number the user sees: the CSV line where the record
	// starts (header = line 1), the XLSX sheet row, the NDJSON line.
	Num int
	// Cells holds the original cell texts, one per header column, in
	// header order, padded with "" to the header width. For NDJSON, strings
	// are given as they are, numbers as their JSON literal, booleans as
	// true/false, null as "" and nested values as compact JSON.
	Cells []string
	// Err is non-nil when the record could not be read as a row (ragged
	// row, oversized cell or row, an NDJSON line that is not an object). It
	// is always a *RowError. Cells then holds what could be recovered.
	Err error
}

// RowError is a problem of one row, optionally of one column of it.
type RowError struct {
	Row   int    // row number as the user sees it
	Field string // column (canonical field or original header); "" for the whole row
	Err   error
}

// Error prints "row 17: email: not a valid address".
func (e *RowError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("row %d: %v", e.Row, e.Err)
	}
	return fmt.Sprintf("row %d: %s: %v", e.Row, e.Field, e.Err)
}

// Unwrap returns the underlying cause.
func (e *RowError) Unwrap() error { return e.Err }

// RowReader yields the rows of one input file. The header is read when
// the reader is built.
type RowReader interface {
	// Header returns the column names as they appear in the file.
	Header() []string
	// Next returns the next row, or io.EOF after the last one. A row that
	// cannot be read as a record comes back with Row.Err set and a nil
	// error; a non-nil error other than io.EOF is fatal (I/O failure).
	Next() (Row, error)
	// Close releases the file and any temporary files.
	Close() error
}

// RowWriter writes rows of cells under the header given when it was built.
type RowWriter interface {
	// Write appends one row; cells are in header order.
	Write(cells []string) error
	// Close flushes everything; the underlying io.Writer is not closed.
	Close() error
}

// Format names.
const (
	FormatCSV    = "csv"
	FormatTSV    = "tsv"
	FormatXLSX   = "xlsx"
	FormatNDJSON = "ndjson"
)

// ReaderOptions configures OpenReader and NewReader.
type ReaderOptions struct {
	// Format is one of the Format* names; "" means from the file extension.
	Format string
	// Sheet is the XLSX sheet to read; "" means the first sheet.
	Sheet string
	// Delimiter forces the CSV delimiter; 0 means sniff it from the header
	// line among , ; tab |.
	Delimiter rune
	// Encoding is "auto" (or ""), "utf-8", "windows-1252" or "latin1".
	Encoding string
	// Progress, when set, is called with the running count of input bytes
	// consumed (CSV, TSV, NDJSON).
	Progress func(bytesRead int64)
	// Warn, when set, receives non-fatal notices (such as the encoding
	// fallback) as one sentence each.
	Warn func(msg string)
	// KnownColumn, when set, reports whether a cell names a column the
	// caller knows. A file or sheet may open with a preamble (a title, an
	// export date) whose lines name no known column: the header is the
	// first line after it with two such cells and more cells than every
	// line before. Without it no preamble is skipped.
	KnownColumn func(name string) bool
	// TextColumn, when set, says what the column of a header name holds
	// when its cells are text a spreadsheet may have stored as numbers,
	// in the plural ("phone numbers"), or "" for any other column. An
	// XLSX column it names that holds a number gets one Warn.
	TextColumn func(name string) string
	// HeaderRow is the CSV/TSV line, or the XLSX sheet row, of the header
	// (--header-row); the lines or rows before it are left out. 0 means
	// the first non-blank line or row, or past a preamble the header
	// KnownColumn finds.
	HeaderRow int
	// FooterRows is how many rows at the end of a CSV/TSV file are a
	// footer, left out (--footer-rows); 0 means one-cell lines after a
	// blank line at the end, and -1 none.
	FooterRows int
	// OptionName, when set, names an option in the readers' errors,
	// row errors and notices (the command line gives its flags,
	// "--format"); without it an option is named in words (its String).
	// A *FormatError names its option in words: its Text takes a name.
	OptionName func(Option) string
}

// Dialect is how a CSV or TSV input is written, so that a file written
// back for the same user (the report) can be written the same way.
type Dialect struct {
	// Delimiter is the input's delimiter.
	Delimiter rune
	// BOM is true when the input began with a UTF-8 byte order mark, or
	// was not UTF-8 (Windows-1252, Latin-1): a UTF-8 file written for it
	// needs a BOM for Excel to read its letters right.
	BOM bool
}

// InputDialect returns the dialect of a CSV or TSV reader returned by
// OpenReader or NewReader, or by MapReader over one; ok is false for the
// other formats.
func InputDialect(r RowReader) (d Dialect, ok bool) {
	switch t := r.(type) {
	case *csvReader:
		return t.dialect, true
	case *peekedReader:
		return InputDialect(t.RowReader)
	}
	return Dialect{}, false
}

// ColumnType tells a typed writer (XLSX) how to store a column's cells.
type ColumnType int

// Column types. A cell that does not parse as its type is written as text.
const (
	ColumnText ColumnType = iota
	ColumnNumber
	ColumnBool
	ColumnTime // RFC 3339 text, stored as a date cell
)

// WriterOptions configures NewWriter.
type WriterOptions struct {
	Format string   // one of the Format* names
	Header []string // column names, written first (CSV, XLSX); NDJSON keys
	// Types gives per-column types for XLSX (and value typing in NDJSON);
	// nil means all text.
	Types []ColumnType
	// EscapeFormulas prefixes with ' the CSV cells a spreadsheet would run
	// as formulas (=, +, -, @, tab, CR; see EscapeFormula), and, in CSV
	// and XLSX, the cells that start with ' themselves, so that import's
	// text-marker rule gives them back.
	EscapeFormulas bool
	// BOM writes a UTF-8 byte order mark first (CSV).
	BOM bool
	// Delimiter is the CSV delimiter; 0 means a comma. TSV is always
	// tab-delimited.
	Delimiter rune
	// Styled adds a bold frozen header row, an autofilter and column widths
	// (XLSX).
	Styled bool
	// Sheet names the first XLSX sheet; the sheets that follow it past
	// Excel's row limit are "Sheet 2", "Sheet 3", …. "" means "Sheet".
	Sheet string
}
