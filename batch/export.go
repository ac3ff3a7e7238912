package batch

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"aivabatch/apiclient"
	"aivabatch/formats"
)

// DefaultExportColumns are the columns of an export without --columns.
var DefaultExportColumns = []string{"id", "firstName", "lastName", "name", "email", "phone", "status", "type", "value", "autoPayment", "notes", "createdAt", "updatedAt"}

// ResultExported counts the customers an export wrote.
const ResultExported Result = "exported"

// ExportConfig configures Export.
type ExportConfig struct {
	Client *apiclient.Client
	// Output is the file to write, or "-" (or "") for Stdout.
	Output string
	Stdout io.Writer
	// Format is csv, tsv, xlsx or ndjson; "" means from Output's
	// extension, csv for stdout.
	Format string
	// Columns selects and orders the columns; nil means
	// DefaultExportColumns (and, for NDJSON, whole objects).
	Columns []string
	// Filters: customers whose status / type is one of these
	// (case-insensitive), created / updated at or after these times.
	Status, Types              []string
	CreatedSince, UpdatedSince time.Time
	// EscapeFormulas prefixes CSV cells a spreadsheet would run (SPEC §9).
	EscapeFormulas bool
	// BOM starts a CSV with a UTF-8 byte order mark (for Excel).
	BOM bool
	// OnRow is called after each customer written.
	OnRow func(n int)
}

// Export lists the customers as a stream and writes those that pass the
// filters. A file is written to a temporary file beside it and renamed
// into place only when everything succeeded: on any error (API, dropped
// connection mid-list, disk, ctx cancelled) the previous file is left as
// it was and no temporary file remains.
func Export(ctx context.Context, cfg ExportConfig) (*Summary, error) {
	start := time.Now()
	sum := newSummary("export")
	toStdout := cfg.Output == "" || cfg.Output == "-"
	format := strings.ToLower(cfg.Format)
	if format == "" {
		if toStdout {
			format = formats.FormatCSV
		} else {
			f, err := formats.DetectFormat(cfg.Output)
			if err != nil {
				return nil, &InputError{Err: err}
			}
			format = f
		}
	}
	cols := cfg.Columns
	whole := format == formats.FormatNDJSON && len(cols) == 0
	if len(cols) == 0 {
		cols = DefaultExportColumns
	}
	types := make([]formats.ColumnType, len(cols))
	for i, c := range cols {
		switch c {
		case "value":
			types[i] = formats.ColumnNumber
		case "autoPayment":
			types[i] = formats.ColumnBool
		case "createdAt", "updatedAt":
			types[i] = formats.ColumnTime
		}
	}
	f := newFilter(&cfg)

	var (
		out    io.Writer
		atomic *formats.AtomicFile
	)
	if toStdout {
		out = cfg.Stdout
		sum.Output = "stdout"
	} else {
		af, err := formats.CreateAtomic(cfg.Output)
		if err != nil {
			return nil, &InputError{Err: fmt.Errorf("cannot write %s: %w", cfg.Output, err)}
		}
		defer af.Abort()
		atomic, out = af, af
		sum.Output = cfg.Output
	}
	bw := bufio.NewWriterSize(out, 256<<10)

	var w formats.RowWriter
	if !whole {
		var err error
		w, err = formats.NewWriter(bw, formats.WriterOptions{Format: format, Header: cols, Types: types,
			EscapeFormulas: cfg.EscapeFormulas, BOM: cfg.BOM, Styled: true})
		if err != nil {
			return nil, &InputError{Err: err}
		}
	}
	cells := make([]string, len(cols))
	for c, err := range cfg.Client.ListCustomers(ctx) {
		if err != nil {
			sum.finish(start)
			if ctx.Err() != nil {
				return sum, ctx.Err()
			}
			return sum, &AbortedError{Reason: fmt.Sprintf("listing customers failed after %d were written, so %s was not changed: %v", sum.Rows, outputName(cfg.Output), err)}
		}
		if !f.keep(&c) {
			continue
		}
		if whole {
			raw := c.Raw
			if len(raw) == 0 {
				b, err := json.Marshal(c)
				if err != nil {
					return sum, err
				}
				raw = b
			}
			if err := writeCompactLine(bw, raw); err != nil {
				return sum, fmt.Errorf("writing %s: %w", outputName(cfg.Output), err)
			}
		} else {
			for i, col := range cols {
				cells[i] = customerCell(&c, col)
			}
			if err := w.Write(cells); err != nil {
				return sum, fmt.Errorf("writing %s: %w", outputName(cfg.Output), err)
			}
		}
		sum.Rows++
		sum.Counts[ResultExported]++
		if cfg.OnRow != nil {
			cfg.OnRow(sum.Rows)
		}
	}
	if w != nil {
		if err := w.Close(); err != nil {
			return sum, fmt.Errorf("writing %s: %w", outputName(cfg.Output), err)
		}
	}
	if err := bw.Flush(); err != nil {
		return sum, fmt.Errorf("writing %s: %w", outputName(cfg.Output), err)
	}
	if atomic != nil {
		if err := atomic.Commit(); err != nil {
			return sum, fmt.Errorf("writing %s: %w", cfg.Output, err)
		}
	}
	if sum.Rows == 0 {
		sum.Counts[ResultExported] = 0
	}
	if f.badTimes > 0 {
		sum.Warnings = append(sum.Warnings, fmt.Sprintf("%d customers had a timestamp that is not RFC 3339 and were left out by the date filter", f.badTimes))
	}
	sum.finish(start)
	return sum, nil
}

