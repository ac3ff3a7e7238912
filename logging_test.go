package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
)

// lockedBuffer is an ErrOut that workers, the progress ticker and the
// test may use at once; seen is closed once a line holding mark is
// written.
type lockedBuffer struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	mark string
	seen chan struct{}
	once sync.Once
}

func newLockedBuffer(mark string) *lockedBuffer {
	return &lockedBuffer{mark: mark, seen: make(chan struct{})}
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.mark != "" && bytes.Contains(p, []byte(b.mark)) {
		b.once.Do(func() { close(b.seen) })
	}
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// jsonLines parses every line of stderr as one JSON object with level,
// msg and time, failing the test on any other line.
func jsonLines(t *testing.T, stderr string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for i, line := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("stderr line %d is not JSON (%v): %s", i+1, err, line)
			continue
		}
		for _, k := range []string{"level", "msg", "time"} {
			if _, ok := rec[k]; !ok {
				t.Errorf("stderr line %d has no %q: %s", i+1, k, line)
			}
		}
		recs = append(recs, rec)
	}
	return recs
}

// flakyAPI serves the sandbox under its base path, answering the first
// create with a 503 so that the client retries it.
func flakyAPI(t *testing.T) string {
	t.Helper()
	sb, err := sandbox.New(sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var failed atomic.Bool
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && failed.CompareAndSwap(false, true) {
			http.Error(w, `{"message":"try again"}`, http.StatusServiceUnavailable)
			return
		}
		sb.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts.URL + sandbox.BasePath
}

// TestJSONLogs: with --log-format json every stderr line of a run is a
// JSON object (the encoding warning, --verbose retries, the summary,
// the closing error), and none holds the token.
func TestJSONLogs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// Not UTF-8: read as Windows-1252, with a warning.
	in := filepath.Join(dir, "latin.csv")
	if err := os.WriteFile(in, []byte("name,email\nJos\xe9 Sousa,jose@example.com\nAna Lima,ana@example.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	token := sandbox.TokenReadWrite
	env := map[string]string{"AIVA_API_URL": flakyAPI(t), "AIVA_TOKEN": token}
	stdio, _, _ := testIO(env)
	errOut := newLockedBuffer("")
	stdio.ErrOut = errOut
	code := run(context.Background(), []string{"import", in, "--log-format", "json", "--verbose", "--workers", "1", "--summary-json", filepath.Join(dir, "sum.json")}, stdio)
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	if strings.Contains(errOut.String(), token) {
		t.Errorf("stderr holds the token:\n%s", errOut)
	}
	var warned, retried bool
	var summary map[string]any
	for _, rec := range jsonLines(t, errOut.String()) {
		msg, _ := rec["msg"].(string)
		switch {
		case rec["level"] == "WARN" && strings.Contains(msg, "Windows-1252"):
			warned = true
		case rec["level"] == "DEBUG" && strings.Contains(msg, "retrying"):
			retried = true
		case rec["command"] == "import":
			summary = rec
		}
	}
	if !warned || !retried {
		t.Errorf("warning logged %v, retry logged %v; stderr:\n%s", warned, retried, errOut)
	}
	if summary == nil {
		t.Fatalf("no summary record; stderr:\n%s", errOut)
	}
	counts, _ := summary["counts"].(map[string]any)
	if summary["rows"] != 2.0 || counts["created"] != 2.0 || summary["report"] == nil || summary["elapsed_seconds"] == nil || summary["level"] != "INFO" {
		t.Errorf("summary record lacks its fields: %v", summary)
	}

	// Errors too, even one found before the flags were all read.
	for _, args := range [][]string{
		{"import", in, "--log-format", "json", "--workers", "x"},
		{"import", in, "--workers", "x", "--log-format=json"},
		{"validate", in, "--log-format", "json", "--job", filepath.Join(dir, "missing.toml")},
		{"export", "--log-format", "json", "--api-url", "http://example.com/api"},
	} {
		stdio, out, errOut := testIO(map[string]string{"AIVA_TOKEN": token})
		if code := run(context.Background(), args, stdio); code != exitInput {
			t.Errorf("%v: exit %d, want 2; stderr:\n%s", args, code, errOut)
		}
		recs := jsonLines(t, errOut.String())
		if len(recs) == 0 || recs[len(recs)-1]["level"] != "ERROR" {
			t.Errorf("%v: the error is not an ERROR record:\n%s", args, errOut)
		}
		if strings.Contains(errOut.String()+out.String(), token) {
			t.Errorf("%v: the token is shown:\n%s", args, errOut)
		}
	}
}

// TestTextLogsUnchanged: the default format is the lines users know.
func TestTextLogsUnchanged(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := writeLines(t, filepath.Join(dir, "in.csv"), "name,email", "Ana,ana@example.com", ",nope")
	stdio, _, errOut := testIO(nil)
	if code := run(context.Background(), []string{"validate", in}, stdio); code != exitRowProblems {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	if !strings.HasPrefix(errOut.String(), "validate: 2 rows: 1 invalid, 1 valid in ") || strings.Contains(errOut.String(), "{") {
		t.Errorf("text summary changed:\n%s", errOut)
	}
}

// TestProgressLines: on a stderr that is not a terminal, a progress line
// comes every --progress-every. The ticker is the test's: the API sends
// a tick on the third create and holds it until the line is written, so
// the run is known to be in progress when it comes.
func TestProgressLines(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	lines := []string{"name,email"}
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		lines = append(lines, "P "+n+","+n+"@example.com")
	}
	in := writeLines(t, filepath.Join(dir, "in.csv"), lines...)
	tests := []struct {
		name     string
		args     []string
		mark     string // what the progress line holds
		wantLine bool
	}{
		{name: "text", args: []string{"--progress-every", "1ms"}, mark: "importing: ", wantLine: true},
		{name: "json", args: []string{"--progress-every", "1ms", "--log-format", "json"}, mark: `"msg":"progress"`, wantLine: true},
		{name: "off", args: []string{"--progress-every", "0"}, mark: "importing: "},
		{name: "quiet", args: []string{"--quiet"}, mark: "importing: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := sandboxtest.NewServer(t, sandbox.Options{})
			errOut := newLockedBuffer(tt.mark)
			ticks := make(chan time.Time, 1)
			var posts atomic.Int32
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPost && posts.Add(1) == 3 && tt.wantLine {
					ticks <- time.Now()
					select {
					case <-errOut.seen:
					case <-r.Context().Done():
					case <-time.After(10 * time.Second): // a fail-safe, not a wait: the line is missing
					}
				}
				sb.ServeHTTP(w, r)
			}))
			t.Cleanup(ts.Close)
			stdio, _, _ := testIO(map[string]string{"AIVA_API_URL": ts.URL + sandbox.BasePath, "AIVA_TOKEN": sandbox.TokenReadWrite})
			stdio.ErrOut = errOut
			var every time.Duration
			stdio.Ticker = func(d time.Duration) (<-chan time.Time, func()) {
				every = d
				if !tt.wantLine {
					t.Errorf("a progress ticker was started")
				}
				return ticks, func() {}
			}
			args := append([]string{"import", in, "--workers", "1", "--rate", "0", "--report", filepath.Join(dir, tt.name+".report.csv")}, tt.args...)
			if code := run(context.Background(), args, stdio); code != exitOK {
				t.Fatalf("exit %d; stderr:\n%s", code, errOut)
			}
			var progress []string
			for _, line := range strings.Split(errOut.String(), "\n") {
				if strings.Contains(line, tt.mark) {
					progress = append(progress, line)
				}
			}
			if !tt.wantLine {
				if len(progress) > 0 {
					t.Errorf("progress lines with %v:\n%s", tt.args, errOut)
				}
				return
			}
			if every != time.Millisecond {
				t.Errorf("ticker every %v, want the --progress-every 1ms", every)
			}
			if len(progress) == 0 {
				t.Fatalf("no progress line; stderr:\n%s", errOut)
			}
			if tt.name == "json" {
				recs := jsonLines(t, errOut.String())
				var rec map[string]any
				for _, r := range recs {
					if r["msg"] == "progress" {
						rec = r
					}
				}
				for _, k := range []string{"rows", "invalid", "failed", "rows_per_second", "elapsed_seconds"} {
					if _, ok := rec[k]; !ok {
						t.Errorf("progress record has no %s: %v", k, rec)
					}
				}
				return
			}
			for _, w := range []string{" rows, ", " invalid, ", " failed, ", " rows/s, ", " elapsed"} {
				if !strings.Contains(progress[0], w) {
					t.Errorf("progress line lacks %q: %s", w, progress[0])
				}
			}
		})
	}
}

