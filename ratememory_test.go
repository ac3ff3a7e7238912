package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRateMemory: a learned rate comes back for the same API and token
// until rateMemoryFor has passed, not for another token or API; the file
// holds a hash of the token, never the token; a damaged file is empty.
func TestRateMemory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "aivabatch", "rates.json")
	const api, token = "https://api.example.com/api/external/v1", "aiva_rw_0123456789abcdefSECRET"
	now := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	if _, _, ok := recallRate(path, api, token, now); ok {
		t.Fatal("a missing file recalls a rate")
	}
	if err := rememberRate(path, api, token, 29.5, now); err != nil {
		t.Fatal(err)
	}
	if err := rememberRate(path, "https://other.example.com", token, 5, now); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), token) || strings.Contains(string(b), "SECRET") || !strings.Contains(string(b), tokenHash(token)) {
		t.Errorf("the file must hold the token's hash and not the token:\n%s", b)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v (%v), want 0600", fi.Mode(), err)
	}
	for _, tt := range []struct {
		name       string
		api, token string
		at         time.Duration
		want       float64
	}{
		{"same API and token", api, token, time.Hour, 29.5},
		{"a night later", api, token, 25 * time.Hour, 29.5},
		{"forgotten", api, token, rateMemoryFor, 0},
		{"another token", api, token + "x", time.Hour, 0},
		{"another API", api + "2", token, time.Hour, 0},
		{"the other API", "https://other.example.com", token, 0, 5},
		{"written in the future (clock changed)", api, token, -time.Hour, 0},
	} {
		got, age, ok := recallRate(path, tt.api, tt.token, now.Add(tt.at))
		if got != tt.want || ok != (tt.want > 0) || ok && age != tt.at {
			t.Errorf("%s: recalled %v (%v, age %v), want %v", tt.name, got, ok, age, tt.want)
		}
	}
	// Writing again replaces the entry and drops the forgotten ones.
	later := now.Add(rateMemoryFor)
	if err := rememberRate(path, api, token, 31, later); err != nil {
		t.Fatal(err)
	}
	if m := readRateMemory(path); len(m.Rates) != 1 || m.Rates[0].Rate != 31 {
		t.Errorf("after a write a day and more later: %+v, want only the new rate", m)
	}
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := recallRate(path, api, token, later); ok {
		t.Error("a damaged file recalls a rate")
	}
	if err := rememberRate(path, api, token, 12, later); err != nil {
		t.Errorf("writing over a damaged file: %v", err)
	}
}
