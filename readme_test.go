package main

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// readmeCommand is one command of a README sh block.
type readmeCommand struct {
	line     int      // README line where it starts
	args     []string // after "go run ." or "aivabatch"
	wantExit int      // 0, or the "# exit N" annotation
}

var exitNote = regexp.MustCompile(`#.*\bexit (\d+)\b`)

// readmeCommands parses every ```sh block of the README: backslash
// continuations joined, comments dropped, "# exit N" read. go test lines
// are left out (the test is inside go test); any other line must be an
// aivabatch command, so a block cannot hold something the test would
// silently skip.
func readmeCommands(t *testing.T, readme string) []readmeCommand {
	t.Helper()
	var cmds []readmeCommand
	inSh := false
	var pending string
	pendingLine := 0
	for i, raw := range strings.Split(readme, "\n") {
		line := strings.TrimRight(raw, " \t")
		switch {
		case !inSh && line == "```sh":
			inSh = true
			continue
		case inSh && line == "```":
			inSh = false
			continue
		case !inSh:
			continue
		}
		if pending == "" {
			pendingLine = i + 1
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			pending += cont + " "
			continue
		}
		full := strings.TrimSpace(pending + line)
		pending = ""
		if full == "" || strings.HasPrefix(full, "#") {
			continue
		}
		words, comment := shellWords(t, pendingLine, full)
		for len(words) > 0 && strings.Contains(words[0], "=") && !strings.HasPrefix(words[0], "-") {
			words = words[1:] // VAR=value before the command
		}
		c := readmeCommand{line: pendingLine}
		if m := exitNote.FindStringSubmatch(comment); m != nil {
			c.wantExit, _ = strconv.Atoi(m[1])
		}
		switch {
		case len(words) >= 2 && words[0] == "go" && words[1] == "test":
			continue
		case len(words) >= 3 && words[0] == "go" && words[1] == "run" && words[2] == ".":
			c.args = words[3:]
		case len(words) >= 1 && words[0] == "aivabatch":
			c.args = words[1:]
		default:
			t.Fatalf("README.md:%d: %q is neither an aivabatch command nor go test; the README test cannot run it", pendingLine, full)
		}
		cmds = append(cmds, c)
	}
	return cmds
}

// shellWords splits a command line as sh would for the quoting the
// README uses ('…', "…"), and returns the comment after an unquoted #.
func shellWords(t *testing.T, line int, s string) (words []string, comment string) {
	var cur strings.Builder
	inWord := false
	var quote rune
	for i, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == '#' && !inWord:
			return words, s[i:]
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case r == '<' || r == '>' || r == '|' || r == ';' || r == '&' || r == '$' || r == '`':
			t.Fatalf("README.md:%d: %q uses shell features (%c) the README test does not run; keep walkthrough commands plain", line, s, r)
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, ""
}

// TestREADMECommands runs the README's commands in order, each as a
// process (the test binary as aivabatch) in a copy of samples/, as a user
// types them in a shell: with --sandbox state in a temporary cache dir
// (XDG_CACHE_HOME) and no AIVA_ variable in the environment (so a command
// that forgets --sandbox fails), and checks each exit code. The standalone
// sandbox is stopped with SIGINT once it says it is serving, and listens
// on a free loopback port. It changes no directory of the test process,
// so it runs beside the other tests.
func TestREADMECommands(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	must(t, err)
	cmds := readmeCommands(t, string(readme))
	if len(cmds) < 6 {
		t.Fatalf("found %d commands in README.md; the parser lost the walkthrough", len(cmds))
	}
	if first := strings.Join(cmds[0].args, " "); first != "import --sandbox samples/customers.csv" {
		t.Errorf("the README's first command is %q; the fresh-clone command must come first", first)
	}
	dir := t.TempDir()
	copyDir(t, "samples", filepath.Join(dir, "samples"))
	env := []string{"AIVABATCH_AS_MAIN=1", "XDG_CACHE_HOME=" + t.TempDir()}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AIVA_") && !strings.HasPrefix(kv, "XDG_CACHE_HOME=") {
			env = append(env, kv)
		}
	}
	for _, c := range cmds {
		name := fmt.Sprintf("README.md:%d %s", c.line, strings.Join(c.args, " "))
		args := c.args
		if len(args) > 0 && args[0] == "sandbox" && !containsFlag(args, "--addr") {
			args = append(args, "--addr", "127.0.0.1:0")
		}
		cmd := exec.Command(os.Args[0], args...)
		cmd.Dir, cmd.Env = dir, env
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if len(args) > 0 && args[0] == "sandbox" {
			cmd.Stdout = &stopOnWrite{w: &out, marker: "Ctrl-C saves the state", stop: func() { cmd.Process.Signal(os.Interrupt) }}
		}
		if err := cmd.Run(); err != nil && cmd.ProcessState == nil {
			t.Fatalf("%s: %v", name, err)
		}
		if code := cmd.ProcessState.ExitCode(); code != c.wantExit {
			t.Errorf("%s: exit %d, README says %d\nstdout:\n%s\nstderr:\n%s", name, code, c.wantExit, &out, &errOut)
		}
	}
}

