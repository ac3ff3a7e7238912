package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"strings"
	"testing"
	"unicode/utf16"

	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
)

// TestHelp: every way of asking for a command's help prints that
// command's help on stdout and exits 0, with nothing on stderr.
func TestHelp(t *testing.T) {
	t.Parallel()
	for _, cmd := range []string{"import", "validate", "check", "export", "sandbox"} {
		for _, args := range [][]string{{cmd, "--help"}, {cmd, "-h"}, {"help", cmd}, {cmd, "FILE", "--help"}} {
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				stdio, out, errOut := testIO(nil)
				if code := run(context.Background(), args, stdio); code != exitOK {
					t.Errorf("exit %d, want 0", code)
				}
				if errOut.Len() > 0 {
					t.Errorf("stderr:\n%s", errOut)
				}
				if !strings.HasPrefix(out.String(), "Usage: aivabatch "+cmd) || !strings.Contains(out.String(), "\nExample:\n") {
					t.Errorf("stdout is not %s's help:\n%s", cmd, out)
				}
			})
		}
	}
	for _, args := range [][]string{{"--help"}, {"help"}, {"-h"}} {
		stdio, out, errOut := testIO(nil)
		if code := run(context.Background(), args, stdio); code != exitOK || errOut.Len() > 0 || !strings.Contains(out.String(), "aivabatch import FILE") {
			t.Errorf("%v: exit %d, stdout:\n%s\nstderr:\n%s", args, code, out, errOut)
		}
	}
}

// TestHelpFlagNames: flags appear as they are typed (-o, --output), and
// an alias shares its flag's line.
func TestHelpFlagNames(t *testing.T) {
	t.Parallel()
	stdio, out, _ := testIO(nil)
	run(context.Background(), []string{"export", "--help"}, stdio)
	help := out.String()
	if !strings.Contains(help, "\n  -o, --output string\n") {
		t.Errorf("export help does not list -o, --output:\n%s", help)
	}
	for _, line := range strings.Split(help, "\n") {
		f, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		f = strings.TrimSuffix(f, ",")
		if strings.HasPrefix(line, "  -") && (strings.HasPrefix(f, "--") && len(f) == 3 || !strings.HasPrefix(f, "--") && len(f) > 2) {
			t.Errorf("flag printed as %q", f)
		}
	}
	for _, cmd := range []string{"import", "validate"} {
		stdio, out, _ := testIO(nil)
		run(context.Background(), []string{cmd, "--help"}, stdio)
		if !strings.Contains(out.String(), "\n  --map string\n") || strings.Contains(out.String(), " value\n") {
			t.Errorf("%s help: --map should take a string:\n%s", cmd, out)
		}
	}
}

// TestFlagMistakes: a mistyped flag is one line on stderr, with the
// closest flag and where the flags are listed; exit 2, no help dump.
func TestFlagMistakes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string // the whole of stderr
	}{
		{[]string{"import", "big.csv", "--sandbx"}, "aivabatch: unknown flag --sandbx; did you mean --sandbox? (aivabatch import --help lists the flags)\n"},
		{[]string{"import", "-sandbx", "big.csv"}, "aivabatch: unknown flag --sandbx; did you mean --sandbox? (aivabatch import --help lists the flags)\n"},
		{[]string{"export", "--stauts", "active"}, "aivabatch: unknown flag --stauts; did you mean --status? (aivabatch export --help lists the flags)\n"},
		{[]string{"validate", "x.csv", "--xyzzy"}, "aivabatch: unknown flag --xyzzy (aivabatch validate --help lists the flags)\n"},
		{[]string{"import", "x.csv", "--workers", "many"}, "aivabatch: --workers \"many\": want a whole number (aivabatch import --help lists the flags)\n"},
		{[]string{"import", "x.csv", "--timeout", "5"}, "aivabatch: --timeout \"5\": want a duration such as 500ms, 30s or 2m (aivabatch import --help lists the flags)\n"},
		{[]string{"import", "x.csv", "--dry-run=maybe"}, "aivabatch: --dry-run=maybe: want true or false (or leave the value out) (aivabatch import --help lists the flags)\n"},
		{[]string{"validate", "x.csv", "--report"}, "aivabatch: --report needs a value (aivabatch validate --help lists the flags)\n"},
		{[]string{"imprt", "x.csv"}, "aivabatch: unknown command \"imprt\"; did you mean import? (aivabatch --help lists the commands)\n"},
		{[]string{"help", "frobnicate"}, "aivabatch: unknown command \"frobnicate\" (aivabatch --help lists the commands)\n"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			stdio, out, errOut := testIO(nil)
			if code := run(context.Background(), tt.args, stdio); code != exitInput {
				t.Errorf("exit %d, want 2", code)
			}
			if errOut.String() != tt.want {
				t.Errorf("stderr:\n%s\nwant:\n%s", errOut, tt.want)
			}
			if out.Len() > 0 {
				t.Errorf("stdout:\n%s", out)
			}
		})
	}
}

