package main

import (
	"context"
	"log/slog"
	"os"
)

// signalNotice is what a command says when a signal arrives: first while it
// winds down, second when a second signal stops it at once. Each
// command sets its own once its flags are parsed, so that it promises
// only what it has (import a journal, export an untouched file).
type signalNotice struct{ first, second string }

var defaultNotice = signalNotice{
	first:  "interrupted; stopping (press Ctrl-C again to stop at once)",
	second: "stopped at once",
}

// setNotice says what the running command will tell a signal.
func (o *IO) setNotice(n signalNotice) { o.notice.Store(&n) }

// handleSignals cancels ctx on the first signal and exits 130 on the
// second, each time saying what the command's state then is.
func handleSignals(sigs <-chan os.Signal, o *IO, cancel context.CancelCauseFunc, exit func(int)) {
	say := func(second bool) {
		n := o.notice.Load()
		if n == nil {
			n = &defaultNotice
		}
		msg := n.first
		if second {
			msg = n.second
		}
		notice(o.log(), slog.LevelWarn, msg)
	}
	<-sigs
	say(false)
	cancel(errInterrupted)
	<-sigs
	say(true)
	exit(exitInterrupted)
}
