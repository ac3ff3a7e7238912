// The send stage of Import: the calls a planned row makes, and what is
// journaled around them.

package batch

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"aivabatch/apiclient"
)

// send performs the row's calls and fills j.out. It runs on a worker.
func (im *importer) send(j *job) {
	o := &j.out
	if im.noMoreSends() {
		o.Result, o.Error, o.Changes = ResultNotAttempted, im.notAttemptedReason(), ""
		return
	}
	im.sent.Add(1)
	ctx := im.reqCtx
	c := im.cfg.Client
	p := &j.plan
	switch p.op {
	case opCreate:
		im.createOnce(j)
	case opUpdate:
		if !im.intent(j, intentUpdate) {
			return
		}
		var applied []string
		if len(p.fields) > 0 {
			if _, err := c.UpdateCustomer(ctx, p.id, p.fields); err != nil {
				j.refused = isRefused(err)
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
		if !im.intent(j, intentDelete) {
			return
		}
		if err := c.DeleteCustomer(ctx, p.id); err != nil {
			j.refused = isRefused(err)
			im.failed(o, err, "")
			return
		}
		o.Result, o.HTTPStatus = ResultDeleted, 200
	}
}

// createOnce sends the row's POST. An unknown outcome (timeout,
// connection lost, 5xx) leaves j.lost set: the create must not be blindly
// re-sent, the resolver first looks the row up by email in a fresh list.
func (im *importer) createOnce(j *job) {
	o := &j.out
	j.lost = nil
	if !im.intent(j, intentCreate) {
		return
	}
	j.attempts++
	cust, err := im.cfg.Client.CreateCustomer(im.reqCtx, j.plan.fields, idempotencyKey(im.runID, j.rec.Num, j.hash))
	switch {
	case err == nil && cust.ID == "":
		im.noID(o, &NoIDError{What: "the answer to a create (201)", Email: cust.Email})
	case err == nil:
		o.Result, o.CustomerID, o.HTTPStatus = ResultCreated, cust.ID, 201
	case errors.Is(err, apiclient.ErrOutcomeUnknown):
		j.lost = err
	default:
		// After an unknown outcome, an earlier attempt may still land.
		j.refused = j.attempts == 1 && isRefused(err)
		im.failed(o, err, "")
	}
}

// noID settles a create whose customer the server named without an id,
// and stops the run: the row is failed (not created, as far as a report
// can tell), and a later run finds the customer by email instead of
// creating it again.
func (im *importer) noID(o *Outcome, err *NoIDError) {
	im.abort("the server sent a customer without an id", err.Error())
	o.Result, o.HTTPStatus = ResultFailed, 201
	o.Error = "the server answered 201 but named no id, so the customer was probably created; not sent again. " +
		"Find it by email before importing this row again (the default " + im.cfg.option(OptMatchEmail) + " does)"
}

// intent journals that the row's call is about to leave, handed to the OS
// before it does, so that a resume after a kill -9 knows the row may have
// reached the server. When the journal cannot be written the row is not
// sent and the run stops: without the intent a kill could duplicate it.
func (im *importer) intent(j *job, what string) bool {
	e := journalEntry{Row: j.rec.Num, Key: j.key, Intent: what, ID: j.plan.id, Hash: j.hash}
	if what == intentCreate {
		e.Email = j.rec.EmailKey
		if !im.cfg.MatchEmail && im.idx != nil {
			older := []string{}
			for _, c := range im.idx.emails(j.rec.EmailKey) {
				older = append(older, c.ID)
			}
			e.Older = &older
		}
	}
	if err := im.journal.intent(e); err != nil {
		im.journalFailed(err)
		j.out.Result, j.out.Error, j.out.Changes = ResultNotAttempted, im.notAttemptedReason(), ""
		return false
	}
	return true
}

// journalDone journals a sent row's outcome as soon as its worker knows,
// not when the report reaches it: fewer rows in doubt after a kill.
func (im *importer) journalDone(j *job) {
	o := &j.out
	im.addUndo(j) // before the journal line: see undoWriter
	e := journalEntry{Row: o.Num, Key: j.key, Result: o.Result, ID: o.CustomerID, Hash: j.hash}
	switch {
	case confirmed(o.Result):
	case o.Result == ResultFailed && j.refused:
		e.ID = ""
	default:
		return
	}
	j.journaled = im.journal.add(e) == nil
}

// addUndo writes the row that reverses j's outcome to the undo file
// (once per row), before its outcome is journaled. When it cannot, the
// run stops: a change the undo file does not hold could not be undone.
func (im *importer) addUndo(j *job) {
	if im.undo == nil || j.undone {
		return
	}
	j.undone = true
	if err := im.undo.add(&j.out, &j.plan); err != nil {
		im.undoWriteFailed(err)
	}
}

// undoWriteFailed stops the run: a change the undo file does not hold
// could not be undone.
func (im *importer) undoWriteFailed(err error) {
	im.abortResume("the undo file could not be written", fmt.Sprintf("could not write the undo file %s (%v): the run stopped so that every change it made can still be undone; free space or fix the path", im.cfg.Undo, err))
}

// journalFailed stops the run when the journal could not be written
// (an intent: the row is not sent); a resume settles what it lost. When
// it is the undo file, which goes first, that failed, the undo file is
// named.
func (im *importer) journalFailed(err error) {
	var ue *undoWriteError
	if errors.As(err, &ue) {
		im.undoWriteFailed(ue.err)
		return
	}
	im.abortResume("the journal could not be written", fmt.Sprintf("could not write the journal %s (%v); free space or fix the path", JournalPath(im.in.report), err))
}

// undoFailed is the undo file's first write error, if any.
func (im *importer) undoFailed() error {
	if im.undo == nil {
		return nil
	}
	return im.undo.failed()
}

// isRefused tells a 4xx answer: the server did not apply the call.
func isRefused(err error) bool {
	var ae *apiclient.APIError
	return errors.As(err, &ae) && ae.Status >= 400 && ae.Status < 500 && ae.Status != 408 && ae.Status != 429
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
		im.abortResume("a write was refused with HTTP 403", fmt.Sprintf("the API refused a write with HTTP 403 (%s); use a token with the customers:write scope", msg))
	}
}

// countFailure counts a failed row as soon as its worker knows, so that
// --max-errors stops the other workers at once rather than when the
// report reaches the row.
func (im *importer) countFailure() {
	n := int(im.nfailed.Add(1))
	sent := int(im.sent.Load())
	if im.cfg.MaxErrors > 0 && n >= im.cfg.MaxErrors ||
		im.cfg.MaxErrorsPercent > 0 && sent >= 20 && float64(n)*100 >= im.cfg.MaxErrorsPercent*float64(sent) {
		// The reason is told by finalAbortReason, with the final counts.
		im.abort(maxErrorsReached, "")
	}
}
