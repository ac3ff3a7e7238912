package batch

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"aivabatch/apiclient"
	"aivabatch/formats"
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
}

// Import runs the import pipeline (SPEC §5–§8): reader → validate → plan →
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
	if cfg.DryRun && cfg.Report == "" {
		cfg.Report = DefaultDryRunReportPath(cfg.Path)
	}
	in, err := openInput(&cfg.InputConfig)
	if err != nil {
		return nil, err
	}
	defer in.r.Close()

	var prev map[int]journalEntry
	if jp := JournalPath(in.report); !cfg.Resume && !cfg.DryRun && fileExists(jp) {
		// Starting over would drop what the unfinished run confirmed and
		// send its creates again.
		return nil, inputErr("the previous run with this report did not finish (%s is there): add --resume to continue it without duplicates, or delete that file to start over", jp)
	}
	if !cfg.Resume && !cfg.MatchEmail && !cfg.DryRun {
		if n := createdInReport(in.report); n > 0 {
			// The same file again would create the same customers again.
			return nil, inputErr("%s says an earlier run created %d customers from this file; running again would create them again. Continue it with --resume (rows already done are skipped), or add --match email (existing customers are updated, not created), or write elsewhere with --report", in.report, n)
		}
	}
	if cfg.Resume {
		if prev, err = loadPrevious(in.report, cfg.Reader); err != nil {
			return nil, &InputError{Err: err}
		}
	}
	rw, err := openReport(in.report, in.r.Header())
	if err != nil {
		return nil, err
	}
	jr, err := openJournal(JournalPath(in.report))
	if err != nil {
		rw.Close()
		return nil, err
	}
	var undo *undoWriter
	if cfg.Undo != "" {
		if undo, err = openUndo(cfg.Undo); err != nil {
			jr.close(false)
			rw.Close()
			return nil, err
		}
	}

	sum := newSummary("import")
	if cfg.DryRun {
		sum.Command = "import --dry-run"
	}
	sum.Input, sum.Report = cfg.Path, in.report
	im := &importer{cfg: &cfg, in: in, rw: rw, prev: prev, sum: sum, undo: undo, journal: jr,
		v: NewValidator(in.m, ValidatorOptions{Mode: cfg.Mode, MatchEmail: cfg.MatchEmail})}
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
	im.runID = rand.Text()
	im.resultCol, im.idCol = -1, -1
	for i, h := range in.r.Header() {
		switch strings.TrimSpace(h) {
		case "_result":
			im.resultCol = i
		case "_customer_id":
			im.idCol = i
		}
	}
	im.recon = &reconciler{client: cfg.Client, attempts: cfg.Retries + 1}

	runErr := im.run()
	close(finished)

	if undo != nil {
		if err := undo.close(); err != nil && runErr == nil {
			runErr = fmt.Errorf("writing the undo file %s: %w", cfg.Undo, err)
		}
	}
	rerr := rw.Close()
	complete := runErr == nil && rerr == nil
	if jerr := jr.close(complete); jerr != nil && runErr == nil {
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
	if r := im.abortReason(); r != "" {
		sum.Aborted = r
		return sum, &AbortedError{Reason: r}
	}
	if ctx.Err() != nil {
		sum.Aborted = "interrupted"
		return sum, ctx.Err()
	}
	return sum, nil
}

type importer struct {
	cfg     *ImportConfig
	in      *input
	rw      *reportWriter
	v       *Validator
	prev    map[int]journalEntry
	sum     *Summary
	undo    *undoWriter
	journal *journal
	recon   *reconciler

	ctx, reqCtx context.Context

	// Known customers, from the one list at start (nil when not listed).
	byEmail map[string]*apiclient.Customer
	byID    map[string]*apiclient.Customer

	runID string // random, per run: see idempotencyKey

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
	rec  *Record
	hash string
	plan plan
	out  Outcome
}

// abort stops the run: short says why in a few words for the rows not
// sent, reason in full for the summary.
func (im *importer) abort(short, reason string) {
	im.aborted.CompareAndSwap(nil, &abortInfo{short: short, reason: reason})
}

type abortInfo struct{ short, reason string }

func (im *importer) abortReason() string {
	if p := im.aborted.Load(); p != nil {
		return p.reason
	}
	return ""
}

// stopped says no new row may be sent: aborted or interrupted.
func (im *importer) stopped() bool {
	return im.aborted.Load() != nil || im.ctx.Err() != nil
}

func (im *importer) needList() bool {
	c := im.cfg
	return c.MatchEmail || c.Undo != "" || c.DryRun || c.Resume
}