// TestHelpListsNewFlags: --help of import, validate and export lists
// --job, --log-format and --progress-every, and shows them in use.
func TestHelpListsNewFlags(t *testing.T) {
	t.Parallel()
	for _, cmd := range []string{"import", "validate", "export"} {
		stdio, out, errOut := testIO(nil)
		if code := run(context.Background(), []string{cmd, "--help"}, stdio); code != exitOK {
			t.Fatalf("%s --help: exit %d; stderr:\n%s", cmd, code, errOut)
		}
		help := out.String()
		flags, example, _ := strings.Cut(help, "\nExample:\n")
		want := []string{"--job", "--log-format", "--progress-every"}
		if cmd == "validate" {
			want = append(want, "--write-job")
		}
		for _, f := range want {
			if !strings.Contains(flags, "  "+f+" ") {
				t.Errorf("%s --help does not list %s:\n%s", cmd, f, help)
			}
		}
		for _, f := range []string{"--job ", "--log-format json"} {
			if !strings.Contains(example, f) {
				t.Errorf("%s --help has no example with %s:\n%s", cmd, f, example)
			}
		}
	}
}

// TestProgressLineCounts: the progress line counts invalid rows (the
// file's) and failed rows (the API's) each under its own word: import
// shows both, validate only invalid (it fails none), export neither.
func TestProgressLineCounts(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		desc, want, wantJSON string
	}{
		{"importing", "importing: 7 rows, 3 invalid, 1 failed, ", `"rows":7,"invalid":3,"failed":1,`},
		{"validating", "validating: 7 rows, 3 invalid, ", `"rows":7,"invalid":3,"rows_per_second"`},
		{"exporting", "exporting: 7 rows, ", `"rows":7,"rows_per_second"`},
	} {
		for _, json := range []bool{false, true} {
			var out bytes.Buffer
			p := &progress{withInvalid: tt.desc != "exporting", withFailed: tt.desc == "importing"}
			p.rows.Store(7)
			p.problems(3, 1)
			ticks := make(chan time.Time) // unbuffered: the send returns once the line is being written
			stop, done := make(chan struct{}), make(chan struct{})
			go progressLines(newLogger(&out, json), ticks, func() {}, tt.desc, p, time.Now(), stop, done)
			ticks <- time.Now()
			close(stop)
			<-done
			want := tt.want
			if json {
				want = tt.wantJSON
			}
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s (json %v): progress line %q lacks %q", tt.desc, json, out.String(), want)
			}
			if tt.desc != "importing" && strings.Contains(out.String(), "failed") {
				t.Errorf("%s: progress line counts failed rows: %q", tt.desc, out.String())
			}
		}
	}
}
