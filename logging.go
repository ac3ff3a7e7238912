package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Everything a command tells a person goes to stderr through one
// *slog.Logger: warnings, notices, --verbose lines, progress lines, the
// summary and the closing error. With --log-format text (the default) a
// record is the line users have always seen; with --log-format json it
// is one JSON object with level, msg and time and the facts as fields,
// for a scheduler or a log platform. Either way a redacting handler
// hides every token-shaped word before the record is written. Safe for
// concurrent use (workers log --verbose lines, a ticker progress lines).
//
// In the text format a record reads as its message, after "aivabatch: "
// at level ERROR and "warning: " at WARN, unless it carries a textLine:
// then that is the line (a notice, "aivabatch: …" at any level; a
// progress line, whose message in json is "progress").

// textLine is what the text format prints for a record in place of its
// message; the JSON format leaves it out (its msg and fields say it).
type textLine string

const textLineKey = "text"

// withText is the attribute that gives a record its text-format line.
func withText(line string) slog.Attr { return slog.Any(textLineKey, textLine(line)) }

// newLogger returns a logger that writes text or JSON records to w.
func newLogger(w io.Writer, json bool) *slog.Logger {
	var h slog.Handler
	if json {
		h = slog.NewJSONHandler(w, &slog.HandlerOptions{
			Level: slog.LevelDebug,
			ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
				if _, ok := a.Value.Any().(textLine); ok {
					return slog.Attr{}
				}
				return a
			},
		})
	} else {
		h = &textHandler{mu: new(sync.Mutex), w: w}
	}
	return slog.New(redactHandler{h})
}

// textHandler writes each record as the one human line (or block) it
// stands for, without time, level or fields.
type textHandler struct {
	mu *sync.Mutex
	w  io.Writer
}

func (h *textHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *textHandler) Handle(_ context.Context, r slog.Record) error {
	var line string
	switch {
	case r.Level >= slog.LevelError:
		line = "aivabatch: " + r.Message
	case r.Level >= slog.LevelWarn:
		line = "warning: " + r.Message
	default:
		line = r.Message
	}
	r.Attrs(func(a slog.Attr) bool {
		if t, ok := a.Value.Any().(textLine); ok {
			line = string(t)
			return false
		}
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	// A write error (stderr gone: EPIPE) is not the run's concern.
	_, _ = io.WriteString(h.w, strings.TrimSuffix(line, "\n")+"\n")
	return nil
}

// WithAttrs drops attrs: a text line holds no fields.
func (h *textHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *textHandler) WithGroup(string) slog.Handler      { return h }

// redactHandler hides token-shaped words (a token pasted into a cell,
// echoed by an error or a URL) in the message and every attribute before
// the record reaches the handler that writes it.
type redactHandler struct{ next slog.Handler }

func (h redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h redactHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, redactTokens(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		red[i] = redactAttr(a)
	}
	return redactHandler{h.next.WithAttrs(red)}
}

func (h redactHandler) WithGroup(name string) slog.Handler {
	return redactHandler{h.next.WithGroup(name)}
}

func redactAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, redactTokens(v.String()))
	case slog.KindGroup:
		g := v.Group()
		red := make([]any, len(g))
		for i, ga := range g {
			red[i] = redactAttr(ga)
		}
		return slog.Group(a.Key, red...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case textLine:
			return slog.Any(a.Key, textLine(redactTokens(string(x))))
		case error:
			return slog.String(a.Key, redactTokens(x.Error()))
		}
		// Lists and maps (first_errors, counts) as the JSON they are
		// written as, redacted.
		b, err := json.Marshal(v.Any())
		if err != nil {
			return slog.String(a.Key, redactTokens(fmt.Sprint(v.Any())))
		}
		if red := redactTokens(string(b)); red != string(b) {
			if !json.Valid([]byte(red)) {
				return slog.String(a.Key, red)
			}
			return slog.Any(a.Key, json.RawMessage(red))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// logState is the logger of a command and its format.
type logState struct {
	*slog.Logger
	json bool
}

// log is the command's logger: text on ErrOut until --log-format says
// otherwise.
func (o *IO) log() *slog.Logger { return o.logState().Logger }

// jsonLogs reports whether --log-format json was given.
func (o *IO) jsonLogs() bool { return o.logState().json }

func (o *IO) logState() *logState {
	if l := o.lg.Load(); l != nil {
		return l
	}
	o.lg.CompareAndSwap(nil, &logState{Logger: newLogger(o.ErrOut, false)})
	return o.lg.Load()
}

func (o *IO) setLogFormat(json bool) {
	o.lg.Store(&logState{Logger: newLogger(o.ErrOut, json), json: json})
}

// notice logs an "aivabatch: …" line the user should see while the run
// goes on (the library's notices, what a signal does).
func notice(lg *slog.Logger, level slog.Level, msg string) {
	lg.LogAttrs(context.Background(), level, msg, withText("aivabatch: "+msg))
}

// logFormat is the --log-format flag: setting it switches the IO's
// logger at once, so that what goes wrong later on the command line is
// already reported in the format asked for.
type logFormat struct {
	stdio *IO
	v     string
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
		f.stdio.setLogFormat(v == "json")
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
	c.fs.Var(&logFormat{stdio: c.stdio}, logFormatFlag, `stderr as text or json: with json every line is one JSON object (level, msg, time and fields), e.g. --log-format json 2> run.log`)
	c.fs.DurationVar(&c.stdio.progressEvery, progressEveryFlag, defaultProgressGap, "when stderr is not a terminal (cron, CI), a progress line this often (rows, rows/s, failures, elapsed); 0 = none, e.g. --progress-every 1m")
}
