package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
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
	t.Parallel()
	book := coverBook(t)
	stdio, out, errOut := testIO(nil)
	if code := run(context.Background(), []string{"validate", "--list-sheets", book}, stdio); code != exitOK {
		t.Fatalf("--list-sheets: exit %d; stderr:\n%s", code, errOut)
	}
	want := "Cover\tempty\nCustomers\t3 rows (a header and 2 data rows)\nNotes\tempty\n"
	if out.String() != want {
		t.Errorf("--list-sheets printed\n%q\nwant\n%q", out, want)
	}

	stdio, _, errOut = testIO(nil)
	if code := run(context.Background(), []string{"validate", book}, stdio); code != exitInput {
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
	stdio, _, errOut = testIO(nil)
	if code := run(context.Background(), []string{"validate", book, "--sheet", "Customers"}, stdio); code != exitOK {
		t.Errorf("--sheet Customers: exit %d; stderr:\n%s", code, errOut)
	}
	stdio, _, errOut = testIO(nil)
	if code := run(context.Background(), []string{"validate", "--list-sheets", "samples/customers.csv"}, stdio); code != exitInput || !strings.Contains(errOut.String(), "not .xlsx") {
		t.Errorf("--list-sheets of a CSV: exit %d; stderr:\n%s", code, errOut)
	}

	sheets, err := formats.ListSheets(book)
	must(t, err)
	if len(sheets) != 3 || sheets[1] != (formats.SheetInfo{Name: "Customers", Rows: 3}) {
		t.Errorf("ListSheets = %+v", sheets)
	}
}

// twoSheetBook writes a workbook whose first sheet, Customers, holds a
// header and two rows, whose second, "Q1 list <EU>", holds a header and
// three more customers, and whose third, Empty, holds nothing.
func twoSheetBook(t *testing.T, dir string) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	must(t, f.SetSheetName("Sheet1", "Customers"))
	for _, s := range []string{"Q1 list <EU>", "Empty"} {
		_, err := f.NewSheet(s)
		must(t, err)
	}
	fill := func(sheet string, rows [][]any) {
		for i, row := range rows {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			must(t, f.SetSheetRow(sheet, cell, &row))
		}
	}
	fill("Customers", [][]any{{"name", "email"}, {"Ana", "ana@example.com"}, {"Bo", "bo@example.com"}})
	fill("Q1 list <EU>", [][]any{{"name", "email"}, {"Cy", "cy@example.com"}, {"Di", "di@example.com"}, {"Eve", "eve@example.com"}})
	p := filepath.Join(dir, "book.xlsx")
	must(t, f.SaveAs(p))
	return p
}

// TestOtherSheetsNotice: without --sheet, a notice on stderr and in the
// summary's warnings names every other sheet that holds data with its
// row count (not the empty one); with --sheet there is none.
func TestOtherSheetsNotice(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	book := twoSheetBook(t, dir)
	sumPath := filepath.Join(dir, "sum.json")
	stdio, _, errOut := testIO(nil)
	if code := run(context.Background(), []string{"validate", book, "--no-progress", "--summary-json", sumPath}, stdio); code != exitOK {
		t.Fatalf("validate: exit %d; stderr:\n%s", code, errOut)
	}
	want := `only the first sheet "Customers" was read; the workbook has another sheet with data: "Q1 list <EU>" (4 rows, the header included); read it with --sheet "Q1 list <EU>"`
	if !strings.Contains(errOut.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, errOut)
	}
	if strings.Contains(errOut.String(), `"Empty"`) {
		t.Errorf("the notice names the empty sheet:\n%s", errOut)
	}
	raw, err := os.ReadFile(sumPath)
	must(t, err)
	var sum struct{ Warnings []string }
	must(t, json.Unmarshal(raw, &sum))
	if len(sum.Warnings) != 1 || !strings.Contains(sum.Warnings[0], want) {
		t.Errorf("summary warnings = %q, want one with %q", sum.Warnings, want)
	}

	stdio, _, errOut = testIO(nil)
	if code := run(context.Background(), []string{"validate", book, "--no-progress", "--sheet", "Q1 list <EU>"}, stdio); code != exitOK {
		t.Fatalf("validate --sheet: exit %d; stderr:\n%s", code, errOut)
	}
	if strings.Contains(errOut.String(), "was read") {
		t.Errorf("--sheet given, yet the other-sheets notice:\n%s", errOut)
	}
}

