package batch

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"aivabatch/apiclient"
	"aivabatch/batch/customer"
)

// ImportConfig configures Import.
type ImportConfig struct {
	InputConfig
	// Client talks to the API; its limiter is shared by every worker.
	Client *apiclient.Client
	// Workers is the number of concurrent senders (default 4).
	Workers int
	// BlankClear sends blank cells of an update as empty strings
	// (--blank clear) instead of leaving the current values.
	BlankClear bool
	// Overwrite holds back, by field, what an update may change
	// (--overwrite); a field not in it is always sent.
	Overwrite Overwrites
	// DryRun reads the API but never writes: results are would_*.
	DryRun bool
	// Undo, when set, is the path of an import file that reverses the run.
	Undo string
	// Resume skips rows a previous run at the same report path confirmed.
	Resume bool
	// MaxErrors stops the run after that many failed rows (0 = no limit);
	// MaxErrorsPercent after that share of the rows sent so far (checked
	// once at least 20 rows were sent).
	MaxErrors        int
	MaxErrorsPercent float64
	// Retries bounds how often an unknown create is reconciled and re-sent.
	Retries int
	// Drain is how long requests in flight may run on after ctx is
	// cancelled (SIGINT) before they are cut (default 30s).
	Drain time.Duration
	// Window bounds how many rows may be between reading and the report
	// (default 4096): memory stays flat however many rows there are.
	Window int
	// Timeout is the client's per-request timeout, recorded in the journal
	// as the default --settle of a run that resumes this one.
	Timeout time.Duration
	// Settle is how long after the interrupted run's last journal write a
	// resume waits before it lists and resolves in-doubt creates; < 0
	// means the interrupted run's Timeout.
	Settle time.Duration
	// Notice, when set, is told things the user should know while the run
	// goes on (the settle wait).
	Notice func(msg string)
	// Mirror: see MirrorConfig (mirror.go).
	MirrorConfig

	// reconEvery and reconBatch override, for tests, how often the
	// resolver may list (30 s) and how many rows in doubt make it list
	// sooner (1,000).
	reconEvery time.Duration
	reconBatch int
}

