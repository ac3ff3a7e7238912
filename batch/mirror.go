// Mirror: an import that also deletes, once every row of the file is
// done, the tenant's customers no row matched, so that the tenant holds
// what the file holds.
//
// A row matches the customers with its id and those with its email,
// whatever the row does (a skip row or a row that failed still stands
// for its customer). The matched set is one bit per customer of the
// index, set by the producer as it reads rows; a key hash shared by two
// customers marks both, so a collision can only spare a customer, never
// delete one. Nothing is deleted when a row is invalid, failed or was not
// sent (its customer might be one no row seems to match), when the run
// stopped, or when more customers would go than the cap allows.
//
// Each delete is journaled as an intent, with the customer as it was,
// before it leaves, and its outcome after; the undo line (a create) is
// written before the outcome. A resume lists the tenant again and works
// the matched set out again from the file as it is then, so it never
// deletes a customer the file holds; the customers the interrupted run
// deleted (confirmed, or in doubt and gone from the list) are reported
// again from the journal.

package batch

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"sync"

	"aivabatch/apiclient"
	"aivabatch/batch/customer"
)

// MirrorConfig is the mirror part of ImportConfig.
type MirrorConfig struct {
	// DeleteMissing deletes, after every row is done, the customers no
	// row matched by id or by email.
	DeleteMissing bool
	// MaxDelete caps how many customers a mirror deletes: a count, or,
	// when MaxDeletePercent > 0, that share of the tenant. Neither set
	// means 10 % of the tenant. Over the cap nothing is deleted and
	// Import returns a *DeleteCapError.
	MaxDelete        int
	MaxDeletePercent float64
	// Status and Types restrict the customers mirrored (as export's
	// filters): a customer outside them is never deleted.
	Status, Types []string
	// ConfirmDeletes, when set, is asked before a mirror deletes, with
	// how many customers will go; an error stops the deletes (none is
	// made) and Import returns it.
	ConfirmDeletes func(n int) error
}

// DefaultMaxDeletePercent is the cap of a mirror when none is given.
const DefaultMaxDeletePercent = 10

// DeleteCapError is a mirror that would delete more customers than its
// cap allows: nothing was deleted.
type DeleteCapError struct {
	Count  int     // customers no row matched (within the filters)
	Max    int     // the cap, in customers
	Tenant int     // customers in the tenant
	Pct    float64 // the cap as a share of the tenant, when given so
	DryRun bool
}

func (e *DeleteCapError) Error() string {
	return fmt.Sprintf("%d of the tenant's %d customers are in no row of the file, more than the %d a mirror may delete; none was deleted", e.Count, e.Tenant, e.Max)
}

// Unwrap makes the cap an *AbortedError for IsAborted.
func (e *DeleteCapError) Unwrap() error { return &AbortedError{Reason: e.Error()} }

// limit is the cap for a tenant of n customers.
func (c *MirrorConfig) limit(n int) (int, float64) {
	pct := c.MaxDeletePercent
	if pct <= 0 && c.MaxDelete <= 0 {
		pct = DefaultMaxDeletePercent
	}
	if pct > 0 {
		return int(math.Floor(pct * float64(n) / 100)), pct
	}
	return c.MaxDelete, 0
}

// checkMirror refuses a mirror of part of the file: the rows left out
// would leave their customers unmatched.
func (cfg *ImportConfig) checkMirror() error {
	if !cfg.DeleteMissing {
		return nil
	}
	if cfg.Skip > 0 || cfg.Limit > 0 {
		return inputErr("a mirror deletes the customers no row matched, so it reads every row: it cannot leave rows out")
	}
	return nil
}

// matchSet is the set of the index's customers a row matched: one bit
// per customer, at its place among the index's id slots.
type matchSet struct{ bits []uint64 }

func newMatchSet(x *custIndex) *matchSet {
	return &matchSet{bits: make([]uint64, (len(x.byID)+63)/64)}
}

