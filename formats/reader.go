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
// (.csv, .tsv, .xlsx, .ndjson or .jsonl, in any case). For any other
// extension it returns an error that tells the user to give --format.
func DetectFormat(path string) (string, error) {
	ext := strings.ToLower(filepath.Ext(path))
	switch ext {
	case ".csv":
		return FormatCSV, nil
	case ".tsv":
		return FormatTSV, nil
	case ".xlsx":
		return FormatXLSX, nil
	case ".ndjson", ".jsonl":
		return FormatNDJSON, nil
	case "":
		return "", fmt.Errorf("cannot tell the format of %s from its name (it has no extension); give --format csv, tsv, xlsx or ndjson", path)
	case ".xls":
		return "", fmt.Errorf("%s is an old .xls workbook, which is not supported; save it as .xlsx (or give --format if it really is another format)", path)
	}
	return "", fmt.Errorf("cannot tell the format of %s from its extension %q; give --format csv, tsv, xlsx or ndjson", path, ext)
}

func checkFormat(format string) (string, error) {
	switch f := strings.ToLower(strings.TrimSpace(format)); f {
	case FormatCSV, FormatTSV, FormatXLSX, FormatNDJSON:
		return f, nil
	case "jsonl":
		return FormatNDJSON, nil
	}
	return "", fmt.Errorf("unknown format %q; use csv, tsv, xlsx or ndjson", format)
}

// OpenReader opens the file at path and reads its header. The format is
// opts.Format, or DetectFormat(path) when that is "". Every error is an
// input problem (unreadable file, empty file, unusable header, unknown
// sheet, …) written as a sentence that says what to do. The caller must
// Close the reader.
//
// Rows: Row.Cells is a fresh slice on every Next (never reused), padded
// or cut to the header width.
//
// CSV/TSV: see newCSVReader for the delimiter, and the package notes on
// encodings; blank lines and records whose cells are all blank are
// skipped. XLSX: the first sheet unless opts.Sheet; the header is the
// first row with a non-blank cell; numbers are read raw (a phone stored as
// the number 18001234567 keeps its digits), booleans read true/false, and
// cells styled as dates read as ISO 8601 (2024-01-15, or
// 2024-01-15T10:30:00 with a time). NDJSON: the columns are the union of
// the keys of all lines (pre-scanned), in first-seen order.
func OpenReader(path string, opts ReaderOptions) (RowReader, error) {
	format := opts.Format
	if format == "" {
		f, err := DetectFormat(path)
		if err != nil {
			return nil, err
		}
		format = f
	}
	format, err := checkFormat(format)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(path); err != nil {
		return nil, openError(path, err)
	} else if fi.IsDir() {
		return nil, fmt.Errorf("%s is a directory; give the path of a file", path)
	}
	if format == FormatXLSX {
		return asReader(openXLSX(path, opts, ""))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, openError(path, err)
	}
	var r RowReader
	if format == FormatNDJSON {
		r, err = newNDJSONFile(f, f, opts)
	} else {
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
		return nil, errors.New("reading from a stream needs a format; give --format csv, tsv, xlsx or ndjson")
	}
	format, err := checkFormat(opts.Format)
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
