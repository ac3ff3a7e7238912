// Command aivabatch moves customer records between CSV, XLSX or NDJSON
// files and the Aivapad Customers API. This package only parses flags,
// wires the library packages together and maps errors to exit codes.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/term"

	"aivabatch/batch"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// Exit codes (SPEC §2), all in one place.
const (
	exitOK          = 0   // every row ended well
	exitRowProblems = 1   // finished, some rows invalid or failed
	exitInput       = 2   // usage or input problem before any row was sent
	exitAborted     = 3   // aborted part way
	exitInterrupted = 130 // SIGINT/SIGTERM
)

// IO holds the process's streams so that tests can swap them for buffers.
type IO struct {
	In          io.Reader
	Out, ErrOut io.Writer
	// ErrTTY says whether ErrOut is a terminal (progress bars only then).
	ErrTTY bool
	Getenv func(string) string
	// notice is what a signal is answered with (setNotice).
	notice atomic.Pointer[notice]
	// Ticker starts the ticker of the progress lines; nil means
	// time.NewTicker (tests drive it by hand).
	Ticker tickerFunc
	// lg is where everything human on ErrOut goes (logger);
	// progressEvery is --progress-every.
	lg            atomic.Pointer[logger]
	progressEvery time.Duration
	// CacheDir is where --sandbox keeps its state (os.UserCacheDir); nil
	// means there is none, so that a test never touches the user's.
	CacheDir func() (string, error)
}

func systemIO() *IO {
	return &IO{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		ErrTTY: term.IsTerminal(int(os.Stderr.Fd())),
		Getenv: os.Getenv, CacheDir: os.UserCacheDir,
	}
}

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "validate" || os.Args[1] == "export") {
		tuneGC(os.Args[2:])
	}
	if len(os.Args) > 1 && os.Args[1] == "import" && os.Getenv("GOMEMLIMIT") == "" {
		// A resume of a million rows holds ~100 MB live (the previous
		// outcomes and the customer index); without a limit the heap
		// may grow to twice that before a collection.
		debug.SetMemoryLimit(150 << 20)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	// SIGHUP (the terminal or the ssh session went away) as SIGTERM: the
	// run winds down and writes its report rather than dying.
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	if len(os.Args) > 1 && os.Args[1] == "import" {
		// With the session gone, stderr may be a pipe nobody reads: a
		// write to it must fail (EPIPE, ignored by the logger) instead
		// of killing the import before its report is written.
		signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	}
	sio := systemIO()
	go handleSignals(sigs, sio, cancel, os.Exit)
	os.Exit(run(ctx, os.Args[1:], sio))
}

var errInterrupted = errors.New("interrupted")

// notice is what a command says when a signal arrives: first while it
// winds down, second when a second signal stops it at once. Each
// command sets its own once its flags are parsed, so that it promises
// only what it has (import a journal, export an untouched file).
type notice struct{ first, second string }

var defaultNotice = notice{
	first:  "interrupted; stopping (press Ctrl-C again to stop at once)",
	second: "stopped at once",
}

// setNotice says what the running command will tell a signal.
func (io *IO) setNotice(n notice) { io.notice.Store(&n) }

// handleSignals cancels ctx on the first signal and exits 130 on the
// second, each time saying what the command's state then is.
func handleSignals(sigs <-chan os.Signal, io *IO, cancel context.CancelCauseFunc, exit func(int)) {
	say := func(second bool) {
		n := io.notice.Load()
		if n == nil {
			n = &defaultNotice
		}
		msg := n.first
		if second {
			msg = n.second
		}
		io.logger().notice(slog.LevelWarn, msg)
	}
	<-sigs
	say(false)
	cancel(errInterrupted)
	<-sigs
	say(true)
	exit(exitInterrupted)
}

// errUsage marks a bad command line; its message is printed as is.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

const topUsage = `aivabatch moves customer records between files and the Aivapad Customers API.

Usage:
  aivabatch import FILE      create/update/delete customers from FILE ("-" = stdin, needs --format)
  aivabatch validate FILE    offline dry run: parse and validate only, never touches the network
  aivabatch export           list customers into a CSV, XLSX or NDJSON file
  aivabatch sandbox          run a local emulator of the Customers API
  aivabatch version

Run "aivabatch COMMAND --help" for a command's flags and an example.
`

// run executes one command line and returns the exit code.
func run(ctx context.Context, args []string, io *IO) int {
	if len(args) == 0 {
		fmt.Fprint(io.ErrOut, topUsage)
		return exitInput
	}
	var err error
	var sum *batch.Summary
	switch args[0] {
	case "validate":
		sum, err = runValidate(ctx, args[1:], io)
	case "import":
		sum, err = runImport(ctx, args[1:], io)
	case "export":
		sum, err = runExport(ctx, args[1:], io)
	case "sandbox":
		err = runSandbox(ctx, args[1:], io)
	case "version", "--version":
		bi, ok := debug.ReadBuildInfo()
		if !ok {
			bi = nil
		}
		fmt.Fprintln(io.Out, "aivabatch", versionString(version, bi))
		return exitOK
	case "help", "-h", "--help":
		if len(args) > 1 && args[0] == "help" && slices.Contains(commands, args[1]) && args[1] != "version" {
			return run(ctx, []string{args[1], "--help"}, io)
		}
		if len(args) > 1 && args[0] == "help" {
			return unknownCommand(io, args[1])
		}
		fmt.Fprint(io.Out, topUsage)
		return exitOK
	default:
		return unknownCommand(io, args[0])
	}
	return exitCode(ctx, io, sum, err)
}