func TestVersionString(t *testing.T) {
	t.Parallel()
	vcs := []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.time", Value: "2026-01-31T10:00:00Z"}, {Key: "vcs.modified", Value: "false"}}
	tests := []struct {
		name, ldflags string
		bi            *debug.BuildInfo
		want          string
	}{
		{"nothing known", "dev", nil, "dev"},
		{"no version, no vcs", "dev", &debug.BuildInfo{GoVersion: "go1.26", Main: debug.Module{Version: "(devel)"}}, "dev (go1.26, no version or VCS information in this build)"},
		{"go install @version", "dev", &debug.BuildInfo{GoVersion: "go1.26", Main: debug.Module{Version: "v1.4.0"}}, "v1.4.0 (go1.26)"},
		{"go build in a clone", "dev", &debug.BuildInfo{GoVersion: "go1.26", Main: debug.Module{Version: "(devel)"}, Settings: vcs}, "devel (commit 0123456789ab, 2026-01-31T10:00:00Z, go1.26)"},
		{"modified tree", "dev", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.1-0.20260131100000-0123456789ab"}, Settings: append(vcs[:2:2], debug.BuildSetting{Key: "vcs.modified", Value: "true"})}, "v1.4.1-0.20260131100000-0123456789ab (commit 0123456789ab+modified, 2026-01-31T10:00:00Z)"},
		{"ldflags win", "v2.0.0", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}, Settings: vcs}, "v2.0.0 (commit 0123456789ab, 2026-01-31T10:00:00Z)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := versionString(tt.ldflags, tt.bi); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	stdio, out, _ := testIO(nil)
	if code := run(context.Background(), []string{"version"}, stdio); code != exitOK || !strings.HasPrefix(out.String(), "aivabatch ") {
		t.Errorf("version: exit %d, %q", code, out)
	}
}

// TestPathMistakes: a directory as input or report, and a report
// extension that picks no format, are each said as they are; the advice
// is never --format, which is the input's.
func TestPathMistakes(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	must(t, os.Mkdir("samples", 0o700))
	must(t, os.WriteFile(filepath.Join("samples", "a.csv"), []byte("name,email\nA,a@example.com\n"), 0o600))
	must(t, os.WriteFile("data.dat", []byte("name,email\nA,a@example.com\n"), 0o600))
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"validate", "samples"}, "aivabatch: samples is a directory; give one file in it, e.g. samples/a.csv\n"},
		{[]string{"import", "samples/", "--sandbox"}, "aivabatch: samples/ is a directory; give one file in it, e.g. samples/a.csv\n"},
		{[]string{"validate", "samples/a.csv", "--report", "r.doc"}, "aivabatch: --report r.doc: the report's format follows its extension; use .csv, .tsv, .xlsx, .ndjson or .jsonl (or .csv.gz, .tsv.gz, .ndjson.gz, .jsonl.gz)\n"},
		{[]string{"validate", "samples/a.csv", "--report", "samples"}, "aivabatch: --report samples is a directory; give a file path such as samples/report.csv\n"},
		{[]string{"validate", "data.dat", "--format", "csv"}, "aivabatch: the default report is named after the input data.dat, whose extension .dat picks no report format; pass --report PATH ending in .csv, .tsv, .xlsx, .ndjson or .jsonl (or .csv.gz, .tsv.gz, .ndjson.gz, .jsonl.gz)\n"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			stdio, _, errOut := testIO(nil)
			if code := run(context.Background(), tt.args, stdio); code != exitInput {
				t.Errorf("exit %d, want 2", code)
			}
			if errOut.String() != tt.want {
				t.Errorf("stderr:\n%s\nwant:\n%s", errOut, tt.want)
			}
		})
	}
	stdio, _, errOut := testIO(nil)
	if code := run(context.Background(), []string{"validate", "data.dat", "--format", "csv", "--report", "data.report.csv"}, stdio); code != exitOK {
		t.Errorf("with --report the .dat input validates: exit %d\n%s", code, errOut)
	}
}