func (m *matchSet) set(i int)      { m.bits[i/64] |= 1 << (i % 64) }
func (m *matchSet) has(i int) bool { return m.bits[i/64]&(1<<(i%64)) != 0 }

// slotRange is the range of slots whose key hashes like k's.
func (x *custIndex) slotRange(slots []indexSlot, k string) (int, int) {
	h := x.hash(k)
	lo, _ := slices.BinarySearchFunc(slots, h, func(s indexSlot, h uint64) int { return cmp.Compare(s.hash, h) })
	hi := lo
	for hi < len(slots) && slots[hi].hash == h {
		hi++
	}
	return lo, hi
}

// see marks the customers rec matches, by id and by email. It returns
// an error when the index cannot be read: a customer it stands for
// might then look unmatched.
func (m *matchSet) see(x *custIndex, rec *customer.Record) error {
	if rec.ID != "" {
		lo, hi := x.slotRange(x.byID, rec.ID)
		for i := lo; i < hi; i++ {
			m.set(i)
		}
	}
	if rec.EmailKey == "" {
		return nil
	}
	lo, hi := x.slotRange(x.byEmail, rec.EmailKey)
	for _, s := range x.byEmail[lo:hi] {
		c, err := x.read(s.at)
		if err != nil {
			return err
		}
		l, h := x.slotRange(x.byID, c.ID)
		for i := l; i < h; i++ {
			if x.byID[i].at == s.at {
				m.set(i)
			}
		}
	}
	return nil
}

// mirror is the state of a mirror run: which customers rows matched.
// Only the producer writes it, and it is read after the rows are done.
type mirror struct {
	matched *matchSet
	err     error // the index could not be read: nothing is deleted
	stop    error // the cap or the question stopped the deletes
	// doubt holds the customers an interrupted run's delete was sent for
	// with no answer: read-only once the deletes start.
	doubt map[string]bool
}

// see marks what rec matches (nothing when the run is no mirror, or has
// no index: then it deletes nothing).
func (m *mirror) see(x *custIndex, rec *customer.Record) {
	if m == nil || x == nil || m.err != nil {
		return
	}
	if m.matched == nil {
		m.matched = newMatchSet(x)
	}
	m.err = m.matched.see(x, rec)
}

// mirrorStop is why the mirror deleted nothing, for Import to return
// once the run is recorded (the cap, the question declined).
func (im *importer) mirrorStop() error {
	if im.mirror == nil || im.mirror.stop == nil {
		return nil
	}
	im.sum.Aborted = im.mirror.stop.Error()
	return im.mirror.stop
}

// mirrorKey is the journal key of a mirror delete: no row's key (rowKey)
// starts so.
func mirrorKey(id string) string { return "m:" + id }

// mirrorCells is a customer as the input's columns hold it, for the
// report's line of a customer no row stands for.
func mirrorCells(m *customer.Mapping, c *apiclient.Customer) []string {
	cells := make([]string, len(m.Header))
	for i, f := range m.Columns {
		if f != "" && i < len(cells) {
			cells[i], _ = customer.FieldText(c, string(f))
		}
	}
	return cells
}