// Import runs the import pipeline: reader → validate → plan →
// Workers senders sharing the client's limiter → one goroutine that writes
// the report in input order, the journal and the undo file.
//
// Every input row appears in the report exactly once, also when the run is
// aborted (403, --max-errors: *AbortedError) or ctx is cancelled (then the
// returned error is ctx's). Row problems are results, counted in the
// summary. An *InputError means nothing was sent.
func Import(ctx context.Context, cfg ImportConfig) (*Summary, error) {
	start := time.Now()
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.Window <= 0 {
		cfg.Window = 4096
	}
	if cfg.Drain <= 0 {
		cfg.Drain = 30 * time.Second
	}
	if cfg.Client == nil {
		return nil, inputErr("no API client configured")
	}
	if err := cfg.checkMirror(); err != nil {
		return nil, err
	}
	if cfg.DryRun && cfg.Report == "" {
		cfg.Report = DefaultDryRunReportPath(cfg.Path, cfg.ReportSheet())
	}
	in, release, err := openInputCtx(ctx, &cfg.InputConfig)
	if err != nil {
		return nil, err
	}
	defer release()
	if err := checkImportPaths(&cfg, in.report); err != nil {
		return nil, err
	}
	if !cfg.DryRun {
		// One run per report: a second import or resume would read the
		// journal the first one writes and send its rows again.
		unlock, err := lockReport(in.report)
		if err != nil {
			return nil, err
		}
		defer unlock()
	}

	var prev *previous
	if jp := PendingJournal(in.report); !cfg.Resume && !cfg.DryRun && jp != "" {
		// Starting over would drop what the unfinished run confirmed and
		// send its creates again.
		return nil, &InputError{Err: &UnfinishedError{Journal: jp}}
	}
	fp := fingerprint(in)
	if !cfg.Resume && !cfg.MatchEmail && !cfg.DryRun {
		// The same file again would create the same customers again.
		if err := rerunGuard(&cfg, in.report, fp); err != nil {
			return nil, err
		}
	}
	if cfg.Resume {
		if prev, err = loadPrevious(in.report, reportKeyer{m: in.m, json: cfg.isJSON()}, cfg.reportReader()); err != nil {
			return nil, &InputError{Err: err}
		}
		for _, w := range prev.warnings {
			if cfg.Notice != nil {
				cfg.Notice(w)
			}
		}
	}
	var idx *custIndex
	var listErr error
	var listTook time.Duration // how long the list at start took
	if !cfg.Resume && needList(&cfg, in.m) {
		// Listed before the report is opened, so that an id column of
		// another system stops the run with nothing written. A resume
		// lists after its settle wait instead.
		t0 := time.Now()
		idx, listErr = listIndex(ctx, &cfg)
		listTook = time.Since(t0)
		if listErr == nil {
			if err := checkIDColumn(in, idx, &cfg); err != nil {
				idx.close()
				return nil, err
			}
		}
	}
	rw, err := openReport(in.report, in.r)
	if err != nil {
		return nil, err
	}
	runID := rand.Text()
	jr, err := openJournal(JournalPath(in.report), journalEntry{Run: runID, TimeoutMS: cfg.Timeout.Milliseconds()})
	if err != nil {
		rw.Close()
		return nil, err
	}
	var undo *undoWriter
	if cfg.Undo != "" && !cfg.DryRun {
		if undo, err = openUndo(cfg.Undo, cfg.Resume); err != nil {
			jr.close(false)
			rw.Close()
			return nil, err
		}
		jr.setBeforeFlush(undo.flush)
	}

	sum := newSummary(CommandImport)
	sum.Warnings = append(sum.Warnings, cfg.unusedValueMaps(in.m)...)
	if cfg.DryRun {
		sum.Command = CommandImportDryRun
	}
	sum.Input, sum.Report = cfg.Path, in.report
	im := &importer{cfg: &cfg, in: in, rw: rw, prev: prev, sum: sum, undo: undo, journal: jr, idx: idx, listErr: listErr, listTook: listTook,
		v: cfg.validator(in)}
	if cfg.DeleteMissing {
		im.mirror = &mirror{}
	}
	defer im.v.Close()

	// Requests in flight may finish after ctx is cancelled, up to Drain.
	reqCtx, reqCancel := context.WithCancel(context.WithoutCancel(ctx))
	defer reqCancel()
	finished := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			t := time.NewTimer(cfg.Drain)
			defer t.Stop()
			select {
			case <-t.C:
				reqCancel()
			case <-finished:
			}
		case <-finished:
		}
	}()
	im.ctx, im.reqCtx = ctx, reqCtx
	im.runID = runID
	im.resultCol, im.idCol = -1, -1
	for i, h := range in.r.Header() {
		switch strings.TrimSpace(h) {
		case "_result":
			im.resultCol = i
		case "_customer_id":
			im.idCol = i
		}
	}
	im.recon = newResolver(im, cfg.reconEvery, cfg.reconBatch, cfg.Workers)

	im.settle()
	runErr := im.run()
	if runErr == nil {
		runErr = im.mirrorDeletes()
	}
	close(finished)
	im.idx.close()

	// The report, the undo file and the run record are synced to the
	// disk (file, then directory) before the journal is removed: after
	// a power cut, what --resume and the re-run guard need is there.
	if undo != nil {
		if err := undo.close(); err != nil {
			sum.UndoError = err.Error()
			if runErr == nil {
				runErr = &AbortedError{Reason: fmt.Sprintf("could not write the undo file %s (%v): it does not hold every change of this run; free space or fix the path", cfg.Undo, err), Fix: FixResume}
			}
		}
	}
	rerr := rw.Close()
	if im.reportErr != nil {
		rerr = im.reportErr
	}
	complete := runErr == nil && rerr == nil && im.undoFailed() == nil
	// A run stopped during its settle wait resolved nothing: the journal
	// must stay, with the interrupted run's intents, for the next resume.
	keepDoubt := prev != nil && (prev.creates > 0 || prev.damaged > 0) && !im.settled
	if complete && !keepDoubt && !cfg.DryRun {
		rec := runRecord{Finished: time.Now().UTC(), Input: cfg.Path, Fingerprint: fp, Rows: sum.Rows, Counts: sum.Counts}
		if err := appendRun(in.report, rec); err != nil {
			// The journal stays: a --resume finishes the job.
			complete = false
			if runErr == nil {
				runErr = fmt.Errorf("recording the finished run in %s: %w", RunsPath(in.report), err)
			}
		}
	}
	if jerr := jr.close(complete && !keepDoubt); jerr != nil && runErr == nil {
		runErr = fmt.Errorf("writing the journal: %w", jerr)
	}
	if rerr != nil && runErr == nil {
		runErr = fmt.Errorf("writing the report %s: %w", in.report, rerr)
	}
	sum.finish(start)
	st := cfg.Client.Stats()
	sum.Requests, sum.Retries, sum.Throttle = st.Attempts, st.Retries, st.Throttled
	if runErr != nil {
		return sum, runErr
	}
	if err := im.mirrorStop(); err != nil {
		return sum, err
	}
	if ae := im.finalAbort(); ae != nil {
		sum.Aborted = ae.Error()
		return sum, ae
	}
	if ctx.Err() != nil {
		sum.Aborted = "interrupted"
		return sum, ctx.Err()
	}
	return sum, nil
}

