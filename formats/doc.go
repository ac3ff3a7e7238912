// Package formats is table I/O: it reads and writes tables of text cells
// as CSV, TSV, XLSX and NDJSON, gzipped or not, peeks at a reader's first
// rows (Peek, Peeked) and writes files atomically (CreateAtomic).
//
// It knows no customer field. What a table's columns mean is the business
// of package aivabatch/batch/customer, which maps a header onto the
// customer fields; where a reader needs a decision that involves a column's
// meaning, ReaderOptions carries a hook the caller sets (batch sets them
// from batch/customer):
//
//   - KnownColumn: whether a cell names a known column, so that a CSV or
//     TSV preamble (a title line, an export date) ends at the header;
//   - TextColumn: which columns hold text a spreadsheet may have stored as
//     numbers (phone numbers losing a leading 0 or +), warned about once.
//
// Messages name the reader options that fix them (Option: the format,
// the encoding, the sheet, …) in words; ReaderOptions.OptionName names
// them as the caller does (the command line's flags). A *FormatError,
// returned where no options are given (DetectFormat, ListSheets), names
// its option in words and through its Text.
//
// The XLSX reader is in files by part: xlsxreader.go (the reader, open,
// Next, Close), xlsxworkbook.go (zip, workbook, relationships, date
// styles), xlsxstrings.go (shared strings), xlsxsheetdata.go (the streamed
// <sheetData>: header and rows), xlsxcell.go (a cell's value), and
// xlsxsheets.go (listing sheets, --list-sheets).
//
// Readers pull, writers push. Every reader and writer is used from one
// goroutine at a time: concurrency lives in package batch.
//
// # Reading: the judgment calls
//
// A CSV or NDJSON line over the 1 MiB record limit is a row error and
// reading resumes on the next line, but only if that line ends within
// 16 MiB more; otherwise the input is not line-based text (/dev/zero, a
// binary file) and reading stops with a fatal error naming the line, in
// milliseconds. Binary data with line breaks stops reading once 100 rows
// look binary (NUL or other control characters, or invalid UTF-8, in most
// of their cells; for NDJSON, a line that is no JSON object and holds such
// bytes) with no readable row between them. Rows that are merely
// unreadable text (ragged, not JSON) never stop reading, and a few binary
// rows between good ones are row errors. No byte cap is put on pipes and
// devices: only their content tells garbage.
//
// A bare quote inside an unquoted CSV cell is taken literally; a quoted
// cell that never closes is one row error, and reading resumes on the line
// after the opening quote. Blank rows are skipped (their line numbers
// still count); unnamed trailing header columns are dropped. A leading '
// is removed from every CSV and TSV cell (a spreadsheet's text marker);
// the writers add one more to a value that starts with ', so a CSV export
// reads back as it went out. In XLSX a ' is data (a workbook marks text
// with the quotePrefix style). The report of a CSV/TSV input keeps its
// delimiter and gets a UTF-8 BOM when the input had one or was
// Windows-1252/Latin-1; Excel's "sep=" line is not written, since with it
// Excel ignores the BOM.
//
// The NDJSON header is the union of keys over the whole file (stdin: the
// first 1,000 lines; a later new key is a row error).
//
// # XLSX reading
//
// The sheet's rows are read by our own streaming parser (xlsxreader.go,
// with the bounded token reader of xmllimit.go, which cuts text between
// tags after 1 MiB and fails on any other XML token over 4 MiB); excelize
// opens the workbook's small parts (unzip limits, the cell styles that are
// dates) and is never given the sheet or the shared strings. Rows keep the
// sheet's own number (r="N") even out of order or with gaps; a number used
// twice is a row error. Numbers keep every digit, float noise is rounded
// to 15 significant digits as Excel shows it, date cells read as ISO
// dates, and a formula with no saved result is a row error naming the
// cell. A shared string over 64 KiB is not kept.
//
// Replacing the parser with excelize v2.11.1's Rows and
// Columns(excelize.Options{RawCellValue: true}) was tried (issue 11) and
// measured; it breaks these promises, each covered by a test:
//
//   - no cell types: the number 007 and the text "007" read alike, so do a
//     boolean and the number 1, and a date reads as its serial or in the
//     workbook's display format; the golden reports and the
//     phone-stored-as-number warning need the type;
//   - no row numbers: rows stored out of order come back merged into one
//     row;
//   - a damaged sheet ends silently, where the CLI promises a fatal error
//     naming the row; an invalid shared-string index reads as a blank;
//   - a formula with no saved result reads as a blank; telling it needs
//     GetCellFormula, whose first call parses the whole sheet into memory
//     (1,274 MiB allocated for 100,000 rows);
//   - memory: a 12 MiB cell costs 104 MiB of allocations, so a 900 MiB
//     cell would cost gigabytes; this parser allocates 2.6 MiB for it, and
//     a 900 MiB cell zipped into 919 KB costs 0.45 s and 14 MB instead of
//     22 s and 1.86 GB.
//
// # XLSX writing
//
// The writer (xlsxwriter.go) is excelize's StreamWriter, with SetRow and
// excelize.Cell{StyleID} for the bold header and date cells, SetPanes,
// SetColWidth and AutoFilter; there is no XLSX writing code of our own.
// Two settings make it fit the budget at Excel's 1,048,576 rows: WriteTo
// builds the whole zip in a bytes.Buffer (217 MiB of heap), so the writer
// gives excelize, through SetZipWriter, a zip.Writer on the destination at
// flate.BestSpeed; and the command line raises export's soft memory limit
// from 32 to 64 MiB when it reads or writes XLSX, since the StreamWriter
// keeps up to 16 MiB of XML before it spills to its temporary file (under
// 32 MiB the GC ran without pause: 61.3 s instead of 17.2 s). It is slower
// than the hand-written writer it replaced (about 1,100 lines with a
// parallel deflate: 308,261 rows/s) but within the 50,000 rows/s target.
// More than 1,048,575 data rows continue on a second sheet.
package formats
