package formats

import "fmt"

// Option is a setting of a reader that a message names as its fix
// ("give the format csv"). The package says it in words (String); a
// caller names it its own way through ReaderOptions.OptionName (the
// command line gives its flags, "--format"), so that no flag is spelled
// here.
type Option int

// The options the readers' messages name.
const (
	OptFormat     Option = iota + 1 // the input's format (ReaderOptions.Format), with a value: "csv"
	OptEncoding                     // the text encoding (ReaderOptions.Encoding), with a value: "utf-8"
	OptSheet                        // the XLSX sheet to read (ReaderOptions.Sheet), with a name
	OptHeaderRow                    // the header's line or row (ReaderOptions.HeaderRow), with a number
	OptFooterRows                   // the footer's length (ReaderOptions.FooterRows), with a number
	OptListSheets                   // how to list a workbook's sheets (ListSheets), a whole phrase
)

// String is the option in words.
func (o Option) String() string {
	switch o {
	case OptFormat:
		return "format"
	case OptEncoding:
		return "encoding"
	case OptSheet:
		return "the sheet option"
	case OptHeaderRow:
		return "header row"
	case OptFooterRows:
		return "footer rows"
	case OptListSheets:
		return "ListSheets"
	}
	return fmt.Sprintf("Option(%d)", int(o))
}

// optionName names o in a message as name does (ReaderOptions.OptionName),
// or in words when name is nil. formats, batch/customer and apiclient
// each have this three-line helper over their own Option type: no
// package they all import is a place for options to live in.
func optionName(name func(Option) string, o Option) string {
	if name != nil {
		return name(o)
	}
	return o.String()
}

// FormatProblem is why a file's name, or its content, tells no format
// this package reads.
type FormatProblem int

// The problems of a FormatError.
const (
	FormatNoExtension      FormatProblem = iota + 1 // the name has no extension
	FormatOldXLS                                    // .xls: the old binary workbook
	FormatUnknownExtension                          // an extension of no format (Ext)
	FormatUnknownInGzip                             // a .gz whose inner name is no text format's
	FormatNotWorkbook                               // read as XLSX, it is not a zip archive
)

// FormatError is a file whose format cannot be told from its name
// (DetectFormat), or that is not the workbook its name says
// (FormatNotWorkbook): the fix is to give its format (OptFormat). It is
// returned where no ReaderOptions name the options, so Error names the
// option in words and Text as the caller does.
type FormatError struct {
	Problem FormatProblem
	Path    string // the file; "" for FormatNotWorkbook
	Ext     string // the extension, as written (FormatUnknownExtension)
}

// Error says what is wrong, naming the format option in words.
func (e *FormatError) Error() string { return e.Text(nil) }

// Text is the sentence with the format option named by name (see
// ReaderOptions.OptionName; nil: in words).
func (e *FormatError) Text(name func(Option) string) string {
	format := optionName(name, OptFormat)
	switch e.Problem {
	case FormatNoExtension:
		return fmt.Sprintf("cannot tell the format of %s from its name (it has no extension); give %s csv, tsv, xlsx or ndjson", e.Path, format)
	case FormatOldXLS:
		return fmt.Sprintf("%s is an old .xls workbook, which is not supported; save it as .xlsx (or give %s if it really is another format)", e.Path, format)
	case FormatUnknownInGzip:
		return fmt.Sprintf("cannot tell the format of %s from its name; name it .csv.gz, .tsv.gz, .ndjson.gz or .jsonl.gz, or give %s csv, tsv or ndjson (the format inside the gzip)", e.Path, format)
	case FormatNotWorkbook:
		return fmt.Sprintf("the file is not an XLSX workbook (it is not a zip archive); save it as .xlsx, or give %s csv if it is text", format)
	}
	return fmt.Sprintf("cannot tell the format of %s from its extension %q; give %s csv, tsv, xlsx or ndjson", e.Path, e.Ext, format)
}
