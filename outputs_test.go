package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
)

// TestOutputsThatAliasAnInput: standard input redirected from a file,
// the token file and the job file are inputs too: an output that is one
// of them is refused with exit 2 before any request, and the file is
// as it was.
func TestOutputsThatAliasAnInput(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	dir := t.TempDir()
	t.Chdir(dir)
	const data = "name,email\nAna,ana@example.com\nBo,bo@example.com\n"
	must(t, os.WriteFile("big.csv", []byte(data), 0o600))
	must(t, os.WriteFile("import.report.csv", []byte(data), 0o600))
	must(t, os.WriteFile("token.txt", []byte(sandbox.TokenReadWrite+"\n"), 0o600))
	must(t, os.WriteFile("job.toml", []byte("retries = 2\n"), 0o600))
	env := map[string]string{"AIVA_API_URL": sb.URL, "AIVA_TOKEN": sandbox.TokenReadWrite}
	tests := []struct {
		name  string
		stdin string // file redirected to standard input
		args  []string
		want  string
	}{
		{"default report of stdin is stdin", "import.report.csv", []string{"import", "-", "--format", "csv"}, "the report import.report.csv is the same file as standard input"},
		{"--report is stdin", "big.csv", []string{"import", "-", "--format", "csv", "--report", "big.csv"}, "the report big.csv is the same file as standard input"},
		{"--undo is stdin", "big.csv", []string{"import", "-", "--format", "csv", "--report", "r.csv", "--undo", "big.csv"}, "--undo big.csv is the same file as standard input"},
		{"validate report is stdin", "big.csv", []string{"validate", "-", "--format", "csv", "--report", "big.csv"}, "same file as standard input"},
		{"export -o is stdin", "big.csv", []string{"export", "-o", "big.csv"}, "-o big.csv is the same file as standard input"},
		{"--summary-json is the token file", "", []string{"import", "big.csv", "--token-file", "token.txt", "--summary-json", "token.txt"}, "--summary-json token.txt is the same file as the token file token.txt"},
		{"export -o is the job file", "", []string{"export", "--job", "job.toml", "-o", "job.toml"}, "-o job.toml is the same file as the job file job.toml"},
		{"export --summary-json is the token file", "", []string{"export", "-o", "out.csv", "--token-file", "token.txt", "--summary-json", "token.txt"}, "same file as the token file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := map[string][]byte{}
			for _, f := range []string{"big.csv", "import.report.csv", "token.txt", "job.toml"} {
				before[f], _ = os.ReadFile(f)
			}
			reqs := sb.Stats().Requests.Total()
			stdio, _, errOut := testIO(env)
			if tt.stdin != "" {
				f, err := os.Open(tt.stdin)
				must(t, err)
				defer f.Close()
				stdio.In = f
			}
			if code := run(context.Background(), append(tt.args, "--no-progress"), stdio); code != exitInput || !strings.Contains(errOut.String(), tt.want) {
				t.Errorf("exit %d, want 2 saying %q; stderr:\n%s", code, tt.want, errOut)
			}
			for f, b := range before {
				if now, _ := os.ReadFile(f); string(now) != string(b) {
					t.Errorf("%s was changed: %q", f, now)
				}
			}
			if n := sb.Stats().Requests.Total() - reqs; n != 0 {
				t.Errorf("%d requests were sent", n)
			}
		})
	}
	// Standard input from a file, and outputs elsewhere: runs.
	stdio, _, errOut := testIO(env)
	f, err := os.Open("big.csv")
	must(t, err)
	defer f.Close()
	stdio.In = f
	if code := run(context.Background(), []string{"import", "-", "--format", "csv", "--report", "stdin.report.csv", "--no-progress"}, stdio); code != exitOK {
		t.Errorf("import from a redirected file: exit %d; stderr:\n%s", code, errOut)
	}
}