// validator checks the rows of cfg's input: one construction for
// Import, Check and CountDeletes, so that a job file means the same to
// each of them.
func (cfg *ImportConfig) validator(in *input) *customer.Validator {
	return customer.NewValidator(in.m, cfg.validatorOptions())
}

type importer struct {
	cfg     *ImportConfig
	in      *input
	rw      *reportWriter
	v       *customer.Validator
	prev    *previous // nil unless --resume
	sum     *Summary
	undo    *undoWriter
	journal *journal
	recon   *resolver

	ctx, reqCtx context.Context

	// Known customers, from the one list at start (nil when not listed).
	idx     *custIndex
	listErr error // the list before the report was opened failed
	// listTook is how long the list at start took: the resolver paces
	// its own lists by it.
	listTook time.Duration

	mirror *mirror // --delete-missing: the customers rows matched (mirror.go)

	runID     string // random, per run: see idempotencyKey
	reportErr error  // the report write that failed (report goroutine only)
	settled   bool   // the settle wait of a resume ran to its end

	// resultCol and idCol are the _result and _customer_id columns when
	// the input is a report (else -1).
	resultCol, idCol int

	aborted atomic.Pointer[abortInfo]
	sent    atomic.Int64 // rows that reached the API
	nfailed atomic.Int64 // rows failed so far
}

// job is one row on its way through the pipeline.
type job struct {
	seq  int
	rec  *customer.Record
	hash string
	// key is what a later resume finds the row's outcome by (rowKey).
	key  string
	plan plan
	out  Outcome
	// journaled: the worker wrote the outcome to the journal already.
	journaled bool
	// undone: the row's line of the undo file was written (or needs none).
	undone bool
	// refused: the server answered the row's first call with a 4xx, so
	// it holds nothing of it (the intent is void).
	refused bool
	// leftOut: --skip or --limit left the row out (not_attempted).
	leftOut bool
	// lost is the error of a create whose outcome is unknown: the row
	// waits for the resolver. attempts counts the creates sent.
	lost     error
	attempts int
	// doubt marks a stand-in the report goroutine gets for a row handed
	// to the resolver: the row itself comes later, settled.
	doubt bool
}

// abort stops the run: short says why in a few words for the rows not
// sent, reason in full for the summary.
func (im *importer) abort(short, reason string) {
	im.aborted.CompareAndSwap(nil, &abortInfo{short: short, reason: reason})
}

// abortResume is abort for a cause that, once fixed, a resume finishes.
func (im *importer) abortResume(short, reason string) {
	im.aborted.CompareAndSwap(nil, &abortInfo{short: short, reason: reason, fix: FixResume})
}

type abortInfo struct {
	short, reason string
	fix           Fix
}

// noMoreSends says no new row may be sent: the run was aborted (403,
// --max-errors, the journal or the report failed) or interrupted (a
// signal).
func (im *importer) noMoreSends() bool {
	return im.aborted.Load() != nil || im.ctx.Err() != nil
}

// settle waits, on a resume, until the creates the interrupted run had in
// flight can no longer land: a server goes on with a request whose client
// was killed, and a list read before such a create commits would not show
// it, so the row would be created twice. Rows with no intent were never
// sent and need no wait; updates and deletes are idempotent.
func (im *importer) settle() {
	p := im.prev
	if p == nil || p.creates == 0 && p.damaged == 0 {
		return
	}
	defer func() { im.settled = im.ctx.Err() == nil }()
	d := im.cfg.Settle
	if d < 0 {
		d = p.timeout
		if d <= 0 {
			d = 30 * time.Second
		}
	}
	wait := time.Until(p.lastWrite.Add(d))
	if wait <= 0 {
		return
	}
	if im.cfg.Notice != nil {
		what := "creates of the interrupted run were"
		if p.creates == 1 {
			what = "create of the interrupted run was"
		}
		msg := fmt.Sprintf("%d %s in flight; waiting %s for the server to finish them (%s to change)", p.creates, what, wait.Round(time.Second), im.cfg.option(OptSettle))
		if p.creates == 0 {
			// What the unreadable lines said is unknown: they may have
			// been creates the server is still finishing.
			msg = fmt.Sprintf("the journal is damaged, so creates of the interrupted run may be in flight; waiting %s for the server to finish them (%s to change)", wait.Round(time.Second), im.cfg.option(OptSettle))
		}
		im.cfg.Notice(msg)
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-im.ctx.Done():
	}
}

