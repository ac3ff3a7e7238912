package batch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"golang.org/x/sync/errgroup"

	"aivabatch/formats"
)

// InputConfig says which file to read and how (shared by validate and
// import).
type InputConfig struct {
	// Path of the input file, or "-" for Stdin.
	Path   string
	Stdin  io.Reader
	Reader formats.ReaderOptions
	Map    formats.MapOptions
	// Report is the report path; "" means DefaultReportPath(Path).
	Report string
	// Mode is the default action (--mode); "" means upsert.
	Mode Action
	// MatchEmail is --match email.
	MatchEmail bool
	// OnRow, when set, is called from the report goroutine after each row
	// is reported, with the number of rows done.
	OnRow func(done int)
	// OnProblem, when set, is called like OnRow after each row that
	// ended badly (invalid, failed; not not_attempted), with the number
	// of such rows so far: progress lines show it.
	OnProblem func(problems int)
	// Outputs are the caller's other files (--summary-json): none may be
	// the input, the report or one another (CheckDistinct).
	Outputs []NamedPath
	// Skip leaves out the first Skip data rows and Limit (0 = no limit)
	// takes at most that many after them (--skip, --limit): a first try
	// on a few rows. Import reports the rows left out as not_attempted,
	// so that a --resume without them finishes the file; validate leaves
	// them out of its report and counts them in Summary.LeftOut.
	Skip, Limit int
}

// window says why the data row at index seq (0-based, in file order) is
// left out by --skip or --limit, or "" when it is taken.
func (c *InputConfig) window(seq int) string {
	switch {
	case seq < c.Skip:
		return fmt.Sprintf("before --skip %d", c.Skip)
	case c.Limit > 0 && seq >= c.Skip+c.Limit:
		return fmt.Sprintf("beyond --limit %d", c.Limit)
	}
	return ""
}

// isJSON tells an NDJSON input, by --format or the file's extension.
func (cfg *InputConfig) isJSON() bool {
	f := cfg.Reader.Format
	if f == "" && cfg.Path != "-" {
		f, _ = formats.DetectFormat(cfg.Path)
	}
	return f == formats.FormatNDJSON
}

// reportProblem calls OnProblem after a row with result r was added to
// sum, when r is a problem.
func (cfg *InputConfig) reportProblem(sum *Summary, r Result) {
	if cfg.OnProblem != nil && !r.Good() && r != ResultNotAttempted {
		cfg.OnProblem(sum.Problems() - sum.Counts[ResultNotAttempted])
	}
}

// ValidateConfig configures Validate.
type ValidateConfig struct {
	InputConfig
}

type input struct {
	r      formats.RowReader
	m      *formats.Mapping
	report string
}

// openInput opens the reader, maps the header and settles the report path.
// Every error is an *InputError.
func openInput(cfg *InputConfig) (*input, error) {
	var (
		r   formats.RowReader
		err error
	)
	if cfg.Path == "-" {
		if cfg.Reader.Format == "" {
			return nil, inputErr("reading from stdin needs --format csv|tsv|xlsx|ndjson")
		}
		r, err = formats.NewReader(cfg.Stdin, cfg.Reader)
	} else {
		r, err = formats.OpenReader(cfg.Path, cfg.Reader)
	}
	if err != nil {
		return nil, &InputError{Err: err}
	}
	mapOpts := cfg.Map
	if mapOpts.Warn == nil {
		mapOpts.Warn = cfg.Reader.Warn
	}
	m, r2, err := formats.MapReader(r, mapOpts)
	if err != nil {
		r.Close()
		return nil, &InputError{Err: err}
	}
	r = r2 // gives back the rows MapReader looked at
	report := cfg.Report
	if report == "" {
		report = DefaultReportPath(cfg.Path)
	}
	if err := checkInputPaths(cfg, report); err != nil {
		r.Close()
		return nil, err
	}
	return &input{r: r, m: m, report: report}, nil
}

