package batch

import (
	"context"
	"errors"
	"fmt"
	"io"

	"aivabatch/batch/customer"
)

// CountDeletes reads cfg's input as Import reads it (the same mapping
// and rules) and counts the rows that would delete a customer (mode
// delete, or an action column saying delete), within --skip and --limit:
// what a question before the run can name. Nothing is sent. Standard
// input cannot be read twice: it counts 0.
func CountDeletes(ctx context.Context, cfg ImportConfig) (int, error) {
	if cfg.Path == "-" {
		return 0, nil
	}
	in, release, err := openInputCtx(ctx, &cfg.InputConfig)
	if err != nil {
		return 0, err
	}
	defer release()
	if _, ok := in.m.Index[customer.FieldAction]; !ok && cfg.Mode != customer.ActionDelete {
		return 0, nil
	}
	v := cfg.validator(in)
	defer v.Close()
	n := 0
	for seq := 0; ctx.Err() == nil; seq++ {
		row, err := in.r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return n, &ReadError{Err: fmt.Errorf("reading %s: %w", cfg.Path, err)}
		}
		rec := v.CheckFields(row)
		if w, _ := cfg.window(seq); w == "" && rec.Valid() && rec.Action == customer.ActionDelete {
			n++
		}
	}
	return n, ctx.Err()
}
