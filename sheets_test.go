package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"aivabatch/formats"
)

// coverBook writes a workbook whose first sheet, Cover, is empty and
// whose second, Customers, holds a header and two rows; a third, Notes,
// is empty too.
func coverBook(t *testing.T) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	must(t, f.SetSheetName("Sheet1", "Cover"))
	_, err := f.NewSheet("Customers")
	must(t, err)
	_, err = f.NewSheet("Notes")
	must(t, err)
	for i, row := range [][]any{{"name", "email"}, {"Ana", "ana@example.com"}, {"Bo", "bo@example.com"}} {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		must(t, f.SetSheetRow("Customers", cell, &row))
	}
	p := filepath.Join(t.TempDir(), "book.xlsx")
	must(t, f.SaveAs(p))
	return p
}

// TestListSheets: validate --list-sheets prints every sheet with its
// rows, one a line on stdout; an empty first sheet names the sheet that
// holds data and --sheet.
func TestListSheets(t *testing.T) {
	book := coverBook(t)
	io, out, errOut := testIO(nil)
	if code := run(context.Background(), []string{"validate", "--list-sheets", book}, io); code != exitOK {
		t.Fatalf("--list-sheets: exit %d; stderr:\n%s", code, errOut)
	}
	want := "Cover\tempty\nCustomers\t3 rows (a header and 2 data rows)\nNotes\tempty\n"
	if out.String() != want {
		t.Errorf("--list-sheets printed\n%q\nwant\n%q", out, want)
	}

	io, _, errOut = testIO(nil)
	if code := run(context.Background(), []string{"validate", book}, io); code != exitInput {
		t.Fatalf("validate of an empty first sheet: exit %d, want %d", code, exitInput)
	}
	for _, w := range []string{`the first sheet "Cover" is empty`, `sheet "Customers" holds data`, `--sheet "Customers"`} {
		if !strings.Contains(errOut.String(), w) {
			t.Errorf("message lacks %q:\n%s", w, errOut)
		}
	}
	if strings.Contains(errOut.String(), "Notes") {
		t.Errorf("message names the empty sheet Notes:\n%s", errOut)
	}
	io, _, errOut = testIO(nil)
	if code := run(context.Background(), []string{"validate", book, "--sheet", "Customers"}, io); code != exitOK {
		t.Errorf("--sheet Customers: exit %d; stderr:\n%s", code, errOut)
	}
	io, _, errOut = testIO(nil)
	if code := run(context.Background(), []string{"validate", "--list-sheets", "samples/customers.csv"}, io); code != exitInput || !strings.Contains(errOut.String(), "not .xlsx") {
		t.Errorf("--list-sheets of a CSV: exit %d; stderr:\n%s", code, errOut)
	}

	sheets, err := formats.ListSheets(book)
	must(t, err)
	if len(sheets) != 3 || sheets[1] != (formats.SheetInfo{Name: "Customers", Rows: 3}) {
		t.Errorf("ListSheets = %+v", sheets)
	}
}