func (im *importer) run() error {
	if needList(im.cfg, im.in.m) {
		if err := im.listAll(); err != nil {
			if im.ctx.Err() != nil {
				// Interrupted during the list: every row is not_attempted.
			} else {
				im.abort("the customer list at start failed", fmt.Sprintf("could not list the customers at start: %v", err))
			}
		}
	} else if err := im.listAll(); err != nil {
		// --match none: the list only tells a lost create from a customer
		// the tenant held before the run with the same email (see
		// resolver.settle). A token that cannot list (write-only) runs
		// without it: such a create is then never confirmed by email.
		im.idx = nil
		if im.cfg.Notice != nil && im.ctx.Err() == nil {
			im.cfg.Notice(fmt.Sprintf("could not list the customers at start (%v): a create whose answer is lost will be reported failed, not confirmed by email", err))
		}
	}

	jobs := make(chan *job, im.cfg.Workers)
	results := make(chan *job, im.cfg.Workers*2)
	slots := make(chan struct{}, im.cfg.Window)

	// The producer, the workers and the resolver run in an errgroup
	// whose error is read from Wait. It has no group context on purpose:
	// a read error ends the reading, not the run (the rows already read
	// are sent and reported, else the server would hold customers the
	// report does not show). What stops everyone is gctx, cancelled when
	// this goroutine cannot record a row (the journal or the undo file
	// fails): then nobody hands on rows any more, and results is drained
	// so that every sender can return.
	gctx, stop := context.WithCancel(context.Background())
	defer stop()
	var g errgroup.Group
	g.Go(func() error {
		defer close(jobs)
		return im.produce(gctx, jobs, results, slots)
	})
	var senders sync.WaitGroup
	for range im.cfg.Workers {
		senders.Add(1)
		g.Go(func() error {
			defer senders.Done()
			for j := range jobs {
				im.send(j)
				if j.lost != nil {
					// In doubt: the report holds its place, the resolver
					// settles it with others, and this worker goes on.
					select {
					case results <- &job{seq: j.seq, doubt: true}:
					case <-gctx.Done():
						return nil
					}
					im.recon.park(j)
					continue
				}
				im.journalDone(j)
				select {
				case results <- j:
				case <-gctx.Done():
					return nil
				}
			}
			return nil
		})
	}
	im.recon.deliver = func(j *job) {
		im.journalDone(j)
		select {
		case results <- j:
		case <-gctx.Done():
		}
	}
	g.Go(func() error {
		senders.Wait()
		im.recon.close()
		return nil
	})
	g.Go(func() error {
		im.recon.run(gctx, func(f func()) { g.Go(func() error { f(); return nil }) })
		return nil
	})
	var readErr error // the group's error: the producer's; set before results closes
	go func() { readErr = g.Wait(); close(results) }()

	// The report goroutine: this one. It owns the report, the summary,
	// the journal order and the undo file, and writes rows in input order.
	// A row in doubt keeps its place while the rows after it wait in the
	// backlog, on disk, until the resolver settles it. Its slot of the
	// window is freed: the resolver bounds how many rows wait with it.
	pending := make(map[int]*job)
	inBacklog := make(map[int]bool) // rows in doubt whose place is in the backlog
	settled := make(map[int]*job)   // such rows, settled
	bl := &backlog{undo: im.undo != nil}
	defer bl.close()
	next := 0
	var recordErr error
	recordOne := func(j *job) {
		if err := im.record(j); err != nil {
			recordErr = err
			stop()
		}
	}
	// drain records up to n rows from the front of the backlog, as far as
	// they are settled; it reports whether it stopped for the limit.
	drain := func(n int) bool {
		for ; n > 0 && recordErr == nil && !bl.empty(); n-- {
			if e := bl.front(); !e.disk {
				j, ok := settled[e.seq]
				if !ok {
					return false
				}
				delete(settled, e.seq)
				bl.pop()
				recordOne(j)
				continue
			}
			j, err := bl.popJob()
			if err != nil {
				recordErr = err
				stop()
				return false
			}
			recordOne(j)
		}
		return n == 0
	}
	more := false // the backlog's front is settled: rows to record
	for {
		var j *job
		var ok bool
		if more {
			// Rows to record, but the senders come first: drain while
			// nothing arrives, so that a list settling a thousand rows
			// does not stall every worker while their rows are written.
			select {
			case j, ok = <-results:
			default:
				more = drain(256)
				continue
			}
		} else {
			j, ok = <-results
		}
		if !ok {
			break
		}
		if recordErr != nil {
			continue // drain so that the senders can return
		}
		switch {
		case j.doubt:
			pending[j.seq] = j
		case inBacklog[j.seq]:
			delete(inBacklog, j.seq)
			settled[j.seq] = j
		default:
			pending[j.seq] = j // new, or settled before its turn came
		}
		for recordErr == nil {
			j, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			switch {
			case j.doubt:
				inBacklog[j.seq] = true
				bl.pushDoubt(j.seq)
			case bl.empty():
				recordOne(j)
			default:
				if err := bl.pushJob(j); err != nil {
					recordErr = err
					stop()
				}
			}
			<-slots
		}
		more = drain(8)
	}
	drain(math.MaxInt)
	if recordErr == nil && (!bl.empty() || len(pending) > 0) {
		// Cannot happen: every row in doubt is settled before results
		// closes. Said rather than leaving rows out of the report silently.
		recordErr = fmt.Errorf("internal error: %d rows were not reported", len(bl.entries)-bl.head+len(pending))
	}
	// results is closed after the group's Wait returned: readErr is set.
	if recordErr != nil {
		return recordErr
	}
	if readErr != nil && im.ctx.Err() != nil {
		// Interrupted: the input was closed under the reader (a pipe
		// that sent nothing more); the run ends as interrupted.
		return nil
	}
	return readErr
}

