package main

import (
	"context"
	"path/filepath"
	"testing"
)

// TestTuningFollowsTheFlags: the GC and memory settings a command runs
// with are chosen from its parsed flags (a job file's too), not from
// words of the command line; help and a bad command line change nothing.
func TestTuningFollowsTheFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	job := writeLines(t, filepath.Join(dir, "nightly.toml"), `o = "out.xlsx"`)
	csvJob := writeLines(t, filepath.Join(dir, "csv.toml"), `o = "out.csv"`)
	in := writeLines(t, filepath.Join(dir, "in.csv"), "name,email", "Ana,ana@example.com")
	xlsxNamedCSV := writeLines(t, filepath.Join(dir, "xlsx-notes.csv"), "name,email", "Ana,ana@example.com")
	tests := []struct {
		args []string
		want *processTuning
	}{
		{args: []string{"export", "-o", filepath.Join(dir, "customers.xlsx")}, want: &processTuning{gcPercent: 400, memoryLimit: 64 << 20}},
		{args: []string{"export", "-o", filepath.Join(dir, "Out.XLSX"), "--quiet"}, want: &processTuning{gcPercent: 400, memoryLimit: 64 << 20}},
		{args: []string{"export", "--format=XLSX", "-o", filepath.Join(dir, "x.bin")}, want: &processTuning{gcPercent: 400, memoryLimit: 64 << 20}},
		{args: []string{"export", "--job", job}, want: &processTuning{gcPercent: 400, memoryLimit: 64 << 20}},
		{args: []string{"export", "--job", csvJob}, want: &processTuning{gcPercent: 400, memoryLimit: 32 << 20}},
		{args: []string{"export", "-o", filepath.Join(dir, "customers.csv")}, want: &processTuning{gcPercent: 400, memoryLimit: 32 << 20}},
		{args: []string{"export", "--format", "ndjson", "-o", "-"}, want: &processTuning{gcPercent: 400, memoryLimit: 32 << 20}},
		{args: []string{"validate", xlsxNamedCSV}, want: &processTuning{gcPercent: 400, memoryLimit: 32 << 20}},
		{args: []string{"validate", in, "--report", filepath.Join(dir, "r.xlsx")}, want: &processTuning{gcPercent: 400, memoryLimit: 64 << 20}},
		{args: []string{"import", in}, want: &processTuning{memoryLimit: 150 << 20, ignoreSIGPIPE: true}},
		{args: []string{"import", in, "--workers", "x"}},
		{args: []string{"export", "--help"}},
		{args: []string{"version"}},
	}
	for _, tt := range tests {
		stdio, _, _ := testIO(nil)
		var got *processTuning
		stdio.Tune = func(p processTuning) {
			if got != nil {
				t.Errorf("%q: tuned twice", tt.args)
			}
			got = &p
		}
		run(context.Background(), tt.args, stdio)
		switch {
		case got == nil && tt.want == nil:
		case got == nil || tt.want == nil || *got != *tt.want:
			t.Errorf("%q: tuning %+v, want %+v", tt.args, got, tt.want)
		}
	}
}
