package formats

import (
	"encoding/csv"
	"io"
	"os"
	"testing"

	"github.com/xuri/excelize/v2"
)

func BenchmarkBigEncodingCSV(b *testing.B) {
	for i := 0; i < b.N; i++ {
		f, _ := os.Open("/tmp/big.csv")
		r := csv.NewReader(f)
		r.FieldsPerRecord = -1
		n := 0
		for {
			_, err := r.Read()
			if err == io.EOF {
				break
			}
			n++
		}
		f.Close()
	}
}

func BenchmarkBigOurCSV(b *testing.B) {
	for i := 0; i < b.N; i++ {
		r, err := OpenReader("/tmp/big.csv", ReaderOptions{})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			row, err := r.Next()
			if err == io.EOF {
				break
			}
			if row.Err != nil {
				b.Fatal(row.Err)
			}
			n++
		}
		r.Close()
		if n != 1000000 {
			b.Fatal(n)
		}
	}
}

func TestMakeBigXLSX(t *testing.T) {
	if os.Getenv("MAKEBIG") == "" {
		return
	}
	r, _ := OpenReader("/tmp/big.csv", ReaderOptions{})
	out, _ := os.Create("/tmp/big.xlsx")
	types := []ColumnType{ColumnText, ColumnText, ColumnText, ColumnText, ColumnText, ColumnText, ColumnText, ColumnText, ColumnNumber, ColumnBool, ColumnText}
	w, err := NewWriter(out, WriterOptions{Format: "xlsx", Header: r.Header(), Types: types, Styled: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100000; i++ {
		row, _ := r.Next()
		if err := w.Write(row.Cells); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out.Close()
}

func BenchmarkBigExcelizeRows(b *testing.B) {
	for i := 0; i < b.N; i++ {
		f, err := excelize.OpenFile("/tmp/big.xlsx")
		if err != nil {
			b.Fatal(err)
		}
		rows, _ := f.Rows("Customers")
		n := 0
		for rows.Next() {
			_, _ = rows.Columns(excelize.Options{RawCellValue: true})
			n++
		}
		rows.Close()
		f.Close()
	}
}

func BenchmarkBigOurXLSX(b *testing.B) {
	for i := 0; i < b.N; i++ {
		r, err := OpenReader("/tmp/big.xlsx", ReaderOptions{})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			row, err := r.Next()
			if err == io.EOF {
				break
			}
			if row.Err != nil {
				b.Fatal(row.Err)
			}
			n++
		}
		r.Close()
		if n != 100000 {
			b.Fatal(n)
		}
	}
}
