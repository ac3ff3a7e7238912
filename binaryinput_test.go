package main

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
)

// garbageStdin gives head, then random bytes without end; past 64 MiB it
// fails, so that a run that would read for ever ends the test instead of
// hanging it.
type garbageStdin struct {
	head []byte
	rng  *rand.ChaCha8
	n    int64
}

func (g *garbageStdin) Read(p []byte) (int, error) {
	if g.n >= 64<<20 {
		return 0, errors.New("the endless test input reached its limit")
	}
	n := copy(p, g.head)
	g.head = g.head[n:]
	if n == 0 {
		n, _ = g.rng.Read(p)
	}
	g.n += int64(n)
	return n, nil
}

// TestEndlessGarbageStdin: validate and import of a good header and a
// valid row followed by random bytes without end (as `cat /dev/urandom`
// after a header) stop by themselves: exit 3, the message names the lines
// that are not text, the report holds the rows read before, and import
// created the one valid customer and nothing else.
func TestEndlessGarbageStdin(t *testing.T) {
	t.Parallel()
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	env := map[string]string{"AIVA_API_URL": sb.URL, "AIVA_TOKEN": sandbox.TokenReadWrite}
	dir := t.TempDir()
	for _, cmd := range []string{"validate", "import"} {
		report := filepath.Join(dir, cmd+".report.csv")
		stdio, _, errOut := testIO(env)
		in := &garbageStdin{head: []byte("name,email\nAda,ada@example.com\n"), rng: rand.NewChaCha8([32]byte{7})}
		stdio.In = in
		args := []string{cmd, "-", "--format", "csv", "--no-progress", "--report", report}
		if cmd == "import" {
			args = append(args, "--rate", "0")
		}
		if code := run(context.Background(), args, stdio); code != exitAborted {
			t.Errorf("%s: exit %d, want %d; stderr:\n%s", cmd, code, exitAborted, tail(errOut.String()))
		}
		msg := errOut.String()
		if !strings.Contains(msg, "are not text") || !strings.Contains(msg, "not a CSV file; reading stopped at line") || strings.Contains(msg, "writing stopped") {
			t.Errorf("%s: stderr does not say the input is not text:\n%s", cmd, tail(msg))
		}
		if in.n > 8<<20 {
			t.Errorf("%s: read %d bytes of garbage before stopping", cmd, in.n)
		}
		data, err := os.ReadFile(report)
		must(t, err)
		lines := strings.Count(string(data), "\n")
		if !strings.Contains(string(data), "ada@example.com") || lines < 50 || lines > 5000 {
			t.Errorf("%s: report has %d lines; want Ada and the garbage rows read before the stop", cmd, lines)
		}
	}
	cs := tenantCustomers(t, sb.URL)
	if len(cs) != 1 || cs[0].Email != "ada@example.com" {
		t.Errorf("tenant holds %d customers (%v), want Ada only", len(cs), cs)
	}
}