func outputName(p string) string {
	if p == "" || p == "-" {
		return "stdout"
	}
	return p
}

// writeCompactLine writes one JSON value on one line.
func writeCompactLine(w *bufio.Writer, raw []byte) error {
	if bytes.ContainsAny(raw, "\n\r") {
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			return err
		}
		raw = b.Bytes()
	}
	if _, err := w.Write(raw); err != nil {
		return err
	}
	return w.WriteByte('\n')
}

// customerCell renders one column of a customer as text.
func customerCell(c *apiclient.Customer, col string) string {
	switch col {
	case "id", "_id":
		return c.ID
	case "firstName":
		return c.FirstName
	case "lastName":
		return c.LastName
	case "name":
		return c.Name
	case "email":
		return c.Email
	case "phone":
		return c.Phone
	case "status":
		return c.Status
	case "type":
		return c.Type
	case "value":
		return strconv.FormatFloat(c.Value, 'f', -1, 64)
	case "autoPayment":
		return strconv.FormatBool(c.AutoPayment)
	case "notes":
		return c.Notes
	case "createdAt":
		return c.CreatedAt
	case "updatedAt":
		return c.UpdatedAt
	}
	raw, ok := c.Extra[col]
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	if string(raw) == "null" {
		return ""
	}
	return string(raw)
}

// ExportColumnKnown reports whether col is a column Export knows by name
// (other names are looked up among the fields the API returned).
func ExportColumnKnown(col string) bool {
	for _, c := range DefaultExportColumns {
		if c == col {
			return true
		}
	}
	return col == "_id"
}

type filter struct {
	status, types    map[string]bool
	created, updated time.Time
	badTimes         int
}

func newFilter(cfg *ExportConfig) *filter {
	f := &filter{created: cfg.CreatedSince, updated: cfg.UpdatedSince}
	set := func(v []string) map[string]bool {
		if len(v) == 0 {
			return nil
		}
		m := make(map[string]bool, len(v))
		for _, s := range v {
			m[strings.ToLower(strings.TrimSpace(s))] = true
		}
		return m
	}
	f.status, f.types = set(cfg.Status), set(cfg.Types)
	return f
}

func (f *filter) keep(c *apiclient.Customer) bool {
	if f.status != nil && !f.status[strings.ToLower(c.Status)] {
		return false
	}
	if f.types != nil && !f.types[strings.ToLower(c.Type)] {
		return false
	}
	if !f.after(c.CreatedAt, f.created) || !f.after(c.UpdatedAt, f.updated) {
		return false
	}
	return true
}

func (f *filter) after(ts string, since time.Time) bool {
	if since.IsZero() {
		return true
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		f.badTimes++
		return false
	}
	return !t.Before(since)
}