// mirrorDeletes deletes, after every row is done, the customers no row
// matched (within the filters), as many workers at a time as the rows
// had; or, in a dry run, reports them as would_delete. A returned error
// leaves the journal for a resume (interrupted, a write failed); a stop
// (the cap, the question) is kept for mirrorStop.
func (im *importer) mirrorDeletes() error {
	m := im.mirror
	if m == nil || im.noMoreSends() || im.idx == nil {
		return nil
	}
	x := im.idx
	if m.matched == nil {
		m.matched = newMatchSet(x)
	}
	if n := im.sum.Counts[ResultInvalid] + im.sum.Counts[ResultFailed] + im.sum.Counts[ResultNotAttempted]; n > 0 || m.err != nil {
		why := fmt.Sprintf("%d rows are invalid or failed, and the customer such a row stands for would look unmatched; fix them and run again", n)
		if m.err != nil {
			why = fmt.Sprintf("the customer index could not be read (%v)", m.err)
		}
		im.sum.Warnings = append(im.sum.Warnings, "no customer was deleted: "+why)
		return nil
	}
	var gone []mirrorEntry
	m.doubt = map[string]bool{}
	if im.prev != nil {
		prior, err := loadMirrorJournal(JournalPath(im.in.report))
		if err != nil {
			return fmt.Errorf("reading the journal: %w", err)
		}
		for _, e := range prior {
			switch {
			case x.id(e.id) == nil:
				gone = append(gone, e)
			case !e.done:
				// Sent, answer lost, not landed when listed: it may
				// land yet, so a 404 to this run's delete is its.
				m.doubt[e.id] = true
			}
		}
	}
	for _, e := range gone {
		o := Outcome{Result: ResultDeleted, CustomerID: e.id, Changes: "deleted by the interrupted run"}
		if e.was != nil {
			c := apiclient.Customer(*e.was)
			o.Cells = mirrorCells(im.in.m, &c)
			if !e.done && im.undo != nil {
				// In doubt: its undo line may not have been written.
				if err := im.undo.add(&o, &plan{cur: &c}); err != nil {
					return fmt.Errorf("writing the undo file %s: %w", im.cfg.Undo, err)
				}
			}
		}
		if err := im.mirrorRecord(&o); err != nil {
			return err
		}
	}

	f := newFilter(&ExportConfig{Status: im.cfg.Status, Types: im.cfg.Types})
	candidate := func(i int) (*apiclient.Customer, error) {
		if m.matched.has(i) {
			return nil, nil
		}
		c, err := x.read(x.byID[i].at)
		if err != nil {
			return nil, fmt.Errorf("reading the customer index: %w", err)
		}
		if !f.keep(c) {
			return nil, nil
		}
		return c, nil
	}
	n := 0
	for i := range x.byID {
		c, err := candidate(i)
		if err != nil {
			return err
		}
		if c != nil {
			n++
		}
	}
	tenant := len(x.byID) + len(gone)
	limit, pct := im.cfg.limit(tenant)
	var capErr error
	if len(gone)+n > limit {
		capErr = &DeleteCapError{Count: len(gone) + n, Max: limit, Tenant: tenant, Pct: pct, DryRun: im.cfg.DryRun}
	}
	if im.cfg.DryRun {
		for i := range x.byID {
			c, err := candidate(i)
			if err != nil {
				return err
			}
			if c == nil {
				continue
			}
			o := Outcome{Result: ResultWouldDelete, CustomerID: c.ID, Cells: mirrorCells(im.in.m, c), Changes: "in no row of the file"}
			if err := im.mirrorRecord(&o); err != nil {
				return err
			}
		}
		m.stop = capErr
		return nil
	}
	if capErr != nil {
		m.stop = capErr
		return nil
	}
	if n == 0 {
		return nil
	}
	if im.cfg.ConfirmDeletes != nil {
		if err := im.cfg.ConfirmDeletes(n); err != nil {
			m.stop = err
			return nil
		}
	}
	return im.mirrorSend(candidate)
}

// mirrorSend deletes the candidates with the run's workers; this
// goroutine writes their report lines.
func (im *importer) mirrorSend(candidate func(int) (*apiclient.Customer, error)) error {
	work := make(chan *apiclient.Customer)
	done := make(chan Outcome)
	var scanErr error
	go func() {
		defer close(work)
		for i := range im.idx.byID {
			if im.noMoreSends() {
				return
			}
			c, err := candidate(i)
			if err != nil {
				scanErr = err
				return
			}
			if c != nil {
				work <- c
			}
		}
	}()
	var wg sync.WaitGroup
	for range im.cfg.Workers {
		wg.Go(func() {
			for c := range work {
				if o, ok := im.mirrorDelete(c); ok {
					done <- o
				}
			}
		})
	}
	go func() { wg.Wait(); close(done) }()
	var recErr error
	for o := range done {
		if recErr == nil {
			recErr = im.mirrorRecord(&o)
		}
	}
	switch {
	case recErr != nil:
		return recErr
	case scanErr != nil:
		return scanErr
	case im.ctx.Err() != nil:
		// Interrupted part way: the journal stays, a resume finishes.
		return im.ctx.Err()
	case im.aborted.Load() != nil:
		return im.finalAbort()
	}
	return nil
}

