package batch

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"aivabatch/formats"
)

// TestReportKeepsInputDialect: the report of a CSV input keeps its
// delimiter, and has a BOM when the input had one or was Windows-1252 (so
// that Excel reads it right); reading the report back gives the input's
// cells (SPEC §7).
func TestReportKeepsInputDialect(t *testing.T) {
	tests := []struct {
		name      string
		file      string
		input     []byte
		wantHead  string // the report's first bytes
		wantCells [][]string
	}{
		{
			name:      "semicolons in Windows-1252",
			file:      "in.csv",
			input:     []byte("Full Name;E-mail;Notes\r\nJos\xe9 \xc1lvarez;jose@example.com;\"caf\xe9; cr\xe8me\"\r\nZo\xeb;not-an-email;\x80 5\r\n"),
			wantHead:  "\ufeff_row;_result;_customer_id;_http_status;_error;_changes;Full Name;E-mail;Notes\n",
			wantCells: [][]string{{"José Álvarez", "jose@example.com", "café; crème"}, {"Zoë", "not-an-email", "€ 5"}},
		},
		{
			name:      "UTF-8 with a BOM and pipes",
			file:      "in.csv",
			input:     []byte("\ufeffname|email\nJosé|jose@example.com\n"),
			wantHead:  "\ufeff_row|_result|",
			wantCells: [][]string{{"José", "jose@example.com"}},
		},
		{
			name:      "plain UTF-8 commas",
			file:      "in.csv",
			input:     []byte("name,email\nJosé,jose@example.com\n"),
			wantHead:  "_row,_result,",
			wantCells: [][]string{{"José", "jose@example.com"}},
		},
		{
			name:      "TSV in Windows-1252",
			file:      "in.tsv",
			input:     []byte("name\temail\nJos\xe9\tjose@example.com\n"),
			wantHead:  "\ufeff_row\t_result\t",
			wantCells: [][]string{{"José", "jose@example.com"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, tt.file)
			if err := os.WriteFile(in, tt.input, 0o600); err != nil {
				t.Fatal(err)
			}
			sum, err := Validate(context.Background(), ValidateConfig{InputConfig: InputConfig{Path: in}})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Rows != len(tt.wantCells) {
				t.Fatalf("summary counts %d rows, want %d", sum.Rows, len(tt.wantCells))
			}
			data, err := os.ReadFile(sum.Report)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(data, []byte(tt.wantHead)) {
				t.Fatalf("report starts %q, want %q", data[:min(len(data), 80)], tt.wantHead)
			}
			// Read back with format and encoding detected: the input's
			// columns hold the input's cells.
			r, err := formats.OpenReader(sum.Report, formats.ReaderOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			skip := len(ReportColumns)
			var got [][]string
			for {
				row, err := r.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil || row.Err != nil {
					t.Fatalf("reading the report back: %v %v", err, row.Err)
				}
				got = append(got, row.Cells[skip:])
			}
			if !reflect.DeepEqual(got, tt.wantCells) {
				t.Errorf("report read back = %q, want %q", got, tt.wantCells)
			}
		})
	}
}