// Validate reads, maps and validates every row of the input offline and
// writes the report (result valid or invalid). It never touches the
// network. Row problems are counted in the summary; the returned error is
// an *InputError for problems found before any row was read, or a fatal
// I/O or context error. When the input turns unreadable part way (a
// damaged workbook), the rows read before are still checked, reported
// and counted in the returned summary, whose Aborted says where reading
// stopped, and the error names the place.
func Validate(ctx context.Context, cfg ValidateConfig) (*Summary, error) {
	start := time.Now()
	if cfg.Report == "" {
		cfg.Report = DefaultValidateReportPath(cfg.Path)
	}
	in, err := openInput(&cfg.InputConfig)
	if err != nil {
		return nil, err
	}
	defer in.r.Close()
	sum := newSummary("validate")
	sum.Input, sum.Report = cfg.Path, in.report
	v := NewValidator(in.m, ValidatorOptions{Mode: cfg.Mode, MatchEmail: cfg.MatchEmail, JSON: cfg.isJSON()})
	defer v.Close()
	rw, err := openReport(in.report, in.r)
	if err != nil {
		return nil, err
	}

	// Four stages: read; check fields (two goroutines, any order); check
	// duplicates in file order; write the report. Batches keep the
	// channel traffic low; the order channel's capacity bounds how many
	// rows are in flight, so memory stays flat.
	const batchSize = 512
	type vbatch struct {
		rows []formats.Row
		outs []Outcome
		recs []*Record
		done chan struct{}
	}
	work := make(chan *vbatch, 4)
	order := make(chan *vbatch, 8)
	written := make(chan *vbatch, 4)
	// A fatal read error (a damaged file part way) does not cancel the
	// pipeline: the rows read before it are checked, reported and counted,
	// then Validate returns it.
	var (
		readErr error
		lastRow int // the last row read
	)
	g, gctx := errgroup.WithContext(ctx)
	send := func(ch chan<- *vbatch, b *vbatch) error {
		select {
		case ch <- b:
			return nil
		case <-gctx.Done():
			return gctx.Err()
		}
	}
	g.Go(func() error {
		defer close(work)
		defer close(order)
		b := &vbatch{done: make(chan struct{})}
		seq := 0
		flush := func() error {
			if err := send(order, b); err != nil {
				return err
			}
			if err := send(work, b); err != nil {
				return err
			}
			b = &vbatch{rows: make([]formats.Row, 0, batchSize), done: make(chan struct{})}
			return nil
		}
		for {
			row, err := in.r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				readErr = fmt.Errorf("reading %s: %w", cfg.Path, err)
				break
			}
			lastRow = row.Num
			seq++
			if cfg.window(seq-1) != "" {
				// Not checked, not in the report: only counted, so that
				// the summary says how many were left out. The reader
				// goroutine alone writes it until g.Wait.
				sum.LeftOut++
				continue
			}
			b.rows = append(b.rows, row)
			if len(b.rows) == batchSize {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if len(b.rows) > 0 {
			return flush()
		}
		return nil
	})
	for range 2 {
		g.Go(func() error {
			for b := range work {
				b.recs = make([]*Record, len(b.rows))
				for i, row := range b.rows {
					b.recs[i] = v.CheckFields(row)
				}
				close(b.done)
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(written)
		for b := range order {
			select {
			case <-b.done:
			case <-gctx.Done():
				return gctx.Err()
			}
			if err := v.CheckDuplicatesBatch(b.recs); err != nil {
				return err
			}
			b.outs = make([]Outcome, len(b.recs))
			for i, rec := range b.recs {
				o := Outcome{Num: rec.Num, Cells: rec.Cells, Result: ResultValid}
				if !rec.Valid() {
					o.Result, o.Error = ResultInvalid, rec.ErrorText()
				}
				b.outs[i] = o
			}
			b.rows, b.recs = nil, nil
			if err := send(written, b); err != nil {
				return err
			}
		}
		return nil
	})
	g.Go(func() error {
		for b := range written {
			for i := range b.outs {
				if err := rw.Write(&b.outs[i]); err != nil {
					return fmt.Errorf("writing the report %s: %w", in.report, err)
				}
				sum.add(&b.outs[i])
				cfg.reportProblem(sum, b.outs[i].Result)
			}
			if cfg.OnRow != nil {
				cfg.OnRow(sum.Rows)
			}
		}
		return nil
	})
	err = g.Wait()
	if err == nil && ctx.Err() != nil {
		// Interrupted, even if the last rows slipped through: the caller
		// says so and exits 130.
		err = ctx.Err()
	}
	if err == nil && readErr != nil {
		err = readErr
		if lastRow > 0 {
			sum.Aborted = fmt.Sprintf("the input could not be read after row %d", lastRow)
		} else {
			sum.Aborted = "the input could not be read past its header"
		}
	}
	if cerr := rw.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("writing the report %s: %w", in.report, cerr)
	}
	sum.finish(start)
	return sum, err
}