// TestExcelUnicodeText: a file Excel saved as "Unicode Text" (.txt,
// UTF-16LE with a BOM, tab-separated, CRLF) validates and imports in one
// run with no flag: every customer with all of their letters, and the
// report beside it (x.report.txt) in the input's dialect, tab-separated
// UTF-8 with a BOM.
func TestExcelUnicodeText(t *testing.T) {
	t.Parallel()
	text := "Name\tE-mail Address\tPhone\r\nJürgen Größer\tj@example.de\t+49 89 1234567\r\n陈 Mei\tm@example.com\t\r\n"
	data := []byte{0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune(text)) {
		data = append(data, byte(u), byte(u>>8))
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "Kunden.txt")
	must(t, os.WriteFile(in, data, 0o600))
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	env := map[string]string{"AIVA_API_URL": sb.URL, "AIVA_TOKEN": sandbox.TokenReadWrite}
	for _, cmd := range []string{"validate", "import"} {
		stdio, _, errOut := testIO(env)
		if code := run(context.Background(), []string{cmd, in, "--no-progress"}, stdio); code != exitOK {
			t.Fatalf("%s: exit %d; stderr:\n%s", cmd, code, errOut)
		}
	}
	got := map[string]string{}
	for _, c := range tenantCustomers(t, sb.URL) {
		got[c.Email] = c.Name + "|" + c.Phone
	}
	want := map[string]string{"j@example.de": "Jürgen Größer|+49 89 1234567", "m@example.com": "陈 Mei|"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tenant holds %q, want %q", got, want)
	}
	report, err := os.ReadFile(filepath.Join(dir, "Kunden.report.txt"))
	must(t, err)
	if !bytes.HasPrefix(report, []byte("\ufeff_row\t_result\t")) || !bytes.Contains(report, []byte("Jürgen Größer")) {
		t.Errorf("report is not tab-separated UTF-8 with a BOM:\n%q", report)
	}
}

// TestTopUsage: aivabatch --help, drawn from the command table, reads
// as it always has.
func TestTopUsage(t *testing.T) {
	t.Parallel()
	want := `aivabatch moves customer records between files and the Aivapad Customers API.

Usage:
  aivabatch import FILE      create/update/delete customers from FILE ("-" = stdin, needs --format)
  aivabatch validate FILE    offline dry run: parse and validate only, never touches the network
  aivabatch check FILE       compare the tenant with FILE as import reads it, writing nothing
  aivabatch export           list customers into a CSV, XLSX or NDJSON file
  aivabatch sandbox          run a local emulator of the Customers API
  aivabatch version

Run "aivabatch COMMAND --help" for a command's flags and an example.
`
	if got := topUsage(); got != want {
		t.Errorf("aivabatch --help:\n%s\nwant:\n%s", got, want)
	}
	stdio, out, _ := testIO(nil)
	if code := run(context.Background(), []string{"help", "version"}, stdio); code != exitOK || !strings.HasPrefix(out.String(), "Usage: aivabatch version\n") {
		t.Errorf("help version: exit %d\n%s", code, out)
	}
}

// TestFlagSyntax: the flag package's syntax, with flags after the
// arguments and "--" ending the flags.
func TestFlagSyntax(t *testing.T) {
	t.Parallel()
	var workers int
	var quiet bool
	var report string
	c := lookupCommand("import").flags(&IO{})
	c.fs.IntVar(&workers, "workers", 4, "")
	c.fs.BoolVar(&quiet, "quiet", false, "")
	c.fs.StringVar(&report, "report", "", "")
	pos, err := c.parse([]string{"a.csv", "-workers=8", "--quiet", "b", "--report", "--x", "-", "--", "--quiet"})
	if err != nil || workers != 8 || !quiet || report != "--x" || strings.Join(pos, " ") != "a.csv b - --quiet" {
		t.Errorf("pos %q err %v workers %d quiet %v report %q", pos, err, workers, quiet, report)
	}
	for _, args := range [][]string{{"---x"}, {"-=x"}} {
		if _, err := lookupCommand("import").flags(&IO{}).parse(args); err == nil || !strings.HasPrefix(err.Error(), "bad flag syntax: "+args[0]) {
			t.Errorf("%q: %v", args, err)
		}
	}
}
