package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	stdio "io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"aivabatch/batch"
)

// logger is the one place what a command tells a person goes on
// stderr: warnings, notices, --verbose lines, progress lines, the summary
// and the closing error. As text (the default) each is the line users
// have always seen; with --log-format json each is one JSON object with
// level, msg and time and the facts as fields, for a scheduler or a log
// platform. Both redact anything shaped like a token. Safe for
// concurrent use (workers log --verbose lines, a ticker progress lines).
type logger struct {
	mu sync.Mutex
	w  stdio.Writer
	sl *slog.Logger // nil: text
}

func newLogger(w stdio.Writer, json bool) *logger {
	l := &logger{w: w}
	if json {
		l.sl = slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{
			Level: slog.LevelDebug,
			ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
				if a.Value.Kind() == slog.KindString {
					a.Value = slog.StringValue(redactTokens(a.Value.String()))
				}
				return a
			},
		}))
	}
	return l
}

// logger is the command's logger: text on ErrOut until --log-format
// says otherwise.
func (io *IO) logger() *logger {
	if l := io.lg.Load(); l != nil {
		return l
	}
	io.lg.CompareAndSwap(nil, newLogger(io.ErrOut, false))
	return io.lg.Load()
}

func (l *logger) isJSON() bool { return l.sl != nil }

// print writes text as is (text format), or msg at level with attrs
// (json format).
func (l *logger) print(level slog.Level, text, msg string, attrs ...slog.Attr) {
	if l.sl != nil {
		l.sl.LogAttrs(context.Background(), level, redactTokens(msg), attrs...)
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprint(l.w, redactTokens(strings.TrimSuffix(text, "\n"))+"\n")
}

// errorf is the closing "aivabatch: …" line of a run that failed.
func (l *logger) errorf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	l.print(slog.LevelError, "aivabatch: "+msg, msg)
}

// notice is an "aivabatch: …" line the user should see while the run goes on.
func (l *logger) notice(level slog.Level, msg string) {
	l.print(level, "aivabatch: "+msg, msg)
}

func (l *logger) warn(msg string) { l.print(slog.LevelWarn, "warning: "+msg, msg) }

// debug is a --verbose line (requests, responses, retry decisions).
func (l *logger) debug(line string) { l.print(slog.LevelDebug, line, line) }

// info is a line of the outcome, with its facts as fields in json.
func (l *logger) info(text string, attrs ...slog.Attr) {
	l.print(slog.LevelInfo, text, text, attrs...)
}

// logFormat is the --log-format flag: setting it switches the IO's
// logger at once, so that what goes wrong later on the command line is
// already reported in the format asked for.
type logFormat struct {
	io *IO
	v  string
}

func (f *logFormat) String() string {
	if f == nil || f.v == "" {
		return "text"
	}
	return f.v
}

func (f *logFormat) Set(s string) error {
	switch v := strings.ToLower(s); v {
	case "text", "json":
		f.v = v
		f.io.lg.Store(newLogger(f.io.ErrOut, v == "json"))
		return nil
	}
	return fmt.Errorf("text or json")
}

const (
	logFormatFlag      = "log-format"
	progressEveryFlag  = "progress-every"
	defaultProgressGap = 10 * time.Second
)

// logFlags registers --log-format and --progress-every.
func (c *command) logFlags() {
	c.fs.Var(&logFormat{io: c.io}, logFormatFlag, `stderr as text or json: with json every line is one JSON object (level, msg, time and fields), e.g. --log-format json 2> run.log`)
	c.fs.DurationVar(&c.io.progressEvery, progressEveryFlag, defaultProgressGap, "when stderr is not a terminal (cron, CI), a progress line this often (rows, rows/s, failures, elapsed); 0 = none, e.g. --progress-every 1m")
}

