package batch

import (
	"fmt"
	"strconv"
	"strings"

	"aivabatch/apiclient"
	"aivabatch/formats"
)

// op is the concrete call a row turns into once matched.
type op int

const (
	opNone   op = iota // nothing to send: result already known
	opCreate           // POST /customers
	opUpdate           // PUT /customers/:id and/or PUT /customers/:id/status
	opDelete           // DELETE /customers/:id
)

// plan is what a valid row will do.
type plan struct {
	op      op
	id      string
	fields  apiclient.Fields // create: every field; update: changed profile fields
	status  string           // update: new status, "" = no status call
	cur     *apiclient.Customer
	changes string
	result  Result // for opNone
}

// clearable are the profile fields --blank clear may empty: the API
// requires name and email, and status, value and autoPayment have no
// empty value.
var clearable = map[formats.Field]bool{
	formats.FieldFirstName: true, formats.FieldLastName: true,
	formats.FieldPhone: true, formats.FieldType: true, formats.FieldNotes: true,
}

// createFields is the POST body: every non-blank field, status included.
func createFields(r *Record) apiclient.Fields {
	f := make(apiclient.Fields, numProfile)
	for i, k := range profileFields {
		if r.has&(1<<i) != 0 {
			f[string(k)] = typed(k, r.vals[i])
		}
	}
	return f
}

func typed(f formats.Field, v string) any {
	switch f {
	case formats.FieldValue:
		x, _ := strconv.ParseFloat(v, 64)
		return x
	case formats.FieldAutoPayment:
		return v == "true"
	}
	return v
}

// currentValue renders a customer's field as the text a row would hold.
func currentValue(c *apiclient.Customer, f formats.Field) string {
	v, _ := fieldText(c, string(f))
	return v
}

// fieldText renders a customer's field as text, the one accessor of
// plan (the values a row is compared with) and export (the cells): false
// for a name that is no field of the customer object.
func fieldText(c *apiclient.Customer, name string) (string, bool) {
	switch name {
	case "id", "_id":
		return c.ID, true
	case "firstName":
		return c.FirstName, true
	case "lastName":
		return c.LastName, true
	case "name":
		return c.Name, true
	case "email":
		return c.Email, true
	case "phone":
		return c.Phone, true
	case "status":
		return c.Status, true
	case "type":
		return c.Type, true
	case "value":
		return strconv.FormatFloat(c.Value, 'f', -1, 64), true
	case "autoPayment":
		return strconv.FormatBool(c.AutoPayment), true
	case "notes":
		return c.Notes, true
	case "createdAt":
		return c.CreatedAt, true
	case "updatedAt":
		return c.UpdatedAt, true
	}
	return "", false
}

// sameValue tells whether a row's value (trimmed, as every cell is) leaves
// the current one as it is: a server value with spaces or line breaks
// around it is not changed by a row with the same text inside (an export
// of it imported again is unchanged).
func sameValue(f formats.Field, cur, row string) bool {
	cur, row = sameLines(strings.TrimSpace(cur)), sameLines(row)
	switch f {
	case formats.FieldEmail:
		return strings.EqualFold(cur, row)
	case formats.FieldValue:
		a, err1 := strconv.ParseFloat(cur, 64)
		b, err2 := strconv.ParseFloat(row, 64)
		return err1 == nil && err2 == nil && a == b
	}
	return cur == row
}