// mirrorDelete deletes one customer no row matched, journaled like a
// row's delete. ok is false when it was not sent (the run stopped).
func (im *importer) mirrorDelete(c *apiclient.Customer) (Outcome, bool) {
	o := Outcome{CustomerID: c.ID, Cells: mirrorCells(im.in.m, c), Changes: "in no row of the file"}
	if im.noMoreSends() {
		return o, false
	}
	was := plainCustomer(*c)
	was.Extra, was.ObjectID = nil, ""
	key := mirrorKey(c.ID)
	if err := im.journal.intent(journalEntry{Key: key, Intent: intentDelete, ID: c.ID, Was: &was}); err != nil {
		im.journalFailed(err)
		return o, false
	}
	im.sent.Add(1)
	err := im.cfg.Client.DeleteCustomer(im.reqCtx, c.ID)
	switch {
	case err == nil:
		o.HTTPStatus = 200
	case errors.Is(err, apiclient.ErrNotFound) && im.mirror.doubt[c.ID]:
		// The interrupted run's delete landed after the list.
		o.HTTPStatus, o.Changes = 404, "deleted by the interrupted run (its answer was lost)"
	default:
		im.failed(&o, err, "")
		return o, true
	}
	o.Result = ResultDeleted
	if im.undo != nil {
		if err := im.undo.add(&o, &plan{cur: c}); err != nil {
			im.undoWriteFailed(err)
		}
	}
	im.journal.add(journalEntry{Key: key, Result: ResultDeleted, ID: c.ID})
	return o, true
}

// mirrorRecord writes the report line of a customer no row stands for,
// after the file's rows, and counts it (not as a row of the file).
func (im *importer) mirrorRecord(o *Outcome) error {
	if err := im.rw.Write(o); err != nil {
		im.reportErr = err
		return fmt.Errorf("writing the report %s: %w", im.in.report, err)
	}
	im.sum.ReportRows++
	im.sum.Counts[o.Result]++
	if o.Result == ResultFailed && len(im.sum.FirstErrors) < maxFirstErrors {
		im.sum.FirstErrors = append(im.sum.FirstErrors, fmt.Sprintf("customer %s (in no row): %s", o.CustomerID, o.Error))
	}
	return nil
}

// mirrorEntry is a mirror delete of an earlier run, from its journal.
type mirrorEntry struct {
	id   string
	was  *plainCustomer
	done bool // its outcome was journaled (else it is in doubt)
}

// loadMirrorJournal reads the mirror deletes of the runs that wrote the
// journal at path, in the order they were sent. Lines that cannot be
// read are skipped (loadPrevious warns about them).
func loadMirrorJournal(path string) ([]mirrorEntry, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []mirrorEntry
	at := map[string]int{}
	r := bufio.NewReaderSize(f, 64<<10)
	for {
		b, rerr := r.ReadBytes('\n')
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return nil, rerr
		}
		var e journalEntry
		if bytes.Contains(b, []byte(`"m:`)) && json.Unmarshal(b, &e) == nil && strings.HasPrefix(e.Key, "m:") && e.ID != "" {
			i, ok := at[e.ID]
			if !ok {
				i = len(out)
				at[e.ID] = i
				out = append(out, mirrorEntry{id: e.ID})
			}
			if e.Was != nil {
				out[i].was = e.Was
			}
			if e.Result == ResultDeleted {
				out[i].done = true
			}
		}
		if rerr != nil {
			return out, nil
		}
	}
}