// commands are the subcommands, for help and suggestions.
var commands = []string{"import", "validate", "export", "sandbox", "version"}

func unknownCommand(io *IO, name string) int {
	name = redactTokens(name)
	if strings.HasPrefix(name, "-") {
		fmt.Fprintf(io.ErrOut, "aivabatch: %s before a command; flags go after it, e.g. aivabatch import FILE %s (aivabatch --help lists the commands)\n", name, name)
		return exitInput
	}
	if best := closestWord(commands, name); best != "" {
		fmt.Fprintf(io.ErrOut, "aivabatch: unknown command %q; did you mean %s? (aivabatch --help lists the commands)\n", name, best)
		return exitInput
	}
	fmt.Fprintf(io.ErrOut, "aivabatch: unknown command %q (aivabatch --help lists the commands)\n", name)
	return exitInput
}

// versionString says which build this is: the -ldflags version when
// set, else the module version from the build info, with the VCS
// revision and time that go build stamps. "dev" only when nothing is
// known (bi nil, or no version and no revision).
func versionString(ldflags string, bi *debug.BuildInfo) string {
	v := ldflags
	if v == "dev" {
		v = ""
	}
	var rev, at string
	modified := false
	if bi != nil {
		if v == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if v == "" && rev == "" {
		v = "dev"
		if bi != nil && bi.GoVersion != "" {
			v += " (" + bi.GoVersion + ", no version or VCS information in this build)"
		}
		return v
	}
	if v == "" {
		v = "devel"
	}
	var extra []string
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if modified {
			rev += "+modified"
		}
		extra = append(extra, "commit "+rev)
	}
	if at != "" {
		extra = append(extra, at)
	}
	if bi != nil && bi.GoVersion != "" {
		extra = append(extra, bi.GoVersion)
	}
	if len(extra) > 0 {
		v += " (" + strings.Join(extra, ", ") + ")"
	}
	return v
}

// exitCode maps a command's result to the process exit code and prints the
// error, if any.
func exitCode(ctx context.Context, io *IO, sum *batch.Summary, err error) int {
	switch {
	case errors.Is(err, errHelp):
		return exitOK
	case err == nil:
		if sum != nil && sum.Problems() > 0 {
			return exitRowProblems
		}
		return exitOK
	}
	interrupted := errors.Is(context.Cause(ctx), errInterrupted)
	var ue *usageError
	lg := io.logger()
	switch {
	case errors.As(err, &ue):
		lg.errorf("%s", redactTokens(ue.msg))
		return exitInput
	case interrupted && (errors.Is(err, context.Canceled) || errors.Is(err, errInterrupted)):
		lg.errorf("%s", interruptedMessage(sum))
		return exitInterrupted
	case batch.IsInputError(err):
		lg.errorf("%s", redactTokens(err.Error()))
		return exitInput
	case batch.IsAborted(err):
		lg.errorf("%s", redactTokens(err.Error()))
		return exitAborted
	}
	lg.errorf("%s", redactTokens(err.Error()))
	if sum != nil && sum.Rows > 0 {
		return exitAborted
	}
	return exitInput
}

// interruptedMessage says, after a command stopped on a signal, what it
// left behind and what to do: only import has a journal and --resume.
func interruptedMessage(sum *batch.Summary) string {
	if sum == nil {
		return "interrupted before any row was read; nothing was written"
	}
	switch sum.Command {
	case "import":
		return fmt.Sprintf("interrupted; the report %s is complete, rows not sent are not_attempted: run the same command again with --resume", sum.Report)
	case "import --dry-run":
		return fmt.Sprintf("interrupted; the dry-run report %s is complete, rows not planned are not_attempted: run the dry run again (it changes nothing)", sum.Report)
	case "validate":
		return fmt.Sprintf("interrupted; the report %s is incomplete (validate keeps no journal): run validate again", sum.Report)
	case "export":
		if sum.Output == "" || sum.Output == "stdout" {
			return "interrupted; what went to stdout is incomplete: run the export again"
		}
		return fmt.Sprintf("interrupted; %s was not written (a previous file there is as it was): run the export again", sum.Output)
	}
	return "interrupted"
}

// tuneGC is for validate and export, whose pipelines keep little alive
// (bounded batches): collecting less often saves much of the GC's CPU, and
// the soft memory limit makes it collect sooner as the heap nears 32 MiB,
// so peak memory stays where it was. Not for import, which holds more
// alive on a resume (main gives it a soft limit of 150 MiB). GOGC and
// GOMEMLIMIT, when set, win.
//
// The XLSX writer (excelize's StreamWriter) keeps up to 16 MiB of sheet
// XML, in a buffer of up to 32 MiB, before it moves it to its temporary
// file: under a 32 MiB limit the GC would run without pause (an export of
// a million rows took 4× as long), so where an argument names an XLSX
// file or format the limit is 64 MiB.
func tuneGC(args []string) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		limit := int64(32 << 20)
		if namesXLSX(args) {
			limit = 64 << 20
		}
		debug.SetMemoryLimit(limit)
	}
}

// namesXLSX reports whether an argument is an .xlsx path, the xlsx
// format (--format xlsx, --format=xlsx) or a job file (--job FILE.toml),
// which may name either.
func namesXLSX(args []string) bool {
	for _, a := range args {
		a = strings.ToLower(a)
		if strings.HasSuffix(a, ".xlsx") || a == "xlsx" || strings.HasSuffix(a, "=xlsx") || strings.HasSuffix(a, ".toml") {
			return true
		}
	}
	return false
}