// TestSheetReportNames: a run with --sheet writes <stem>.<sheet>.report
// (validate: .validate, dry run: .dry-run), the sheet name as the
// workbook spells it and made safe for a file name, so that the reports
// of the two sheets and of the default run are three files, each with
// its own sheet's rows.
func TestSheetReportNames(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	book := twoSheetBook(t, dir)
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	env := map[string]string{"AIVA_API_URL": sb.URL, "AIVA_TOKEN": sandbox.TokenReadWrite}
	runs := []struct {
		args   []string
		report string
		emails []string
	}{
		{[]string{"validate", book}, "book.validate.xlsx", []string{"ana@example.com", "bo@example.com"}},
		{[]string{"validate", book, "--sheet", "q1 LIST <eu>"}, "book.Q1_list__EU_.validate.xlsx", []string{"cy@example.com", "di@example.com", "eve@example.com"}},
		{[]string{"validate", book, "--sheet", "Customers"}, "book.Customers.validate.xlsx", []string{"ana@example.com", "bo@example.com"}},
		{[]string{"import", book, "--sheet", "Q1 list <EU>", "--dry-run"}, "book.Q1_list__EU_.dry-run.xlsx", []string{"cy@example.com", "di@example.com", "eve@example.com"}},
		{[]string{"import", book, "--sheet", "Q1 list <EU>"}, "book.Q1_list__EU_.report.xlsx", []string{"cy@example.com", "di@example.com", "eve@example.com"}},
		{[]string{"import", book, "--sheet", "customers"}, "book.Customers.report.xlsx", []string{"ana@example.com", "bo@example.com"}},
	}
	for _, r := range runs {
		args := append(r.args, "--no-progress")
		if args[0] == "import" {
			args = append(args, "--rate", "0")
		}
		stdio, _, errOut := testIO(env)
		if code := run(context.Background(), args, stdio); code != exitOK {
			t.Fatalf("%q: exit %d; stderr:\n%s", r.args, code, errOut)
		}
		if !strings.Contains(errOut.String(), "report: "+filepath.Join(dir, r.report)) {
			t.Errorf("%q: stderr does not name the report %s:\n%s", r.args, r.report, errOut)
		}
	}
	for _, r := range runs {
		rd, err := formats.OpenReader(filepath.Join(dir, r.report), formats.ReaderOptions{})
		if err != nil {
			t.Fatalf("%s: %v", r.report, err)
		}
		col := slices.Index(rd.Header(), "email")
		var emails []string
		for {
			row, err := rd.Next()
			if err != nil {
				break
			}
			emails = append(emails, row.Cells[col])
		}
		rd.Close()
		if !slices.Equal(emails, r.emails) {
			t.Errorf("%s holds %q, want %q (a report of another sheet replaced it?)", r.report, emails, r.emails)
		}
	}
	if n := len(tenantCustomers(t, sb.URL)); n != 5 {
		t.Errorf("the tenant holds %d customers, want the 5 of both sheets", n)
	}
}

// TestXLSXHeaderRow: --header-row N reads a sheet whose table starts
// below a title and notes: the header is sheet row N, the rows above are
// left out, the data rows keep their sheet numbers; a row past the
// sheet's last row is an error naming both.
func TestXLSXHeaderRow(t *testing.T) {
	t.Parallel()
	f := excelize.NewFile()
	defer f.Close()
	rows := map[string][]any{
		"A1": {"Customer list, Q1"},
		"A3": {"exported 2024-04-01 by Ana", "internal"},
		"A4": {"name", "email"},
		"A5": {"Cy", "cy@example.com"},
		"A6": {"Di", "di@example.com"},
	}
	for cell, row := range rows {
		must(t, f.SetSheetRow("Sheet1", cell, &row))
	}
	dir := t.TempDir()
	book := filepath.Join(dir, "titled.xlsx")
	must(t, f.SaveAs(book))

	stdio, _, errOut := testIO(nil)
	if code := run(context.Background(), []string{"validate", book, "--no-progress"}, stdio); code != exitInput {
		t.Errorf("without --header-row: exit %d, want %d (the title is no header); stderr:\n%s", code, exitInput, errOut)
	}
	report := filepath.Join(dir, "r.csv")
	stdio, _, errOut = testIO(nil)
	if code := run(context.Background(), []string{"validate", book, "--no-progress", "--header-row", "4", "--report", report}, stdio); code != exitOK {
		t.Fatalf("--header-row 4: exit %d; stderr:\n%s", code, errOut)
	}
	data, err := os.ReadFile(report)
	must(t, err)
	want := "_row,_result,_customer_id,_http_status,_error,_changes,name,email\n5,valid,,,,,Cy,cy@example.com\n6,valid,,,,,Di,di@example.com\n"
	if string(data) != want {
		t.Errorf("report:\n%s\nwant:\n%s", data, want)
	}
	stdio, _, errOut = testIO(nil)
	if code := run(context.Background(), []string{"validate", book, "--no-progress", "--header-row", "9"}, stdio); code != exitInput ||
		!strings.Contains(errOut.String(), `--header-row 9: sheet "Sheet1" has no row with a value from row 9 on (its last is row 6)`) {
		t.Errorf("--header-row 9: exit %d; stderr:\n%s", code, errOut)
	}
}
