// Command aivabatch moves customer records between CSV, XLSX or NDJSON
// files and the Aivapad Customers API. This package only parses flags,
// wires the library packages together and maps errors to exit codes.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/term"

	"aivabatch/batch"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// Exit codes, all in one place (README "Exit codes").
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
	notice atomic.Pointer[signalNotice]
	// Ticker starts the ticker of the progress lines; nil means
	// time.NewTicker (tests drive it by hand).
	Ticker tickerFunc
	// lg is where everything human on ErrOut goes (logging.go);
	// progressEvery is --progress-every.
	lg            atomic.Pointer[logState]
	progressEvery time.Duration
	// CacheDir is where --sandbox keeps its state (os.UserCacheDir); nil
	// means there is none, so that a test never touches the user's.
	CacheDir func() (string, error)
	// Tune, when not nil, sets up the process for the command about to
	// run, once its flags are parsed (the GC and the memory limit, the
	// SIGPIPE of import: see tune.go). Only main sets it, so that a test
	// never changes its own process.
	Tune func(processTuning)
}

func systemIO() *IO {
	return &IO{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		ErrTTY: term.IsTerminal(int(os.Stderr.Fd())),
		Getenv: os.Getenv, CacheDir: os.UserCacheDir, Tune: applyTuning,
	}
}

func main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	// SIGHUP (the terminal or the ssh session went away) as SIGTERM: the
	// run winds down and writes its report rather than dying.
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	sio := systemIO()
	go handleSignals(sigs, sio, cancel, os.Exit)
	os.Exit(run(ctx, os.Args[1:], sio))
}

var errInterrupted = errors.New("interrupted")

// usageError marks a bad command line; its message is printed as is.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// run executes one command line and returns the exit code.
func run(ctx context.Context, args []string, stdio *IO) int {
	if len(args) == 0 {
		fmt.Fprint(stdio.ErrOut, topUsage())
		return exitInput
	}
	name, rest := args[0], args[1:]
	switch {
	case name == "-h" || name == "--help" || name == "help" && len(rest) == 0:
		fmt.Fprint(stdio.Out, topUsage())
		return exitOK
	case name == "help":
		name, rest = rest[0], []string{"--help"}
	case name == "--version":
		name = "version"
	}
	cmd := lookupCommand(name)
	if cmd == nil {
		return unknownCommand(stdio, name)
	}
	sum, err := cmd.Run(ctx, cmd, stdio, rest)
	return exitCode(ctx, stdio, sum, err)
}

// exitCode maps a command's result to the process exit code and prints the
// error, if any.
func exitCode(ctx context.Context, stdio *IO, sum *batch.Summary, err error) int {
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
	lg := stdio.log()
	switch {
	case errors.As(err, &ue):
		lg.Error(ue.msg)
		return exitInput
	case interrupted && (errors.Is(err, context.Canceled) || errors.Is(err, errInterrupted)):
		lg.Error(interruptedMessage(sum))
		return exitInterrupted
	case batch.IsInputError(err):
		lg.Error(errorText(err))
		return exitInput
	case batch.IsAborted(err):
		lg.Error(errorText(err))
		return exitAborted
	}
	lg.Error(errorText(err))
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
	case batch.CommandImport:
		return fmt.Sprintf("interrupted; the report %s is complete, rows not sent are not_attempted: run the same command again with --resume", sum.Report)
	case batch.CommandImportDryRun:
		return fmt.Sprintf("interrupted; the dry-run report %s is complete, rows not planned are not_attempted: run the dry run again (it changes nothing)", sum.Report)
	case batch.CommandCheck:
		return fmt.Sprintf("interrupted; the check wrote nothing to the API and its report %s is incomplete: run it again", sum.Report)
	case batch.CommandValidate:
		return fmt.Sprintf("interrupted; the report %s is incomplete (validate keeps no journal): run validate again", sum.Report)
	case batch.CommandExport:
		if sum.Output == "" || sum.Output == "stdout" {
			return "interrupted; what went to stdout is incomplete: run the export again"
		}
		return fmt.Sprintf("interrupted; %s was not written (a previous file there is as it was): run the export again", sum.Output)
	}
	return "interrupted"
}
