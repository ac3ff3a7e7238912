package formats

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// XLSX limits. xlsxUnzipLimit is the most a workbook may unpack to (a zip
// bomb fails at open); xlsxSpoolLimit is the part size above which
// excelize spools to a temporary file instead of memory (it is only given
// the small style parts, see excelizeDateStyles). Variables so that tests
// can lower them.
var (
	xlsxUnzipLimit int64 = 1 << 30
	xlsxSpoolLimit int64 = 16 << 20
	// xlsxMaxStrings bounds the shared-strings part we hold in memory.
	xlsxMaxStrings int64 = 256 << 20
)

// xlsxReader streams one worksheet.
//
// excelize opens the workbook's small parts (checking the unzip limits)
// and tells which styles are dates; the rows themselves are read by this
// streaming parser, because excelize v2.11.1's Rows/Columns cannot keep
// what the README promises (measured, see the package doc on
// XLSX reading): it gives no cell types (the number 007 and the text
// "007", a boolean 1 and the number 1 read alike; dates read as serials,
// or in the workbook's display format), no row numbers (rows stored out
// of order are merged into one row), no formula flag, and it ignores XML
// errors (a damaged sheet just ends) and invalid shared-string indexes;
// a 12 MiB cell costs it 104 MiB of allocations, against 2.6 MiB here.
type xlsxReader struct {
	zr       *zip.ReadCloser
	part     io.ReadCloser
	lim      *xmlLimitReader
	dec      *xml.Decoder
	spool    string // temporary copy of a stream, removed on Close
	sheet    string
	sst      []string
	sstLong  map[int]error // shared strings over the cell limit, by index
	dateFmt  []bool        // by cell style index
	date1904 bool

	header []string
	width  int
	rowNum int
	// headerRow is --header-row: the sheet row that holds the header (the
	// rows before it are left out); 0 means the first non-blank row.
	headerRow int
	// numberWarn[i] is what column i holds (ReaderOptions.TextColumn,
	// "phone numbers") while it has not been warned about numbers; warn
	// is ReaderOptions.Warn.
	numberWarn []string
	warn       func(string)
	textColumn func(string) string
	// knownColumn is ReaderOptions.KnownColumn: a row with a cell it
	// knows ends a preamble (readHeader).
	knownColumn func(string) bool
	// held are the rows read ahead of the header's row to look for a
	// preamble that turned out to be data: Next returns them first.
	held  []heldRow
	names func(Option) string // ReaderOptions.OptionName
	// rowSeen has a bit per sheet row number read, to tell a row number
	// used twice (128 KiB for Excel's 1048576 rows).
	rowSeen []uint64

	// Per row, while reading it.
	cells   []string
	problem *RowError
	blank   bool
	text    []byte
}

