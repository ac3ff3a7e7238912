package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTokenWhereAPathGoes: a token given to --token-file (or anywhere a
// path goes) is never repeated in any output, and the message says what
// --token-file takes.
func TestTokenWhereAPathGoes(t *testing.T) {
	const tok = "aiva_rw_8f3c2a9d1e7b6054c3a2"
	dir := t.TempDir()
	t.Chdir(dir)
	must(t, os.WriteFile("in.csv", []byte("name,email\nA,a@example.com\n"), 0o600))
	must(t, os.WriteFile("aiva_token.txt", []byte(tok+"\n"), 0o600)) // only a file named like a token
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"token as --token-file", []string{"import", "in.csv", "--token-file", tok}, exitInput,
			"aivabatch: --token-file takes a path to a file holding the token, not the token itself"},
		{"token as --token-file=", []string{"export", "--token-file=" + tok, "-o", "out.csv"}, exitInput,
			"--token-file takes a path to a file holding the token, not the token itself"},
		{"token as the input", []string{"import", tok, "--token-file", "aiva_token.txt", "--api-url", "https://127.0.0.1:1/api"}, exitInput, "aivabatch:"},
		{"token as a command", []string{tok}, exitInput, "unknown command"},
		{"token as --report", []string{"validate", "in.csv", "--report", tok}, exitInput, "--report aiva_…(hidden)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdio, out, errOut := testIO(nil)
			if code := run(context.Background(), tt.args, stdio); code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.wantCode, errOut)
			}
			if !strings.Contains(errOut.String(), tt.wantErr) {
				t.Errorf("stderr does not say %q:\n%s", tt.wantErr, errOut)
			}
			for name, s := range map[string]string{"stdout": out.String(), "stderr": errOut.String()} {
				if strings.Contains(s, tok) || strings.Contains(s, tok[:16]) {
					t.Errorf("%s shows the token:\n%s", name, s)
				}
			}
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
				if e.Name() != "aiva_token.txt" && strings.Contains(string(b)+e.Name(), tok) {
					t.Errorf("%s holds the token", e.Name())
				}
			}
		})
	}
	// A file whose name only looks like a token is named in messages.
	stdio, _, errOut := testIO(nil)
	run(context.Background(), []string{"import", "in.csv", "--token-file", "aiva_missing.txt"}, stdio)
	if !strings.Contains(errOut.String(), "--token-file aiva_missing.txt does not exist") {
		t.Errorf("a missing token file is not named:\n%s", errOut)
	}
}