// listAll fills the email and id indexes from one streamed list.
func (im *importer) listAll() error {
	reset := func() {
		im.byEmail = make(map[string]*apiclient.Customer)
		im.byID = make(map[string]*apiclient.Customer)
	}
	reset()
	return listWithRetry(im.reqCtx, im.cfg.Client, im.cfg.Retries+1, reset, func(cu *apiclient.Customer) {
		c := *cu
		c.Raw, c.Extra = nil, nil // keep the index small
		im.byID[c.ID] = &c
		if c.Email != "" {
			k := strings.ToLower(c.Email)
			if _, dup := im.byEmail[k]; !dup {
				im.byEmail[k] = &c
			}
		}
	})
}

func (im *importer) run() error {
	if im.needList() {
		if err := im.listAll(); err != nil {
			if im.ctx.Err() != nil {
				// Interrupted during the list: every row is not_attempted.
			} else {
				im.abort("the customer list at start failed", fmt.Sprintf("could not list the customers at start: %v", err))
			}
		}
	}

	jobs := make(chan *job, im.cfg.Workers)
	results := make(chan *job, im.cfg.Workers*2)
	slots := make(chan struct{}, im.cfg.Window)
	fatal := make(chan struct{})
	var fatalOnce sync.Once
	var fatalErr error
	fail := func(err error) {
		fatalOnce.Do(func() { fatalErr = err; close(fatal) })
	}

	var senders sync.WaitGroup
	senders.Add(1)
	go func() {
		defer senders.Done()
		defer close(jobs)
		if err := im.produce(jobs, results, slots, fatal); err != nil {
			fail(err)
		}
	}()
	for range im.cfg.Workers {
		senders.Add(1)
		go func() {
			defer senders.Done()
			for j := range jobs {
				im.send(j)
				select {
				case results <- j:
				case <-fatal:
					return
				}
			}
		}()
	}
	go func() { senders.Wait(); close(results) }()

	// The report goroutine: this one. It owns the report, the summary,
	// the journal order and the undo file.
	pending := make(map[int]*job)
	next := 0
	failed := func() bool {
		select {
		case <-fatal:
			return true
		default:
			return false
		}
	}
	for j := range results {
		if failed() {
			continue // drain so senders can finish
		}
		pending[j.seq] = j
		for {
			j, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if err := im.record(j); err != nil {
				fail(err)
			}
			<-slots
		}
	}
	// results is closed after every sender returned: fatalErr is settled.
	return fatalErr
}

// produce reads, validates and plans rows in order. Rows that need no
// call go straight to results; the rest go to the senders.
func (im *importer) produce(jobs, results chan<- *job, slots chan struct{}, fatal <-chan struct{}) error {
	seq := 0
	for {
		row, err := im.in.r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", im.cfg.Path, err)
		}
		select {
		case slots <- struct{}{}:
		case <-fatal:
			return nil
		}
		rec, err := im.v.Check(row)
		if err != nil {
			return err
		}
		j := &job{seq: seq, rec: rec, hash: cellsHashOf(rec.Cells, im.rw.keep)}
		j.out = Outcome{Num: rec.Num, Cells: rec.Cells}
		seq++
		out := jobs
		if im.plan(j) {
			out = results
		}
		select {
		case out <- j:
		case <-fatal:
			return nil
		}
	}
}

