package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress draws a bar on stderr when it is a terminal; elsewhere (a
// cron or CI log), and with --log-format json, it writes a progress line
// every --progress-every instead (startLines).
type progress struct {
	bar *progressbar.ProgressBar
	// bytes: set counts bytes read, and rows come from rowsDone.
	bytes bool
	// invalid and failed are the rows so far with those results; the
	// lines show those the command can have (importing: both;
	// validating: invalid; exporting: neither).
	rows, invalid, failed   atomic.Int64
	withInvalid, withFailed bool
	stop, stopped           chan struct{}
}

func newProgress(stdio *IO, quiet, off bool, total int64, desc string, bytes bool) *progress {
	if quiet || off {
		return &progress{}
	}
	if !stdio.ErrTTY || stdio.jsonLogs() {
		p := &progress{bytes: bytes, withInvalid: desc != "exporting", withFailed: desc == "importing"}
		p.startLines(stdio, desc)
		return p
	}
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(stdio.ErrOut),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("rows"),
		progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionClearOnFinish(),
	}
	if bytes {
		opts = []progressbar.Option{
			progressbar.OptionSetWriter(stdio.ErrOut),
			progressbar.OptionSetDescription(desc),
			progressbar.OptionShowBytes(true),
			progressbar.OptionThrottle(100 * time.Millisecond),
			progressbar.OptionClearOnFinish(),
		}
	}
	return &progress{bar: progressbar.NewOptions64(total, opts...), bytes: bytes}
}

// set is the bar's position: rows done, or bytes read when bytes.
func (p *progress) set(n int64) {
	if p.bar != nil {
		p.bar.Set64(n)
	}
	if !p.bytes {
		p.rows.Store(n)
	}
}

// rowsDone is the number of rows done, for the progress lines.
func (p *progress) rowsDone(n int) { p.rows.Store(int64(n)) }

// problems takes the numbers of invalid and of failed rows so far.
func (p *progress) problems(invalid, failed int) {
	p.invalid.Store(int64(invalid))
	p.failed.Store(int64(failed))
}

// done clears the bar, or stops the progress lines (none is written
// after it returns, so none comes after the summary).
func (p *progress) done() {
	if p.bar != nil {
		p.bar.Finish()
		p.bar = nil // done twice (a question mid-run, then the end) draws once
	}
	if p.stop != nil {
		close(p.stop)
		<-p.stopped
		p.stop = nil
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
func (p *progress) startLines(stdio *IO, desc string) {
	if stdio.progressEvery <= 0 {
		return
	}
	tick := stdio.Ticker
	if tick == nil {
		tick = realTicker
	}
	ticks, stopTicker := tick(stdio.progressEvery)
	p.stop, p.stopped = make(chan struct{}), make(chan struct{})
	go progressLines(stdio.log(), ticks, stopTicker, desc, p, time.Now(), p.stop, p.stopped)
}

// progressLines writes a progress line every tick until stop is closed,
// then closes done.
func progressLines(lg *slog.Logger, ticks <-chan time.Time, stopTicker func(), desc string, p *progress, start time.Time, stop <-chan struct{}, done chan<- struct{}) {
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
		attrs = append(attrs, slog.Float64("rows_per_second", rate), slog.Float64("elapsed_seconds", el.Seconds()), withText(text))
		lg.LogAttrs(context.Background(), slog.LevelInfo, "progress", attrs...)
	}
}

func fileSize(path string) int64 {
	if path == "-" {
		return -1
	}
	st, err := os.Stat(path)
	if err != nil {
		return -1
	}
	return st.Size()
}

// countDataLines counts the lines of a text file after the header, or -1
// when it cannot be read. It reads at memory speed, once, before a run.
func countDataLines(path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return -1
	}
	defer f.Close()
	buf := make([]byte, 256<<10)
	var n int64
	last := byte('\n')
	for {
		m, err := f.Read(buf)
		if m > 0 {
			n += int64(bytes.Count(buf[:m], []byte{'\n'}))
			last = buf[m-1]
		}
		if err != nil {
			break
		}
	}
	if last != '\n' {
		n++
	}
	return max(n-1, 1)
}
