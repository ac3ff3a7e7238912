package batch

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"aivabatch/apiclient"
	"aivabatch/batch/customer"
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
	// EscapeFormulas prefixes CSV cells a spreadsheet would run (EscapeFormula).
	EscapeFormulas bool
	// BOM starts a CSV with a UTF-8 byte order mark (for Excel).
	BOM bool
	// OnRow is called after each customer written.
	OnRow func(n int)
	// State, when set, makes the export incremental (--state): only
	// customers updated after the watermark in that file are exported (all
	// when it does not exist), and the new watermark, the largest
	// updatedAt exported, is written there only after the output is in
	// place. A lock file beside it (LockPath) keeps a second export on the
	// same state out. Full ignores the watermark for this run, and still
	// writes the new one.
	State string
	Full  bool

	state  *exportState // read by Export
	direct bool         // Output is a device or a named pipe: written in place
}

// Export lists the customers as a stream and writes those that pass the
// filters. A file is written to a temporary file beside it and renamed
// into place only when everything succeeded: on any error (API, dropped
// connection mid-list, disk, ctx cancelled) the previous file is left as
// it was and no temporary file remains.
//
// A list that breaks off part way (a dropped connection) is listed once
// more from the start when the output is a file, as any connection error
// is retried; on stdout the rows already written cannot be taken back.
func Export(ctx context.Context, cfg ExportConfig) (*Summary, error) {
	start := time.Now()
	if cfg.Output != "" && cfg.Output != "-" {
		cfg.direct = isDirect(cfg.Output)
		if err := checkOutput(NamedPath{Name: "the output file", Path: cfg.Output, Option: OptOutput}, true); err != nil {
			return nil, err
		}
	}
	if cfg.State != "" {
		unlock, err := lockState(cfg.State)
		if err != nil {
			return nil, err
		}
		defer unlock()
		cfg.state = &exportState{}
		if !cfg.Full {
			if cfg.state, err = readExportState(cfg.State); err != nil {
				return nil, &InputError{Err: err}
			}
		}
	}
	return exportRetry(ctx, cfg, start)
}

// exportRetry is Export after the state is read: one attempt, and a
// second when the list broke off and the output can be written again.
func exportRetry(ctx context.Context, cfg ExportConfig, start time.Time) (*Summary, error) {
	sum, err, lerr := exportOnce(ctx, cfg, start)
	toStdout := cfg.Output == "" || cfg.Output == "-"
	// Rows written to stdout, a device or a pipe cannot be taken back.
	if lerr != nil && errors.Is(lerr, apiclient.ErrTransport) && !toStdout && !cfg.direct && ctx.Err() == nil {
		n := sum.Rows
		sum, err, _ = exportOnce(ctx, cfg, start)
		if sum != nil {
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("the customer list broke off after %d customers (%v); it was listed again from the start", n, lerr))
		}
	}
	return sum, err
}

