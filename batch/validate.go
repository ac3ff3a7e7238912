package batch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
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
	m, err := formats.MapHeader(r.Header(), cfg.Map)
	if err != nil {
		r.Close()
		return nil, &InputError{Err: err}
	}
	report := cfg.Report
	if report == "" {
		report = DefaultReportPath(cfg.Path)
	}
	if cfg.Path != "-" && sameFile(cfg.Path, report) {
		r.Close()
		return nil, inputErr("the report %s would overwrite the input; choose another --report path", report)
	}
	return &input{r: r, m: m, report: report}, nil
}

func sameFile(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}

// Validate reads, maps and validates every row of the input offline and
// writes the report (result valid or invalid). It never touches the
// network. Row problems are counted in the summary; the returned error is
// an *InputError for problems found before any row was read, or a fatal
// I/O or context error.
func Validate(ctx context.Context, cfg ValidateConfig) (*Summary, error) {
	start := time.Now()
	in, err := openInput(&cfg.InputConfig)
	if err != nil {
		return nil, err
	}
	defer in.r.Close()
	sum := newSummary("validate")
	sum.Input, sum.Report = cfg.Path, in.report
	v := NewValidator(in.m, ValidatorOptions{Mode: cfg.Mode, MatchEmail: cfg.MatchEmail})
	defer v.Close()
	rw, err := openReport(in.report, in.r.Header())
	if err != nil {
		return nil, err
	}

	// Reading and validating on one goroutine, the report on another: the
	// two halves each take about one core.
	const batchSize = 256
	batches := make(chan []Outcome, 8)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(batches)
		buf := make([]Outcome, 0, batchSize)
		for {
			row, err := in.r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return fmt.Errorf("reading %s: %w", cfg.Path, err)
			}
			rec, err := v.Check(row)
			if err != nil {
				return err
			}
			o := Outcome{Num: rec.Num, Cells: rec.Cells, Result: ResultValid}
			if !rec.Valid() {
				o.Result, o.Error = ResultInvalid, rec.ErrorText()
			}
			buf = append(buf, o)
			if len(buf) == batchSize {
				select {
				case batches <- buf:
				case <-gctx.Done():
					return gctx.Err()
				}
				buf = make([]Outcome, 0, batchSize)
			}
		}
		if len(buf) > 0 {
			select {
			case batches <- buf:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	g.Go(func() error {
		for b := range batches {
			for i := range b {
				if err := rw.Write(&b[i]); err != nil {
					return fmt.Errorf("writing the report %s: %w", in.report, err)
				}
				sum.add(&b[i])
				if cfg.OnRow != nil {
					cfg.OnRow(sum.Rows)
				}
			}
		}
		return nil
	})
	err = g.Wait()
	if cerr := rw.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("writing the report %s: %w", in.report, cerr)
	}
	sum.finish(start)
	return sum, err
}