// plan settles the row's outcome when no call is needed (and returns
// true), or fills j.plan for a sender.
func (im *importer) plan(j *job) bool {
	rec, o := j.rec, &j.out
	if !rec.Valid() {
		o.Result, o.Error = ResultInvalid, rec.ErrorText()
		return true
	}
	if rec.Action == ActionSkip {
		o.Result = ResultSkipped
		return true
	}
	if p, ok := im.prev[rec.Num]; ok && p.Hash == j.hash {
		o.Result, o.CustomerID = ResultSkipped, p.ID
		j.plan.result = p.Result // journaled again so a later resume skips it too
		return true
	}
	if im.resultCol >= 0 && im.idCol >= 0 {
		// A report fed back as input: the rows its run already did are
		// not done again (that would create duplicates); the failed and
		// invalid ones, fixed or not, are processed.
		res := Result(strings.TrimSpace(rec.Cells[im.resultCol]))
		id := strings.TrimSpace(rec.Cells[im.idCol])
		if confirmed(res) || res == ResultSkipped && id != "" {
			o.Result, o.CustomerID = ResultSkipped, id
			o.Changes = "already " + string(res) + " according to the input report"
			return true
		}
	}
	if im.stopped() {
		o.Result = ResultNotAttempted
		o.Error = im.notAttemptedReason()
		return true
	}

	var cur *apiclient.Customer
	id := rec.ID
	if id != "" && im.byID != nil {
		cur = im.byID[id]
	}
	if id == "" && im.cfg.MatchEmail && rec.Action != ActionCreate {
		cur = im.byEmail[rec.EmailKey]
		if cur != nil {
			id = cur.ID
		}
	}
	if im.cfg.DryRun && id != "" && cur == nil && im.byID != nil && (rec.Action == ActionUpdate || rec.Action == ActionDelete || rec.Action == ActionUpsert && !im.cfg.MatchEmail) {
		o.Result, o.Error = ResultInvalid, columnMsg(im.in.m, formats.FieldID, fmt.Sprintf("no customer with id %q in this tenant", id))
		return true
	}
	var p plan
	switch rec.Action {
	case ActionCreate:
		p = plan{op: opCreate}
	case ActionUpsert:
		if id != "" && cur == nil && im.cfg.MatchEmail && im.byID != nil {
			// An id this tenant does not have (an export of another
			// tenant, a customer deleted since): match by email instead,
			// so that an export imports into an empty tenant.
			if cur = im.byEmail[rec.EmailKey]; cur != nil {
				id = cur.ID
			} else {
				id = ""
			}
		}
		if id != "" {
			p = updatePlan(rec, id, cur, im.cfg.BlankClear)
		} else {
			p = plan{op: opCreate}
		}
	case ActionUpdate:
		if id == "" {
			o.Result, o.Error = ResultInvalid, columnMsg(im.in.m, formats.FieldEmail, "no customer with this email; use action create or upsert to add it")
			return true
		}
		p = updatePlan(rec, id, cur, im.cfg.BlankClear)
	case ActionDelete:
		if id == "" {
			o.Result, o.Error = ResultInvalid, columnMsg(im.in.m, formats.FieldEmail, "no customer with this email to delete")
			return true
		}
		p = plan{op: opDelete, id: id, cur: cur}
	}
	if p.op == opCreate {
		if rec.Action == ActionUpsert && im.cfg.MatchEmail {
			// Only now is it known that this row creates: it needs a name.
			im.v.RequireCreate(rec)
			if !rec.Valid() {
				o.Result, o.Error = ResultInvalid, rec.ErrorText()
				return true
			}
		}
		p.fields = createFields(rec)
		if im.cfg.Resume && im.byEmail != nil {
			// A create of a previous run may have happened without its
			// outcome reaching the journal: the fresh list tells.
			if c := im.byEmail[rec.EmailKey]; c != nil {
				o.Result, o.CustomerID = ResultCreated, c.ID
				o.Changes = "found by email after the interrupted run; not sent again"
				j.plan = plan{op: opNone, result: ResultCreated}
				return true
			}
		}
	}
	j.plan = p
	o.CustomerID = p.id
	o.Changes = p.changes
	if p.op == opNone {
		o.Result = p.result
		return true
	}
	if im.cfg.DryRun {
		switch p.op {
		case opCreate:
			o.Result = ResultWouldCreate
		case opUpdate:
			o.Result = ResultWouldUpdate
		case opDelete:
			o.Result = ResultWouldDelete
		}
		return true
	}
	return false
}

func (im *importer) notAttemptedReason() string {
	if p := im.aborted.Load(); p != nil {
		return "not sent: the run stopped because " + p.short + "; run again with --resume"
	}
	return "not sent: the run was interrupted; run again with --resume"
}

func columnMsg(m *formats.Mapping, f formats.Field, msg string) string {
	if i, ok := m.Index[f]; ok {
		return m.Header[i] + ": " + msg
	}
	return string(f) + ": " + msg
}

// send performs the row's calls and fills j.out. It runs on a worker.
func (im *importer) send(j *job) {
	o := &j.out
	if im.stopped() {
		o.Result, o.Error, o.Changes = ResultNotAttempted, im.notAttemptedReason(), ""
		return
	}
	im.sent.Add(1)
	ctx := im.reqCtx
	c := im.cfg.Client
	p := &j.plan
	switch p.op {
	case opCreate:
		im.create(ctx, j)
	case opUpdate:
		var applied []string
		if len(p.fields) > 0 {
			if _, err := c.UpdateCustomer(ctx, p.id, p.fields); err != nil {
				im.failed(o, err, "")
				return
			}
			o.HTTPStatus = 200
			for k := range p.fields {
				applied = append(applied, k)
			}
		}
		if p.status != "" {
			if _, err := c.SetStatus(ctx, p.id, p.status); err != nil {
				prefix := ""
				if len(applied) > 0 {
					prefix = fmt.Sprintf("profile updated (%s) but the status was not set: ", strings.Join(applied, ", "))
				}
				im.failed(o, err, prefix)
				return
			}
			o.HTTPStatus = 200
		}
		o.Result = ResultUpdated
	case opDelete:
		if err := c.DeleteCustomer(ctx, p.id); err != nil {
			im.failed(o, err, "")
			return
		}
		o.Result, o.HTTPStatus = ResultDeleted, 200
	}
}

