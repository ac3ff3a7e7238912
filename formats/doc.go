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
// The XLSX reader is in files by part: xlsxreader.go (the reader, open,
// Next, Close), xlsxworkbook.go (zip, workbook, relationships, date
// styles), xlsxstrings.go (shared strings), xlsxsheetdata.go (the streamed
// <sheetData>: header and rows), xlsxcell.go (a cell's value), and
// xlsxsheets.go (listing sheets, --list-sheets).
//
// Readers pull, writers push. Every reader and writer is used from one
// goroutine at a time: concurrency lives in package batch.
package formats
