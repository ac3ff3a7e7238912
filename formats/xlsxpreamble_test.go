package formats

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestXLSXPreamble: a title row above the table (an accounting tool's
// "Customer list, exported …", a blank row) is left out with a notice
// naming the header's row, as a CSV preamble is; a first row that names
// no known column but is the header (data below it, as many cells) is
// kept, and the rows read ahead to tell are returned in order, checked
// against the header's width as any row; --header-row still wins.
func TestXLSXPreamble(t *testing.T) {
	open := func(t *testing.T, path string, opts ReaderOptions) (RowReader, *[]string) {
		t.Helper()
		var notes []string
		opts.Warn = func(m string) { notes = append(notes, m) }
		r, err := OpenReader(path, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		return r, &notes
	}

	titled := excelizeBook(t, func(f *excelize.File) {
		f.SetCellValue("Sheet1", "A1", "Customer list, exported 2026-01-01")
		f.SetCellValue("Sheet1", "A2", "Branch: Leeds")
		f.SetSheetRow("Sheet1", "A4", &[]any{"Name", "Email", "Status"})
		f.SetSheetRow("Sheet1", "A5", &[]any{"Ada Lovelace", "ada@example.com", "active"})
		f.SetSheetRow("Sheet1", "A6", &[]any{"Bo Berg", "bo@example.com", "inactive"})
	})
	r, notes := open(t, titled, ReaderOptions{KnownColumn: knownColumn})
	if h := r.Header(); !reflect.DeepEqual(h, []string{"Name", "Email", "Status"}) {
		t.Errorf("header %q", h)
	}
	rows := readAll(t, r)
	if len(rows) != 2 || rows[0].Num != 5 || rows[1].Num != 6 || rows[1].Cells[1] != "bo@example.com" || rows[0].Err != nil {
		t.Errorf("rows %+v", rows)
	}
	if len(*notes) != 1 || !strings.HasPrefix((*notes)[0], `the header of sheet "Sheet1" is on row 4: the rows before it ("Customer list, exported 2026-01-01", …) are not a header and left out; if the header is on another row, give header row N`) {
		t.Errorf("notices %q", *notes)
	}

	// --header-row: as given, no guess.
	r, notes = open(t, titled, ReaderOptions{KnownColumn: knownColumn, HeaderRow: 2})
	if h := r.Header(); !reflect.DeepEqual(h, []string{"Branch: Leeds"}) || len(*notes) != 0 {
		t.Errorf("header row 2: header %q, notices %q", h, *notes)
	}

	// A header naming no known column, 30 rows of data (more than the
	// reader looks ahead), one with a value past the header's columns and
	// one whose extra cell names a column: all are rows, in order.
	plain := excelizeBook(t, func(f *excelize.File) {
		f.SetSheetRow("Sheet1", "A1", &[]any{"Kundennr", "Anrede"})
		for i := 2; i <= 31; i++ {
			f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i), &[]any{i, "Frau"})
		}
		f.SetCellValue("Sheet1", "C3", "email")
	})
	r, notes = open(t, plain, ReaderOptions{KnownColumn: knownColumn})
	if h := r.Header(); !reflect.DeepEqual(h, []string{"Kundennr", "Anrede"}) || len(*notes) != 0 {
		t.Errorf("plain: header %q, notices %q", h, *notes)
	}
	rows = readAll(t, r)
	if len(rows) != 30 {
		t.Fatalf("plain: %d rows, want 30", len(rows))
	}
	for i, row := range rows {
		if row.Num != i+2 || len(row.Cells) != 2 || row.Cells[0] != fmt.Sprint(i+2) || row.Cells[1] != "Frau" {
			t.Errorf("plain: row %d = %+v", i, row)
		}
		if (row.Num == 3) != (row.Err != nil) {
			t.Errorf("plain: row %d error %v (only row 3 has a value past the header)", row.Num, row.Err)
		}
	}
	if rows[1].Err != nil && !strings.Contains(rows[1].Err.Error(), "column C, which has no header") {
		t.Errorf("plain: row 3's problem %v", rows[1].Err)
	}
}
