package formats

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// DetectFormat returns the Format* name for path from its extension
// (.csv, .tsv, .xlsx, .ndjson or .jsonl, in any case; .txt is CSV, whose
// delimiter is sniffed: Excel saves "Unicode Text" and "Text (Tab
// delimited)" as .txt, tab-separated, so that such a file reads without
// flags, and a report named after it is written in its dialect). For any other
// extension it returns a *FormatError: the fix is to give the format.
// A .gz after the extension (x.csv.gz) means gzip-compressed: the format
// is the inner one (IsGzip).
func DetectFormat(path string) (string, error) {
	if IsGzip(path) {
		return detectGzip(path)
	}
	ext := strings.ToLower(filepath.Ext(path))
	switch ext {
	case ".csv", ".txt":
		return FormatCSV, nil
	case ".tsv":
		return FormatTSV, nil
	case ".xlsx":
		return FormatXLSX, nil
	case ".ndjson", ".jsonl":
		return FormatNDJSON, nil
	case "":
		return "", &FormatError{Problem: FormatNoExtension, Path: path}
	case ".xls":
		return "", &FormatError{Problem: FormatOldXLS, Path: path}
	}
	return "", &FormatError{Problem: FormatUnknownExtension, Path: path, Ext: ext}
}

// ParseFormat reads a format name as --format gives it (any case; jsonl
// is ndjson; "" stays "", for "from the file's extension"). The one place
// the names are checked.
func ParseFormat(format string) (string, error) {
	switch f := strings.ToLower(strings.TrimSpace(format)); f {
	case "", FormatCSV, FormatTSV, FormatXLSX, FormatNDJSON:
		return f, nil
	case "jsonl":
		return FormatNDJSON, nil
	}
	return "", fmt.Errorf("unknown format %q; use csv, tsv, xlsx or ndjson", format)
}

// OpenReader opens the file at path and reads its header. The format is
// opts.Format, or DetectFormat(path) when that is "". Every error is an
// input problem (unreadable or empty file, unusable header, unknown
// sheet, unknown encoding, …) written as a sentence that says what to do,
// without the program's name. The caller must Close the reader.
//
// Rows: Row.Cells is a fresh slice on every Next, never reused, so the
// caller may keep it; it is padded or cut to the header width. Rows whose
// cells are all blank are skipped. A row that cannot be read as a record
// comes back with Row.Err (a *RowError) and the cells that could be
// recovered; reading goes on with the next row.
//
// Header: cells are trimmed; trailing columns without a name are dropped
// (a blank cell under one is ignored, a non-blank one is a row error); an
// unnamed column in the middle keeps the name "" (MapHeader ignores it).
//
// Text (CSV, TSV, NDJSON) encodings: "auto" reads UTF-8 (a BOM is
// skipped) unless the first 64 KiB are not valid UTF-8, in which case the
// whole file is read as Windows-1252 and opts.Warn says so; "utf-8"
// forces UTF-8, and a record with invalid bytes is a row error whose
// cells carry U+FFFD in their place; "windows-1252" and "latin1" force
// those. UTF-16 with a byte order mark (Excel's "Unicode Text") is
// decoded under "auto" and refused, with a message, under the others. Line ends may be CRLF, LF or
// CR, mixed; inside a quoted cell they read as "\n".
//
// CSV/TSV: the delimiter is opts.Delimiter, else tab for TSV, else an
// Excel "sep=X" first line, else whichever of , ; tab | occurs most
// outside quotes in the header line (comma on a tie). Row.Num is the line
// where the record starts. Quotes inside an unquoted cell are literal.
// Row errors: more or fewer cells than the header (extra blank cells are
// dropped silently), text after a closing quote, a quote that is never
// closed (the record then ends with the quote's line and reading resumes
// on the next line), a cell over 64 KiB, a record over 1 MiB.
//
// XLSX: the first sheet unless opts.Sheet (matched ignoring case); the
// header is the first row with a non-blank cell; Row.Num is the sheet row
// as the sheet numbers it (rows stored out of order keep their numbers; a
// number used twice is a row error).
// Numbers are read raw, so a phone stored as the number 18001234567 keeps
// its digits; whole numbers have no ".0" or exponent, others are rounded
// to Excel's 15 significant digits. Booleans read true/false. Numbers in
// a date or time format read as ISO 8601: 2024-01-15, or
// 2024-01-15T10:30:00 with a time (no zone: the workbook has none). A
// value right of the header's last column is a row error, and so is a
// formula cell with no saved result (files written by openpyxl or
// pandas): reading it as blank would lose its value. A column that
// opts.TextColumn names (phone numbers) stored as numbers gets one
// opts.Warn. The workbook may unpack to 1 GiB at most.
//
// NDJSON: one object per line; the columns are the union of the keys of
// all lines (pre-scanned), in first-seen order; Row.Num is the line.
// Strings read as they are, numbers as their literal, booleans as
// true/false, null as "", arrays and objects as compact JSON. Row errors:
// a line that is not one JSON object, a line over 1 MiB, a cell over
// 64 KiB.
func OpenReader(path string, opts ReaderOptions) (RowReader, error) {
	format := opts.Format
	if format == "" {
		f, err := DetectFormat(path)
		if err != nil {
			return nil, err
		}
		format = f
	}
	format, err := ParseFormat(format)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, openError(path, err)
	} else if fi.IsDir() {
		return nil, fmt.Errorf("%s is a directory; give the path of a file", path)
	}
	if format == FormatXLSX {
		if IsGzip(path) {
			return nil, fmt.Errorf("%s: an XLSX workbook cannot be read gzip-compressed (it is a zip archive already); gunzip it", path)
		}
		return asReader(openXLSX(path, opts, ""))
	}
	f, err := openTextFile(path) // decompresses a .gz
	if err != nil {
		return nil, err
	}
	var r RowReader
	switch {
	case format == FormatNDJSON && !fi.Mode().IsRegular():
		// A device or a pipe (/dev/urandom) may never end: its columns
		// are learnt from a bounded window, as for stdin, never from a
		// scan of the whole input.
		var src *textSource
		if src, err = openText(f, opts, true); err == nil {
			var nr *ndjsonReader
			if nr, err = newNDJSONStream(src); err == nil {
				nr.closer = f
				r = nr
			}
		}
	case format == FormatNDJSON:
		r, err = newNDJSONFile(f, f, opts)
	default:
		var src *textSource
		if src, err = openText(f, opts, true); err == nil {
			r, err = newCSVReader(src, f, opts, format)
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

func openError(path string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s does not exist; check the path", path)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%s cannot be read: permission denied", path)
	}
	return fmt.Errorf("cannot open %s: %v", path, err)
}