// sameLines writes every line break as \n: CR LF and a lone CR read back
// from a CSV cell as \n.
func sameLines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// updatePlan works out what an update sends: only the fields the row has
// (and, with --blank clear, the clearable blank ones), minus those equal
// to the current record when it is known.
func updatePlan(r *Record, id string, cur *apiclient.Customer, blankClear bool) plan {
	p := plan{op: opUpdate, id: id, cur: cur, fields: apiclient.Fields{}}
	var changes []string
	note := func(f formats.Field, v string) {
		if cur != nil {
			changes = append(changes, fmt.Sprintf("%s: %s → %s", f, show(currentValue(cur, f)), show(v)))
		} else {
			changes = append(changes, fmt.Sprintf("%s: → %s", f, show(v)))
		}
	}
	for i, f := range profileFields {
		if r.has&(1<<i) == 0 {
			continue
		}
		v := r.vals[i]
		// A name built from first and last name is sent only to create:
		// on update the server keeps its own name unless the row has one.
		if f == formats.FieldName && r.builtName {
			continue
		}
		if cur != nil && sameValue(f, currentValue(cur, f), v) {
			continue
		}
		note(f, v)
		if f == formats.FieldStatus {
			p.status = v
			continue
		}
		p.fields[string(f)] = typed(f, v)
	}
	if blankClear {
		for _, f := range r.Blank {
			if !clearable[f] || (cur != nil && currentValue(cur, f) == "") {
				continue
			}
			note(f, "")
			p.fields[string(f)] = ""
		}
	}
	p.changes = strings.Join(changes, "; ")
	if len(p.fields) == 0 && p.status == "" && cur != nil {
		return plan{op: opNone, id: id, cur: cur, result: ResultUnchanged}
	}
	if len(p.fields) == 0 && p.status == "" {
		// Nothing in the row to send and nothing known to compare with.
		return plan{op: opNone, id: id, result: ResultUnchanged}
	}
	return p
}

func show(v string) string {
	if v == "" {
		return `""`
	}
	if len(v) > 60 {
		return v[:57] + "…"
	}
	return v
}

func (im *importer) needList() bool {
	c := im.cfg
	return c.MatchEmail || c.Undo != "" || c.DryRun || c.Resume
}

// listAll fills the customer index from one streamed list.
func (im *importer) listAll() error {
	x, err := newCustIndex()
	if err != nil {
		return err
	}
	var addErr error
	err = listWithRetry(im.reqCtx, im.cfg.Client, im.cfg.Retries+1, func() {
		if e := x.reset(); e != nil && addErr == nil {
			addErr = e
		}
	}, func(cu *apiclient.Customer) {
		if e := x.add(cu); e != nil && addErr == nil {
			addErr = e
		}
	})
	if err == nil {
		err = addErr
	}
	if err == nil {
		err = x.finish()
	}
	if err != nil {
		x.close()
		return err
	}
	im.idx = x
	return nil
}