// TestOutputsThatCannotBeWritten: a report, journal, undo file,
// --summary-json, --state or job file that is a directory, a device or a
// named pipe, or an output in a directory that is missing or not
// writable, is refused with exit 2 before any request, and nothing waits
// on a pipe.
func TestOutputsThatCannotBeWritten(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	dir := t.TempDir()
	t.Chdir(dir)
	must(t, os.WriteFile("in.csv", []byte("name,email\nAna,ana@example.com\n"), 0o600))
	must(t, syscall.Mkfifo("fifo", 0o600))
	must(t, syscall.Mkfifo("fifo.csv", 0o600))
	must(t, os.Symlink("/dev/null", "null.csv"))
	must(t, os.Mkdir("adir", 0o700))
	must(t, os.Mkdir("ro", 0o500))
	must(t, syscall.Mkfifo("in.report.csv.journal", 0o600))
	env := map[string]string{"AIVA_API_URL": sb.URL, "AIVA_TOKEN": sandbox.TokenReadWrite}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"report is a fifo", []string{"import", "in.csv", "--report", "fifo.csv"}, "the report fifo.csv is not a regular file (a named pipe)"},
		{"report is a device", []string{"import", "in.csv", "--report", "null.csv"}, "the report null.csv is not a regular file (a character device)"},
		{"validate report is a fifo", []string{"validate", "in.csv", "--report", "fifo.csv"}, "the report fifo.csv is not a regular file (a named pipe)"},
		{"journal is a fifo", []string{"import", "in.csv"}, "the journal in.report.csv.journal is not a regular file (a named pipe)"},
		{"undo is a fifo", []string{"import", "in.csv", "--report", "u.report.csv", "--undo", "fifo"}, "--undo fifo is not a regular file"},
		{"undo is a directory", []string{"import", "in.csv", "--report", "u.report.csv", "--undo", "adir"}, "--undo adir is a directory"},
		{"summary-json is a fifo", []string{"import", "in.csv", "--report", "s.report.csv", "--summary-json", "fifo"}, "--summary-json fifo is not a regular file"},
		{"summary-json is a device", []string{"validate", "in.csv", "--summary-json", "/dev/null"}, "--summary-json /dev/null is not a regular file"},
		{"state is a fifo", []string{"export", "-o", "out.csv", "--state", "fifo"}, "--state fifo is not a regular file"},
		{"state is a directory", []string{"export", "-o", "out.csv", "--state", "adir"}, "--state adir is a directory"},
		{"export summary in a missing directory", []string{"export", "-o", "out.csv", "--summary-json", "nodir/s.json"}, "the directory nodir does not exist"},
		{"report in a read-only directory", []string{"import", "in.csv", "--report", "ro/r.csv"}, "cannot write in the directory ro"},
		{"undo in a missing directory", []string{"import", "in.csv", "--report", "m.report.csv", "--undo", "nodir/u.csv"}, "the directory nodir does not exist"},
		{"job file is a fifo", []string{"import", "in.csv", "--job", "fifo"}, "--job fifo is not a regular file"},
		{"export -o is a directory", []string{"export", "-o", "adir"}, "-o adir is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "report in a read-only directory" && os.Geteuid() == 0 {
				t.Skip("root may write anywhere")
			}
			reqs := sb.Stats().Requests.Total()
			stdio, _, errOut := testIO(env)
			if code := run(context.Background(), append(tt.args, "--no-progress"), stdio); code != exitInput || !strings.Contains(errOut.String(), tt.want) {
				t.Errorf("exit %d, want 2 saying %q; stderr:\n%s", code, tt.want, errOut)
			}
			if n := sb.Stats().Requests.Total() - reqs; n != 0 {
				t.Errorf("%d requests were sent", n)
			}
		})
	}
	if st, err := os.Stat("fifo"); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the fifo was replaced: %v %v", st, err)
	}
}

// TestExportIntoDeviceOrPipe: export -o to a character device or a
// named pipe writes straight into it (the pipe's reader gets the rows,
// the pipe stays a pipe); a pipe nobody reads is refused at once.
func TestExportIntoDeviceOrPipe(t *testing.T) {
	t.Parallel()
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	env := map[string]string{"AIVA_API_URL": sb.URL, "AIVA_TOKEN": sandbox.TokenReadWrite}
	dir := t.TempDir()
	in := writeLines(t, filepath.Join(dir, "in.csv"), "name,email", "Ana,ana@example.com", "Bo,bo@example.com")
	stdio, _, errOut := testIO(env)
	// One worker: Ana is created before Bo, the order the export lists.
	if code := run(context.Background(), []string{"import", in, "--no-progress", "--workers", "1"}, stdio); code != exitOK {
		t.Fatalf("import: exit %d\n%s", code, errOut)
	}

	stdio, _, errOut = testIO(env)
	if code := run(context.Background(), []string{"export", "-o", "/dev/null", "--no-progress"}, stdio); code != exitOK {
		t.Errorf("export -o /dev/null: exit %d; stderr:\n%s", code, errOut)
	}
	if st, err := os.Stat("/dev/null"); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("/dev/null is no longer a device: %v %v", st, err)
	}

	fifo := filepath.Join(dir, "out.csv")
	must(t, syscall.Mkfifo(fifo, 0o600))
	stdio, _, errOut = testIO(env)
	if code := run(context.Background(), []string{"export", "-o", fifo, "--no-progress"}, stdio); code != exitInput || !strings.Contains(errOut.String(), "no process reads from") {
		t.Errorf("export into a pipe nobody reads: exit %d; stderr:\n%s", code, errOut)
	}

	// A reader, opened without waiting for a writer; the rows (a few
	// bytes) wait in the pipe until it reads them after the export.
	r, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	must(t, err)
	defer r.Close()
	stdio, _, errOut = testIO(env)
	if code := run(context.Background(), []string{"export", "-o", fifo, "--columns", "email", "--no-progress"}, stdio); code != exitOK {
		t.Fatalf("export into a read pipe: exit %d; stderr:\n%s", code, errOut)
	}
	b, _ := io.ReadAll(r)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	slices.Sort(lines)
	if strings.Join(lines, " ") != "ana@example.com bo@example.com email" {
		t.Errorf("the pipe's reader got %q", b)
	}
	if st, err := os.Stat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the pipe was replaced: %v %v", st, err)
	}
}

// TestExportIntoMissingDir: export -o out/x.csv without out/ stops with
// exit 2 before anything is listed, naming the output and the missing
// directory, never a temporary file.
func TestExportIntoMissingDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "out", "x.csv")
	stdio, _, errOut := testIO(nil)
	if code := run(context.Background(), []string{"export", "--sandbox", "-o", out, "--no-progress"}, stdio); code != exitInput {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitInput, errOut)
	}
	msg := errOut.String()
	if !strings.Contains(msg, "-o "+out+": the directory "+filepath.Join(dir, "out")+" does not exist") || strings.Contains(msg, ".tmp-") {
		t.Errorf("message does not name the output and its missing directory (or names a temporary file):\n%s", msg)
	}
}