// openXLSX opens the workbook at p. spool, when not "", is a temporary
// file that Close (or a failed open) removes.
func openXLSX(p string, opts ReaderOptions, spool string) (_ *xlsxReader, err error) {
	r := &xlsxReader{spool: spool, warn: opts.Warn, textColumn: opts.TextColumn, knownColumn: opts.KnownColumn, headerRow: opts.HeaderRow, names: opts.OptionName}
	defer func() {
		if err != nil {
			r.Close()
		}
	}()
	r.zr, err = zip.OpenReader(p)
	if err != nil {
		return nil, notWorkbookError(p, err)
	}
	var total uint64
	for _, f := range r.zr.File {
		total += f.UncompressedSize64
		if total > uint64(xlsxUnzipLimit) {
			return nil, fmt.Errorf("the workbook unpacks to more than %d MiB, the limit (it may be a zip bomb); split it into smaller files or save the sheet as CSV", xlsxUnzipLimit>>20)
		}
	}
	if r.dateFmt, err = excelizeDateStyles(r.zr); err != nil {
		return nil, err
	}
	wb, err := readWorkbook(r.zr)
	if err != nil {
		return nil, err
	}
	r.date1904 = wb.date1904
	var sh *wbSheet
	for i := range wb.sheets {
		if opts.Sheet == "" || strings.EqualFold(wb.sheets[i].name, strings.TrimSpace(opts.Sheet)) {
			sh = &wb.sheets[i]
			break
		}
	}
	if sh == nil {
		names := make([]string, len(wb.sheets))
		for i, s := range wb.sheets {
			names[i] = strconv.Quote(s.name)
		}
		if opts.Sheet == "" {
			return nil, errors.New("the workbook has no sheets")
		}
		return nil, fmt.Errorf("the workbook has no sheet named %q; its sheets are %s; give one of them with %s", opts.Sheet, strings.Join(names, ", "), optionName(opts.OptionName, OptSheet))
	}
	r.sheet = sh.name
	if !sh.worksheet {
		return nil, fmt.Errorf("sheet %q is a chart, not a table of cells; give another sheet with %s", sh.name, optionName(opts.OptionName, OptSheet))
	}
	if wb.sst != "" {
		if r.sst, r.sstLong, err = readSharedStrings(r.zr, wb.sst); err != nil {
			return nil, err
		}
	}
	zf := zipFile(r.zr, sh.path)
	if zf == nil {
		return nil, fmt.Errorf("the workbook is damaged: sheet %q has no data part; open and save it again in a spreadsheet program", sh.name)
	}
	if r.part, err = zf.Open(); err != nil {
		return nil, fmt.Errorf("the workbook is damaged: %v", err)
	}
	r.lim = newXMLLimitReader(r.part)
	r.dec = xml.NewDecoder(r.lim)
	if err := r.seekSheetData(); err != nil {
		return nil, err
	}
	if err := r.readHeader(); err != nil {
		if errors.Is(err, errEmptySheet) && opts.Sheet == "" {
			return nil, r.emptyFirstSheet(wb, err)
		}
		return nil, err
	}
	if opts.Sheet == "" && r.warn != nil {
		if msg := r.otherSheetsNotice(wb); msg != "" {
			r.warn(msg)
		}
	}
	return r, nil
}

func notWorkbookError(p string, err error) error {
	if f, oerr := os.Open(p); oerr == nil {
		head := make([]byte, 8)
		n, _ := io.ReadFull(f, head)
		f.Close()
		if bytes.Equal(head[:n], []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}) {
			return errors.New("the file is a password-protected workbook or an old .xls file; save it as .xlsx without a password")
		}
	}
	if errors.Is(err, zip.ErrFormat) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return &FormatError{Problem: FormatNotWorkbook}
	}
	return fmt.Errorf("cannot open the workbook: %v", err)
}

// Header returns the trimmed header row. Trailing unnamed columns are
// dropped; an unnamed column in the middle keeps the name "".
func (r *xlsxReader) Header() []string { return r.header }

// Next returns the next row with a non-blank cell. Row.Cells is a fresh
// slice for every row.
func (r *xlsxReader) Next() (Row, error) {
	if len(r.held) > 0 {
		h := r.held[0]
		r.held = r.held[1:]
		return r.replay(h), nil
	}
	for {
		if r.cells == nil {
			r.cells = make([]string, r.width)
		} else {
			clear(r.cells)
		}
		num, err := r.readRow()
		if err != nil {
			return Row{}, err
		}
		if r.blank && r.problem == nil {
			continue
		}
		row := Row{Num: num, Cells: r.cells}
		if r.problem != nil {
			row.Err = r.problem
		}
		r.cells = nil
		return row, nil
	}
}

// Close releases the workbook and removes a spooled copy of a stream.
func (r *xlsxReader) Close() error {
	var err error
	if r.part != nil {
		err = r.part.Close()
		r.part = nil
	}
	if r.zr != nil {
		if cerr := r.zr.Close(); err == nil {
			err = cerr
		}
		r.zr = nil
	}
	if r.spool != "" {
		if rerr := os.Remove(r.spool); err == nil && !errors.Is(rerr, os.ErrNotExist) {
			err = rerr
		}
		r.spool = ""
	}
	return err
}