// plan settles the row's outcome when no call is needed (and returns
// true), or fills j.plan for a sender.
func (im *importer) plan(j *job) bool {
	rec, o := j.rec, &j.out
	done, hasDone := im.prevDone(j) // looked up once: a resume's hot path
	if why := im.cfg.window(j.seq); why != "" {
		if hasDone && done.Hash == j.hash {
			// Done by an earlier run: still done, whatever this run takes.
			o.Result, o.CustomerID = ResultSkipped, done.ID
			j.plan.result = done.Result
			return true
		}
		// not_attempted, so that a --resume without the flag sends it.
		o.Result, j.leftOut = ResultNotAttempted, true
		o.Error = "not sent: " + why + "; to send it, run the same command again with --resume and without " + strings.Fields(why)[1]
		return true
	}
	if !rec.Valid() {
		o.Result, o.Error = ResultInvalid, rec.ErrorText()
		return true
	}
	if rec.Action == ActionSkip {
		o.Result = ResultSkipped
		return true
	}
	if hasDone && done.Hash == j.hash {
		o.Result, o.CustomerID = ResultSkipped, done.ID
		j.plan.result = done.Result // journaled again so a later resume skips it too
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
	if im.noMoreSends() {
		o.Result = ResultNotAttempted
		o.Error = im.notAttemptedReason()
		return true
	}

	var cur *apiclient.Customer
	id := rec.ID
	if id != "" && im.idx != nil {
		cur = im.idx.id(id)
	}
	if id == "" && im.cfg.MatchEmail && rec.Action != ActionCreate {
		cur = im.idx.email(rec.EmailKey)
		if cur != nil {
			id = cur.ID
		}
	}
	if im.cfg.DryRun && id != "" && cur == nil && im.idx != nil && (rec.Action == ActionUpdate || rec.Action == ActionDelete || rec.Action == ActionUpsert && !im.cfg.MatchEmail) {
		o.Result, o.Error = ResultInvalid, columnMsg(im.in.m, formats.FieldID, fmt.Sprintf("no customer with id %q in this tenant", id))
		return true
	}
	var p plan
	switch rec.Action {
	case ActionCreate:
		p = plan{op: opCreate}
	case ActionUpsert:
		if id != "" && cur == nil && im.cfg.MatchEmail && im.idx != nil {
			// An id this tenant does not have (an export of another
			// tenant, a customer deleted since): match by email instead,
			// so that an export imports into an empty tenant.
			if cur = im.idx.email(rec.EmailKey); cur != nil {
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
		if c, how := im.createdEarlier(j, done, hasDone); c != nil {
			// An earlier run created this row's customer: never again.
			// What the row holds now and the customer does not (the row
			// was edited since, or the create landed without its
			// response) is sent as an update.
			up := updatePlan(rec, c.ID, c, im.cfg.BlankClear)
			if up.op == opNone {
				o.Result, o.CustomerID = ResultCreated, c.ID
				o.Changes = how + "; not sent again"
				j.plan = plan{op: opNone, result: ResultCreated}
				return true
			}
			p = up
			p.changes = how + "; the row changed since, so it is updated: " + p.changes
		}
	}
	if e, ok := im.prev.inDoubt(j.key, j.hash); ok && p.id != "" && e.ID == p.id {
		// The interrupted run sent this update or delete, and no outcome
		// came back. Both are idempotent: a second send is harmless, and
		// when the server already shows the effect, the row is done.
		switch {
		case e.Intent == intentDelete && p.op == opDelete && cur == nil && im.idx != nil:
			o.Result, o.CustomerID = ResultDeleted, p.id
			o.Changes = "deleted by the interrupted run (the customer is gone)"
			j.plan = plan{op: opNone, result: ResultDeleted}
			return true
		case e.Intent == intentUpdate && p.op == opNone && p.result == ResultUnchanged:
			p.result = ResultUpdated
			p.changes = "applied by the interrupted run (the customer already holds these values)"
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

// prevDone returns the row's confirmed outcome of the previous runs,
// found by the row's key (never by its position).
func (im *importer) prevDone(j *job) (journalEntry, bool) {
	return im.prev.get(j.key, j.hash)
}

// createdEarlier returns the customer a previous run created from this
// row, and how that is known, or nil. Only a resume asks, after its fresh
// list (and the settle wait, so in-flight creates of the killed run have
// landed).
// d is the row's confirmed outcome, if hasDone.
func (im *importer) createdEarlier(j *job, d journalEntry, hasDone bool) (*apiclient.Customer, string) {
	p := im.prev
	if p == nil || im.idx == nil {
		return nil, ""
	}
	if hasDone && d.Result == ResultCreated && d.ID != "" {
		if c := im.idx.id(d.ID); c != nil {
			return c, "created by the earlier run"
		}
		// Deleted since: the row creates it again.
		return nil, ""
	}
	// No confirmed create: the row may still have been sent (its intent
	// in doubt, or lost with a cut or damaged journal, or the run
	// confirmed it after the last flush), so it is looked up by email
	// (SPEC §7: every create without a confirmed outcome).
	c := im.idx.email(j.rec.EmailKey)
	if c == nil {
		return nil, ""
	}
	if e, ok := p.inDoubt(j.key, j.hash); ok && e.Intent == intentCreate {
		return c, "created by the interrupted run (its response was lost; found by email)"
	}
	return c, "found by email after the interrupted run"
}

func columnMsg(m *formats.Mapping, f formats.Field, msg string) string {
	if i, ok := m.Index[f]; ok {
		return m.Header[i] + ": " + msg
	}
	return string(f) + ": " + msg
}