func containsFlag(args []string, flag string) bool {
	for _, a := range args {
		if a == flag || strings.HasPrefix(a, flag+"=") {
			return true
		}
	}
	return false
}

// stopOnWrite calls stop once what was written contains marker.
type stopOnWrite struct {
	mu     sync.Mutex
	w      *bytes.Buffer
	marker string
	stop   func()
	done   bool
}

func (s *stopOnWrite) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.w.Write(p)
	if !s.done && strings.Contains(s.w.String(), s.marker) {
		s.done = true
		s.stop()
	}
	return n, err
}

// runOutputs are the files the README's commands write beside the
// samples (the .gitignore patterns): a user who ran the first README
// command and then go test ./... has them in samples/, and a copied
// run record would make the test's first import a re-run.
var runOutputs = []string{"*.report.*", "*.validate.*", "*.dry-run.*", "*.journal", "*.state", "*.state.lock", "*.gz", "changed.csv"}

// copyDir copies the files of from into to, leaving out runOutputs.
func copyDir(t *testing.T, from, to string) {
	t.Helper()
	must(t, os.MkdirAll(to, 0o700))
	ents, err := os.ReadDir(from)
	must(t, err)
	for _, e := range ents {
		if e.IsDir() || slices.ContainsFunc(runOutputs, func(p string) bool {
			ok, _ := filepath.Match(p, e.Name())
			return ok
		}) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		must(t, err)
		must(t, os.WriteFile(filepath.Join(to, e.Name()), b, 0o600))
	}
}

// TestREADMEParser checks the parser on the forms the README uses.
func TestREADMEParser(t *testing.T) {
	t.Parallel()
	md := "text\n```sh\ngo run . import --sandbox samples/customers.csv   # the main job\ngo test ./...   # the tests\n```\n" +
		"```sh\n# a comment\naivabatch validate x.xlsx --map \"Lifetime Value=value\" \\\n    --match email   # exit 1\nAIVABATCH_X=1 go test -run x .\n```\n```cron\nnot run\n```\n"
	got := readmeCommands(t, md)
	want := []readmeCommand{
		{line: 3, args: []string{"import", "--sandbox", "samples/customers.csv"}},
		{line: 8, args: []string{"validate", "x.xlsx", "--map", "Lifetime Value=value", "--match", "email"}, wantExit: 1},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}

// TestREADMEAfterARun: the README's two commands in the order a new user
// types them. The first writes its report and run record beside
// samples/customers.csv; the README test that go test ./... then runs
// must still start from the samples alone.
func TestREADMEAfterARun(t *testing.T) {
	t.Parallel()
	names := func(dir string) map[string]bool {
		ents, err := os.ReadDir(dir)
		must(t, err)
		m := map[string]bool{}
		for _, e := range ents {
			m[e.Name()] = true
		}
		return m
	}
	dir := t.TempDir()
	copyDir(t, "samples", dir)
	samples := names(dir)
	cache := t.TempDir()
	stdio, _, errOut := testIO(nil)
	stdio.CacheDir = func() (string, error) { return cache, nil }
	if code := run(t.Context(), []string{"import", "--sandbox", filepath.Join(dir, "customers.csv")}, stdio); code != exitOK {
		t.Fatalf("import: exit %d\n%s", code, errOut)
	}
	var wrote []string
	for name := range names(dir) {
		if !samples[name] {
			wrote = append(wrote, name)
		}
	}
	if len(wrote) == 0 {
		t.Fatal("the import wrote nothing beside the input; the test no longer tests a leftover run")
	}
	again := t.TempDir()
	copyDir(t, dir, again)
	if got := names(again); !maps.Equal(got, samples) {
		t.Errorf("copied %v; want the samples %v alone, without %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(samples)), wrote)
	}
}