// NewReader reads rows from r, typically stdin; opts.Format is required.
// r is not closed by the reader's Close. An XLSX stream is first copied to
// a temporary file (a zip archive cannot be read front to back), which
// Close removes. An NDJSON stream that can seek is pre-scanned like a
// file; otherwise the columns are the keys of the first 1000 lines, and
// a later line with another key is a row error. Errors and Row.Cells are
// as for OpenReader.
func NewReader(r io.Reader, opts ReaderOptions) (RowReader, error) {
	if opts.Format == "" {
		return nil, fmt.Errorf("reading from a stream needs a format; give %s csv, tsv, xlsx or ndjson", optionName(opts.OptionName, OptFormat))
	}
	format, err := ParseFormat(opts.Format)
	if err != nil {
		return nil, err
	}
	switch format {
	case FormatXLSX:
		return spoolXLSX(r, opts)
	case FormatNDJSON:
		if s, ok := r.(io.ReadSeeker); ok {
			if _, err := s.Seek(0, io.SeekCurrent); err == nil {
				return asReader(newNDJSONFile(s, nil, opts))
			}
		}
		src, err := openText(r, opts, true)
		if err != nil {
			return nil, err
		}
		return asReader(newNDJSONStream(src))
	}
	src, err := openText(r, opts, true)
	if err != nil {
		return nil, err
	}
	return asReader(newCSVReader(src, nil, opts, format))
}

// asReader keeps a failed constructor's nil pointer from becoming a
// non-nil RowReader.
func asReader[T RowReader](r T, err error) (RowReader, error) {
	if err != nil {
		return nil, err
	}
	return r, nil
}

// spoolXLSX copies an XLSX stream to a temporary file (mode 0600, it holds
// personal data) and opens it.
func spoolXLSX(r io.Reader, opts ReaderOptions) (RowReader, error) {
	tmp, err := os.CreateTemp("", "aivabatch-*.xlsx")
	if err != nil {
		return nil, fmt.Errorf("cannot make a temporary copy of the workbook: %v", err)
	}
	name := tmp.Name()
	var src io.Reader = io.LimitReader(r, xlsxUnzipLimit+1)
	if opts.Progress != nil {
		src = &countingReader{r: src, progress: opts.Progress}
	}
	n, err := io.Copy(tmp, src)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > xlsxUnzipLimit {
		err = fmt.Errorf("the workbook is larger than %d MiB, the limit", xlsxUnzipLimit>>20)
	} else if err != nil {
		err = fmt.Errorf("cannot make a temporary copy of the workbook: %v", err)
	}
	if err != nil {
		os.Remove(name)
		return nil, err
	}
	return asReader(openXLSX(name, opts, name)) // on failure openXLSX removes the copy
}