// produce reads, validates and plans rows in order. Rows that need no
// call go straight to results; the rest go to the senders.
func (im *importer) produce(ctx context.Context, jobs, results chan<- *job, slots chan struct{}) error {
	seq := 0
	for {
		row, err := im.in.r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return &ReadError{Err: fmt.Errorf("reading %s: %w", im.cfg.Path, err)}
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		rec, err := im.v.Check(row)
		if err != nil {
			return err
		}
		im.mirror.see(im.idx, rec)
		j := &job{seq: seq, rec: rec, hash: cellsHashOf(rec.Cells, im.rw.keep)}
		j.key = rowKey(rec, j.hash)
		j.out = Outcome{Num: rec.Num, Cells: rec.Cells, From: rec.Source()}
		seq++
		out := jobs
		if im.plan(j) {
			out = results
		}
		select {
		case out <- j:
		case <-ctx.Done():
			return nil
		}
	}
}

func (im *importer) notAttemptedReason() string {
	if p := im.aborted.Load(); p != nil {
		short := p.short
		if p.short == maxErrorsReached {
			short = im.cfg.option(OptMaxErrors) + " was reached"
		}
		return "not sent: the run stopped because " + short + "; run again with " + im.cfg.option(OptResume)
	}
	return "not sent: the run was interrupted; run again with " + im.cfg.option(OptResume)
}

// maxErrorsReached is the short reason of an abort by the failure limit
// (a row's _error names the option as the caller does).
const maxErrorsReached = "the failure limit was reached"

// finalAbort is why the run stopped (nil when it did not), told with the
// counts of the finished run. The failure limit is checked as rows
// fail, but requests already in flight then still finish, and some of
// them fail too: the reason must agree with the summary beside it, not
// with the moment the limit was crossed.
func (im *importer) finalAbort() *AbortedError {
	p := im.aborted.Load()
	if p == nil {
		return nil
	}
	if p.short != maxErrorsReached {
		return &AbortedError{Reason: p.reason, Fix: p.fix}
	}
	limit := &FailureLimit{Max: im.cfg.MaxErrors, Failed: im.sum.Counts[ResultFailed], Sent: int(im.sent.Load())}
	if limit.Max <= 0 {
		limit.Max, limit.Percent = 0, im.cfg.MaxErrorsPercent
	}
	return &AbortedError{Reason: "the rows not sent are not_attempted: see _error in the report for the failures, fix their cause", Limit: limit, Fix: FixResume}
}
