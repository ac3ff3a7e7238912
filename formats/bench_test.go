package formats

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/xuri/excelize/v2"
)

// benchCSV builds n customer rows of CSV, about 130 bytes each.
func benchCSV(n int) []byte {
	var b bytes.Buffer
	b.WriteString("id,firstName,lastName,name,email,phone,status,type,value,autoPayment,notes\n")
	notes := []string{"", "VIP since 2019", `"Referred by ""Ana"""`, `"prefers email, not calls"`}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%d,Chloé,Dubois,Chloé Dubois,chloe.dubois%d@example.com,+1 (555) 845-%04d,active,individual,%d.50,true,%s\n",
			i, i, i%10000, i%5000, notes[i%len(notes)])
	}
	return b.Bytes()
}

// The budget is the whole validate pipeline within 3x of a bare
// encoding/csv loop; compare these two for the reader's share.
func BenchmarkEncodingCSV(b *testing.B) {
	data := benchCSV(100000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r := csv.NewReader(bytes.NewReader(data))
		r.FieldsPerRecord = -1
		for {
			if _, err := r.Read(); errors.Is(err, io.EOF) {
				break
			}
		}
	}
}

func BenchmarkCSVReader(b *testing.B) {
	data := benchCSV(100000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data), ReaderOptions{Format: FormatCSV})
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := r.Next(); errors.Is(err, io.EOF) {
				break
			}
		}
	}
}

// benchXLSX writes n rows as a workbook with this package's writer.
func benchXLSX(b *testing.B, n int) string {
	r, err := NewReader(bytes.NewReader(benchCSV(n)), ReaderOptions{Format: FormatCSV})
	if err != nil {
		b.Fatal(err)
	}
	p := filepath.Join(b.TempDir(), "bench.xlsx")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	types := make([]ColumnType, len(r.Header()))
	types[8], types[9] = ColumnNumber, ColumnBool
	w, err := NewWriter(f, WriterOptions{Format: FormatXLSX, Header: r.Header(), Types: types, Sheet: "Customers"})
	if err != nil {
		b.Fatal(err)
	}
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err := w.Write(row.Cells); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	return p
}

// The budget for XLSX is 1.3x a bare excelize Rows loop.
func BenchmarkExcelizeRows(b *testing.B) {
	p := benchXLSX(b, 20000)
	for b.Loop() {
		f, err := excelize.OpenFile(p)
		if err != nil {
			b.Fatal(err)
		}
		rows, err := f.Rows("Customers")
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
			_, _ = rows.Columns(excelize.Options{RawCellValue: true})
		}
		rows.Close()
		f.Close()
	}
}

func BenchmarkXLSXReader(b *testing.B) {
	p := benchXLSX(b, 20000)
	for b.Loop() {
		r, err := OpenReader(p, ReaderOptions{})
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := r.Next(); errors.Is(err, io.EOF) {
				break
			}
		}
		r.Close()
	}
}