// create sends a POST and never blindly re-sends it: an unknown outcome is
// reconciled by email against a fresh list first.
func (im *importer) create(ctx context.Context, j *job) {
	o := &j.out
	key := idempotencyKey(im.runID, j.rec.Num, j.hash)
	tries := max(im.cfg.Retries, 1)
	for attempt := 0; ; attempt++ {
		cust, err := im.cfg.Client.CreateCustomer(ctx, j.plan.fields, key)
		if err == nil {
			o.Result, o.CustomerID, o.HTTPStatus = ResultCreated, cust.ID, 201
			return
		}
		if !errors.Is(err, apiclient.ErrOutcomeUnknown) {
			im.failed(o, err, "")
			return
		}
		found, ok, lerr := im.recon.lookup(ctx, j.rec.EmailKey)
		if lerr != nil {
			im.failed(o, fmt.Errorf("%w; checking by email also failed: %v", err, lerr), "outcome unknown: ")
			return
		}
		if ok {
			o.Result, o.CustomerID = ResultCreated, found.ID
			o.Changes = "confirmed by email after a lost response"
			return
		}
		if attempt+1 >= tries || im.ctx.Err() != nil {
			im.failed(o, err, "not created (checked by email): ")
			return
		}
	}
}

// idempotencyKey is stable for one row within one run, so that a re-send
// after an unknown outcome is recognised by a server that honours keys;
// and new in every run, so that importing a file again after an undo
// creates again instead of being answered from the server's key cache.
func idempotencyKey(runID string, row int, hash string) string {
	s := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%d\x00%s", runID, row, hash)))
	return "aivabatch-" + hex.EncodeToString(s[:16])
}

// failed records an API error on the row; a 403 aborts the run.
func (im *importer) failed(o *Outcome, err error, prefix string) {
	o.Result = ResultFailed
	o.Error = prefix + err.Error()
	im.countFailure()
	var ae *apiclient.APIError
	if errors.As(err, &ae) {
		o.HTTPStatus = ae.Status
	}
	if errors.Is(err, apiclient.ErrForbidden) {
		msg := err.Error()
		if ae != nil {
			msg = ae.Message
		}
		im.abort("a write was refused with HTTP 403", fmt.Sprintf("the API refused a write with HTTP 403 (%s); use a token with the customers:write scope, then run again with --resume", msg))
	}
}

// record writes one finished row, in input order.
func (im *importer) record(j *job) error {
	o := &j.out
	if err := im.rw.Write(o); err != nil {
		return err
	}
	im.sum.add(o)
	if im.cfg.OnRow != nil {
		im.cfg.OnRow(im.sum.Rows)
	}
	res := o.Result
	if res == ResultSkipped && j.plan.result != "" {
		res = j.plan.result
	}
	if confirmed(res) && !im.cfg.DryRun {
		if err := im.journal.add(journalEntry{Row: o.Num, Result: res, ID: o.CustomerID, Hash: j.hash}); err != nil {
			return fmt.Errorf("writing the journal: %w", err)
		}
	}
	if im.undo != nil && !im.cfg.DryRun {
		if err := im.undo.add(o, &j.plan); err != nil {
			return fmt.Errorf("writing the undo file: %w", err)
		}
	}
	return nil
}

// countFailure counts a failed row as soon as its worker knows, so that
// --max-errors stops the other workers at once rather than when the
// report reaches the row.
func (im *importer) countFailure() {
	n := int(im.nfailed.Add(1))
	sent := int(im.sent.Load())
	switch {
	case im.cfg.MaxErrors > 0 && n >= im.cfg.MaxErrors:
		im.abort("--max-errors was reached", fmt.Sprintf("--max-errors %d reached: %d rows failed", im.cfg.MaxErrors, n))
	case im.cfg.MaxErrorsPercent > 0 && sent >= 20 && float64(n)*100 >= im.cfg.MaxErrorsPercent*float64(sent):
		im.abort("--max-errors was reached", fmt.Sprintf("--max-errors %g%% reached: %d of %d rows sent failed", im.cfg.MaxErrorsPercent, n, sent))
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
