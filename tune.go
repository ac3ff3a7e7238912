package main

import (
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// processTuning is how the process is set up for a command, once its
// flags say what it will do.
type processTuning struct {
	// gcPercent and memoryLimit, when not 0, are set unless GOGC and
	// GOMEMLIMIT are (the user's settings win).
	gcPercent   int
	memoryLimit int64
	// ignoreSIGPIPE: a write to a stderr nobody reads any more fails
	// (EPIPE, ignored by the logger) instead of killing the process.
	ignoreSIGPIPE bool
}

// importTuning is import's: a resume of a million rows holds ~100 MB
// live (the previous outcomes and the customer index); without a limit
// the heap may grow to twice that before a collection. With the session
// gone, stderr may be a pipe nobody reads: a write to it must not kill
// the import before its report is written.
var importTuning = processTuning{memoryLimit: 150 << 20, ignoreSIGPIPE: true}

// streamTuning is for validate and export, whose pipelines keep little
// alive (bounded batches): collecting less often saves much of the GC's
// CPU, and the soft memory limit makes it collect sooner as the heap
// nears 32 MiB, so peak memory stays where it was.
//
// The XLSX writer (excelize's StreamWriter) keeps up to 16 MiB of sheet
// XML, in a buffer of up to 32 MiB, before it moves it to its temporary
// file: under a 32 MiB limit the GC would run without pause (an export of
// a million rows took 4× as long), so when the command reads or writes
// XLSX the limit is 64 MiB.
func streamTuning(xlsx bool) processTuning {
	t := processTuning{gcPercent: 400, memoryLimit: 32 << 20}
	if xlsx {
		t.memoryLimit = 64 << 20
	}
	return t
}

// tune hands t to IO.Tune, when set.
func (o *IO) tune(t processTuning) {
	if o.Tune != nil {
		o.Tune(t)
	}
}

// applyTuning sets up this process as t says (systemIO's Tune).
func applyTuning(t processTuning) {
	if t.gcPercent != 0 && os.Getenv("GOGC") == "" {
		debug.SetGCPercent(t.gcPercent)
	}
	if t.memoryLimit != 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(t.memoryLimit)
	}
	if t.ignoreSIGPIPE {
		signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	}
}
