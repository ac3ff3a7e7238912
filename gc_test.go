package main

import "testing"

func TestNamesXLSX(t *testing.T) {
	tests := []struct {
		args []string
		want bool
	}{
		{args: []string{"-o", "customers.xlsx"}, want: true},
		{args: []string{"-o", "/srv/Out.XLSX", "--quiet"}, want: true},
		{args: []string{"--format", "xlsx"}, want: true},
		{args: []string{"--format=XLSX"}, want: true},
		{args: []string{"customers.csv", "--report", "r.xlsx"}, want: true},
		{args: []string{"--job", "nightly.toml"}, want: true},
		{args: []string{"-o", "customers.csv"}, want: false},
		{args: []string{"--format", "ndjson", "-o", "-"}, want: false},
		{args: []string{"xlsx-notes.csv"}, want: false},
		{args: nil, want: false},
	}
	for _, tt := range tests {
		if got := namesXLSX(tt.args); got != tt.want {
			t.Errorf("namesXLSX(%q) = %v, want %v", tt.args, got, tt.want)
		}
	}
}
