package batch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"golang.org/x/sync/errgroup"

	"aivabatch/batch/customer"
	"aivabatch/formats"
)

// ValidateConfig configures Validate.
type ValidateConfig struct {
	InputConfig
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
		cfg.Report = DefaultValidateReportPath(cfg.Path, cfg.ReportSheet())
	}
	in, release, err := openInputCtx(ctx, &cfg.InputConfig)
	if err != nil {
		return nil, err
	}
	defer release()
	sum := newSummary(CommandValidate)
	sum.Warnings = append(sum.Warnings, cfg.unusedValueMaps(in.m)...)
	sum.Input, sum.Report = cfg.Path, in.report
	v := customer.NewValidator(in.m, cfg.validatorOptions())
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
		recs []*customer.Record
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
		// Valid rows without a name that only an email match can take
		// (written by the duplicates goroutine alone until g.Wait).
		nameless, firstNameless int
		tally                   valueTally // likewise
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
				readErr = &ReadError{Err: fmt.Errorf("reading %s: %w", cfg.Path, err)}
				break
			}
			lastRow = row.Num
			seq++
			if why, _ := cfg.window(seq - 1); why != "" {
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
				b.recs = make([]*customer.Record, len(b.rows))
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
				o := Outcome{Num: rec.Num, Cells: rec.Cells, Result: ResultValid, From: rec.Source()}
				if !rec.Valid() {
					o.Result, o.Error = ResultInvalid, rec.ErrorText()
					tally.add(rec)
				} else if rec.NeedsMatch(cfg.MatchEmail) {
					if nameless == 0 {
						firstNameless = rec.Num
					}
					nameless++
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
	if nameless > 0 {
		what := fmt.Sprintf("%d valid rows have no name (the first: row %d): they", nameless, firstNameless)
		if nameless == 1 {
			what = fmt.Sprintf("row %d has no name: it", firstNameless)
		}
		sum.Warnings = append(sum.Warnings, what+" can only update a customer found by email; where the tenant has no customer with that email, import reports the row invalid (a name is required to create)")
	}
	sum.InvalidValues = tally.result()
	sum.finish(start)
	return sum, err
}