// exportOnce is one attempt of Export; lerr is the list's error, if any.
func exportOnce(ctx context.Context, cfg ExportConfig, start time.Time) (*Summary, error, error) {
	sum := newSummary(CommandExport)
	toStdout := cfg.Output == "" || cfg.Output == "-"
	format := strings.ToLower(cfg.Format)
	if format == "" {
		if toStdout {
			format = formats.FormatCSV
		} else {
			f, err := formats.DetectFormat(cfg.Output)
			switch {
			case err != nil && cfg.direct:
				f = formats.FormatCSV // /dev/null, a pipe: as stdout
			case err != nil:
				return nil, &InputError{Err: err}, nil
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
		types[i] = customer.ColumnType(c)
	}
	f := newFilter(&cfg)

	var (
		out    io.Writer
		atomic *formats.AtomicFile
	)
	switch {
	case toStdout:
		out = cfg.Stdout
		sum.Output = "stdout"
	case cfg.direct:
		// A device or a named pipe: written in place, never renamed over.
		f, err := openDirect(cfg.Output)
		if err != nil {
			return nil, err, nil
		}
		defer f.Close()
		// A write blocked on a pipe whose reader stopped reading ends
		// when the run does.
		defer context.AfterFunc(ctx, func() { f.SetWriteDeadline(time.Now()) })()
		out = f
		sum.Output = cfg.Output
	default:
		af, err := formats.CreateAtomic(cfg.Output)
		if err != nil {
			return nil, &InputError{Err: fmt.Errorf("cannot write %s: %w", cfg.Output, err)}, nil
		}
		defer af.Abort()
		atomic, out = af, af
		sum.Output = cfg.Output
	}
	var gzEnd func() error
	out, gzEnd = formats.Compress(outputName(cfg.Output), out) // -o x.csv.gz
	bw := bufio.NewWriterSize(out, 256<<10)

	var w formats.RowWriter
	if !whole {
		var err error
		w, err = formats.NewWriter(bw, formats.WriterOptions{Format: format, Header: cols, Types: types,
			EscapeFormulas: cfg.EscapeFormulas, BOM: cfg.BOM, Styled: true, Sheet: "Customers"})
		if err != nil {
			return nil, &InputError{Err: err}, nil
		}
	}
	// The list is read and decoded on one goroutine and written on this
	// one, a batch at a time, so that the two costs overlap on two cores
	// (a bounded channel, sends that watch ctx, the producer's error
	// returned after the batches it sent).
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p := &exportProducer{client: cfg.Client, filter: f, whole: whole, free: make(chan *exportBatch, exportQueue+2)}
	batches := make(chan *exportBatch, exportQueue)
	g, gctx := errgroup.WithContext(pctx)
	g.Go(func() error {
		defer close(batches)
		return p.produce(gctx, batches)
	})
	werr := writeBatches(batches, p.free, bw, w, cols, sum, cfg.OnRow)
	if werr != nil {
		cancel()
		for range batches { // the producer sees the cancellation at its next send
		}
	}
	lerr := g.Wait()
	if werr != nil {
		return sum, fmt.Errorf("writing %s: %w", outputName(cfg.Output), werr), nil
	}
	if lerr != nil {
		sum.finish(start)
		if ctx.Err() != nil {
			return sum, ctx.Err(), lerr
		}
		return sum, &AbortedError{Reason: fmt.Sprintf("listing customers failed after %d were written, so %s was not changed: %v", sum.Rows, outputName(cfg.Output), lerr)}, lerr
	}
	if w != nil {
		if err := w.Close(); err != nil {
			return sum, fmt.Errorf("writing %s: %w", outputName(cfg.Output), err), nil
		}
	}
	if err := bw.Flush(); err != nil {
		return sum, fmt.Errorf("writing %s: %w", outputName(cfg.Output), err), nil
	}
	if err := gzEnd(); err != nil {
		return sum, fmt.Errorf("writing %s: %w", outputName(cfg.Output), err), nil
	}
	if atomic != nil {
		if err := atomic.Commit(); err != nil {
			return sum, fmt.Errorf("writing %s: %w", cfg.Output, err), nil
		}
	}
	if f.mark != nil {
		// Only now, with the output in place, may the watermark move.
		if err := f.mark.state(sum.Rows).write(cfg.State); err != nil {
			sum.finish(start)
			return sum, fmt.Errorf("%s was written, but the state %s could not be updated (%w): the next run exports these customers again", outputName(cfg.Output), cfg.State, err), nil
		}
	}
	if sum.Rows == 0 {
		sum.Counts[ResultExported] = 0
	}
	if f.badTimes > 0 {
		sum.Warnings = append(sum.Warnings, fmt.Sprintf("%d customers had a timestamp that is not RFC 3339 and were left out by the date filter", f.badTimes))
	}
	sum.finish(start)
	return sum, nil, nil
}

// openDirect opens a device or a named pipe for writing without waiting
// for it: a pipe that no process reads is refused at once (O_NONBLOCK;
// the writes then wait in Go's poller, which a deadline can end).
func openDirect(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0)
	if errors.Is(err, syscall.ENXIO) {
		return nil, inputErr("%s is a named pipe that no process reads from; start its reader first", path)
	}
	if err != nil {
		return nil, inputErr("cannot write %s: %v", path, err)
	}
	return f, nil
}

// Export's pipeline: a batch holds up to exportBatchRows customers (or
// exportBatchBytes of NDJSON lines); at most exportQueue batches wait
// between the goroutines, so memory stays flat whatever the list's length.
const (
	exportBatchRows  = 64
	exportBatchBytes = 32 << 10
	exportQueue      = 4
)

// exportBatch is the unit passed from the producer to the writer: the
// customers to write as rows, or (whole-object NDJSON) their lines.
type exportBatch struct {
	rows  []apiclient.Customer
	lines []byte // one compact JSON object per line
	n     int    // customers in lines
}

// exportProducer lists the customers and sends those that pass the
// filter in batches. Batches come back through free to be reused.
type exportProducer struct {
	client *apiclient.Client
	filter *filter
	whole  bool
	free   chan *exportBatch
}

func (p *exportProducer) batch() *exportBatch {
	select {
	case b := <-p.free:
		return b
	default:
		return &exportBatch{rows: make([]apiclient.Customer, 0, exportBatchRows)}
	}
}

// produce sends the batches to out until the list ends. It returns the
// list's error, or ctx's when ctx ends first; the batches sent before an
// error hold every customer listed before it.
func (p *exportProducer) produce(ctx context.Context, out chan<- *exportBatch) error {
	b := p.batch()
	send := func() error {
		select {
		case out <- b:
			b = p.batch()
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if p.whole {
		// NDJSON of whole objects needs the objects as sent, and their
		// fields only to filter.
		for raw, err := range p.client.ListRaw(ctx) {
			if err != nil {
				return err
			}
			if p.filter.active() {
				var c apiclient.Customer
				if err := c.UnmarshalJSON(raw); err != nil {
					return err
				}
				if !p.filter.keep(&c) {
					continue
				}
			}
			b.lines = appendCompactLine(b.lines, raw)
			if b.n++; b.n == exportBatchRows || len(b.lines) >= exportBatchBytes {
				if err := send(); err != nil {
					return err
				}
			}
		}
	} else {
		for c, err := range p.client.ListCustomers(ctx) {
			if err != nil {
				return err
			}
			if !p.filter.keep(&c) {
				continue
			}
			if b.rows = append(b.rows, c); len(b.rows) == exportBatchRows {
				if err := send(); err != nil {
					return err
				}
			}
		}
	}
	if len(b.rows) > 0 || b.n > 0 {
		return send()
	}
	return nil
}

// writeBatches writes the batches from in until it is closed, counting the
// rows in sum, and hands each batch back to free. It returns the first
// write error, leaving the rest of in unread.
func writeBatches(in <-chan *exportBatch, free chan<- *exportBatch, bw *bufio.Writer, w formats.RowWriter, cols []string, sum *Summary, onRow func(int)) error {
	cells := make([]string, len(cols))
	for b := range in {
		if b.n > 0 {
			if _, err := bw.Write(b.lines); err != nil {
				return err
			}
		}
		for i := range b.rows {
			c := &b.rows[i]
			for j, col := range cols {
				cells[j] = customer.Cell(c, col)
			}
			if err := w.Write(cells); err != nil {
				return err
			}
		}
		n := b.n + len(b.rows)
		for range n {
			sum.Rows++
			sum.Counts[ResultExported]++
			if onRow != nil {
				onRow(sum.Rows)
			}
		}
		clear(b.rows)
		b.rows, b.lines, b.n = b.rows[:0], b.lines[:0], 0
		select {
		case free <- b:
		default:
		}
	}
	return nil
}

func outputName(p string) string {
	if p == "" || p == "-" {
		return "stdout"
	}
	return p
}

// appendCompactLine appends one JSON value on one line.
func appendCompactLine(dst, raw []byte) []byte {
	if bytes.IndexByte(raw, '\n') >= 0 || bytes.IndexByte(raw, '\r') >= 0 {
		b := bytes.NewBuffer(dst)
		if json.Compact(b, raw) == nil {
			return append(b.Bytes(), '\n')
		}
		// raw was checked by the client: not reached
	}
	dst = append(dst, raw...)
	return append(dst, '\n')
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
	// mark, with --state, keeps customers updated after the watermark and
	// collects the next one.
	mark *watermark
}

func newFilter(cfg *ExportConfig) *filter {
	f := &filter{created: cfg.CreatedSince, updated: cfg.UpdatedSince}
	if cfg.state != nil {
		f.mark = newWatermark(cfg.state)
	}
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

// active reports whether the filter can leave customers out.
func (f *filter) active() bool {
	return f.status != nil || f.types != nil || !f.created.IsZero() || !f.updated.IsZero() || f.mark != nil
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
	if f.mark != nil {
		keep, ok := f.mark.keep(c)
		if !keep {
			if !ok {
				f.badTimes++
			}
			return false
		}
		f.mark.add(c)
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