// presetLogFormat applies --log-format before anything else in args is
// looked at, so that an error in an earlier flag or the job file comes
// out in that format too.
func (c *command) presetLogFormat(args []string) {
	if c.fs.Lookup(logFormatFlag) == nil {
		return
	}
	if v, ok := lastFlagValue(args, logFormatFlag); ok {
		_ = c.fs.Lookup(logFormatFlag).Value.Set(v) // a bad value is reported by parse
	}
}

// tickerFunc starts a ticker: its channel and the function that stops it.
type tickerFunc func(d time.Duration) (<-chan time.Time, func())

func realTicker(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}

// startLines starts the progress lines, one every --progress-every
// (none when it is 0), until done.
func (p *progress) startLines(io *IO, desc string) {
	if io.progressEvery <= 0 {
		return
	}
	tick := io.Ticker
	if tick == nil {
		tick = realTicker
	}
	ticks, stopTicker := tick(io.progressEvery)
	p.stop, p.stopped = make(chan struct{}), make(chan struct{})
	go progressLines(io.logger(), ticks, stopTicker, desc, p, time.Now(), p.stop, p.stopped)
}

// progressLines writes a progress line every tick until stop is closed,
// then closes done.
func progressLines(l *logger, ticks <-chan time.Time, stopTicker func(), desc string, p *progress, start time.Time, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	defer stopTicker()
	for {
		select {
		case <-stop:
			return
		case <-ticks:
		}
		rows, invalid, failed := p.rows.Load(), p.invalid.Load(), p.failed.Load()
		el := time.Since(start)
		rate := 0.0
		if el > 0 {
			rate = float64(rows) / el.Seconds()
		}
		// Invalid rows (fix the file) and failed rows (the API) are
		// different things: each is counted under its own word.
		var counts string
		attrs := []slog.Attr{slog.String("stage", desc), slog.Int64("rows", rows)}
		if p.withInvalid {
			counts += fmt.Sprintf(", %d invalid", invalid)
			attrs = append(attrs, slog.Int64("invalid", invalid))
		}
		if p.withFailed {
			counts += fmt.Sprintf(", %d failed", failed)
			attrs = append(attrs, slog.Int64("failed", failed))
		}
		text := fmt.Sprintf("%s: %d rows%s, %.0f rows/s, %s elapsed", desc, rows, counts, rate, el.Round(time.Second))
		attrs = append(attrs, slog.Float64("rows_per_second", rate), slog.Float64("elapsed_seconds", el.Seconds()))
		l.print(slog.LevelInfo, text, "progress", attrs...)
	}
}

// summaryJSON writes the summary as json records: each warning, then
// one record whose fields are the summary's (command, rows, counts,
// elapsed_seconds, report, …), the same as --summary-json's.
func (l *logger) summaryJSON(s *batch.Summary, runErr error, extra ...slog.Attr) {
	for _, w := range s.Warnings {
		l.warn(w)
	}
	var fields map[string]any
	b, err := json.Marshal(s)
	if err == nil {
		b = []byte(redactTokens(string(b)))
		err = json.Unmarshal(b, &fields)
	}
	if err != nil {
		fields = map[string]any{"command": s.Command, "rows": s.Rows}
	}
	delete(fields, "warnings")
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	attrs := make([]slog.Attr, 0, len(keys)+len(extra)+2)
	for _, k := range keys {
		attrs = append(attrs, slog.Any(k, fields[k]))
	}
	if cause := writeFailure(runErr); cause != "" && s.Report != "" {
		attrs = append(attrs, slog.Bool("report_incomplete", true), slog.String("write_error", cause))
		if jp := batch.JournalPath(s.Report); s.Command == "import" && fileExists(jp) {
			attrs = append(attrs, slog.String("journal", jp), slog.String("next", "once that is fixed, run the same command again with --resume"))
		} else {
			attrs = append(attrs, slog.String("next", "once that is fixed, run the same command again"))
		}
	}
	attrs = append(attrs, extra...)
	l.print(slog.LevelInfo, "", summaryLine(s, runErr), attrs...)
}

var _ flag.Value = (*logFormat)(nil)
