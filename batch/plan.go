package batch

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"aivabatch/apiclient"
	"aivabatch/batch/customer"
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
var clearable = map[customer.Field]bool{
	customer.FieldFirstName: true, customer.FieldLastName: true,
	customer.FieldPhone: true, customer.FieldType: true, customer.FieldNotes: true,
}

// createFields is the POST body: every non-blank field, status included.
func createFields(r *customer.Record) apiclient.Fields {
	f := make(apiclient.Fields)
	for k, v := range r.Values() {
		f[string(k)] = typed(k, v)
	}
	return f
}

func typed(f customer.Field, v string) any {
	switch f {
	case customer.FieldValue:
		x, _ := strconv.ParseFloat(v, 64)
		return x
	case customer.FieldAutoPayment:
		return v == "true"
	}
	return v
}

// currentValue renders a customer's field as the text a row would hold.
func currentValue(c *apiclient.Customer, f customer.Field) string {
	v, _ := customer.FieldText(c, string(f))
	return v
}

// sameValue tells whether a row's value (trimmed, as every cell is) leaves
// the current one as it is: a server value with spaces or line breaks
// around it is not changed by a row with the same text inside (an export
// of it imported again is unchanged).
func sameValue(f customer.Field, cur, row string) bool {
	cur, row = sameLines(strings.TrimSpace(cur)), sameLines(row)
	switch f {
	case customer.FieldEmail:
		return strings.EqualFold(cur, row)
	case customer.FieldValue:
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
// to the current record when it is known and those the overwrite
// policies ow hold back (nil: always).
func updatePlan(r *customer.Record, id string, cur *apiclient.Customer, blankClear bool, ow Overwrites) plan {
	p := plan{op: opUpdate, id: id, cur: cur, fields: apiclient.Fields{}}
	var changes []string
	note := func(f customer.Field, v string) {
		if cur != nil {
			changes = append(changes, fmt.Sprintf("%s: %s → %s", f, show(currentValue(cur, f)), show(v)))
		} else {
			changes = append(changes, fmt.Sprintf("%s: → %s", f, show(v)))
		}
	}
	for f, v := range r.Values() {
		// A name built from first and last name is sent only to create:
		// on update the server keeps its own name unless the row has one.
		if f == customer.FieldName && r.BuiltName() {
			continue
		}
		if cur != nil && sameValue(f, currentValue(cur, f), v) || !ow.allows(f, cur) {
			continue
		}
		note(f, v)
		if f == customer.FieldStatus {
			p.status = v
			continue
		}
		p.fields[string(f)] = typed(f, v)
	}
	if blankClear {
		for _, f := range r.Blank {
			// if-empty never clears: a blank field cleared is no change.
			if !clearable[f] || (cur != nil && currentValue(cur, f) == "") || !ow.allows(f, cur) {
				continue
			}
			note(f, "")
			p.fields[string(f)] = ""
		}
	}
	p.changes = strings.Join(changes, "; ")
	if cur == nil && p.changes != "" {
		// No record to compare with (today every run with an id column
		// or --match email lists the tenant first, so this is a plan made
		// without the list): the fields are what is sent, not what
		// changed, and the report must not claim they all changed.
		p.changes = "not compared (the customer was not read), sent: " + p.changes
	}
	if len(p.fields) == 0 && p.status == "" {
		// Nothing to send (or nothing in the row, when cur is not known).
		return plan{op: opNone, id: id, cur: cur, result: ResultUnchanged}
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

// needList says whether a run lists the tenant once at start: to match
// rows by email, to check an id column, to know what --undo reverses, to
// plan a dry run, to resolve a resume, to apply an overwrite policy.
// Without it, the run still tries to list at start (run), but goes on
// when it cannot: the list then only serves the lost creates.
func needList(c *ImportConfig, m *customer.Mapping) bool {
	_, idCol := m.Index[customer.FieldID]
	return c.MatchEmail || idCol || c.Undo != "" || c.DryRun || c.Resume || c.Overwrite.limits() || c.DeleteMissing
}

// listAll fills the customer index from one streamed list, unless the
// run listed before it opened its report (im.idx or im.listErr set).
func (im *importer) listAll() error {
	if im.idx != nil || im.listErr != nil {
		return im.listErr
	}
	t0 := time.Now()
	x, err := listIndex(im.reqCtx, im.cfg)
	im.listTook = time.Since(t0)
	if err != nil {
		return err
	}
	im.idx = x
	return nil
}

// listIndex reads the tenant's customers into a new index.
func listIndex(ctx context.Context, cfg *ImportConfig) (*custIndex, error) {
	x, err := newCustIndex()
	if err != nil {
		return nil, err
	}
	var addErr error
	err = listWithRetry(ctx, cfg.Client.ListCustomers, cfg.Retries+1, func() {
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
		return nil, err
	}
	return x, nil
}

// checkIDColumn stops a run before any write when the file's id column
// holds no id of the tenant, or under half of them, in its first rows: it
// is then another system's key (Outlook's ID, a CRM's record id), and
// every row would be a "no customer with id" error, or worse, an update
// of whichever customer happens to have that id.
func checkIDColumn(in *input, x *custIndex, cfg *ImportConfig) error {
	col, ok := in.m.Index[customer.FieldID]
	if !ok || x == nil {
		return nil
	}
	n, found := 0, 0
	for _, row := range formats.Peeked(in.r) {
		if col >= len(row.Cells) {
			continue
		}
		id := customer.CellValue(row.Cells[col], cfg.isJSON() || cfg.isXLSX())
		if id == "" {
			continue
		}
		n++
		if x.id(id) != nil {
			found++
		}
	}
	if n == 0 || found > 0 && 2*found >= n {
		return nil
	}
	return &InputError{Err: &ForeignIDError{Column: in.m.Header[col], Found: found, Checked: n, MatchEmail: cfg.MatchEmail}}
}

// plan settles the row's outcome when no call is needed (and returns
// true), or fills j.plan for a sender.
func (im *importer) plan(j *job) bool {
	rec, o := j.rec, &j.out
	done, hasDone := im.prevDone(j) // looked up once: a resume's hot path
	if why, by := im.cfg.window(j.seq); why != "" {
		if hasDone && done.Hash == j.hash {
			// Done by an earlier run: still done, whatever this run takes.
			o.Result, o.CustomerID = ResultSkipped, done.ID
			j.plan.result = done.Result
			return true
		}
		// not_attempted, so that a --resume without the flag sends it.
		o.Result, j.leftOut = ResultNotAttempted, true
		o.Error = "not sent: " + why + "; to send it, run the same command again with " + im.cfg.option(OptResume) + " and without " + im.cfg.option(by)
		return true
	}
	if !rec.Valid() {
		o.Result, o.Error = ResultInvalid, rec.ErrorText()
		return true
	}
	if rec.Action == customer.ActionSkip {
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

	doubt, inDoubt := im.prev.inDoubt(j.key, j.hash) // looked up once
	if inDoubt && rec.Action == customer.ActionDelete && doubt.Intent == intentDelete && doubt.ID != "" &&
		(rec.ID == "" || rec.ID == doubt.ID) && im.idx != nil && im.idx.id(doubt.ID) == nil {
		// The interrupted run sent this delete and no answer came back;
		// the customer is gone: the delete landed (by id or by email).
		o.Result, o.CustomerID = ResultDeleted, doubt.ID
		o.Changes = "deleted by the interrupted run (the customer is gone)"
		j.plan = plan{op: opNone, result: ResultDeleted}
		return true
	}

	var cur *apiclient.Customer
	var earlier string // how a previous run's create of this row is known
	id := rec.ID
	if id != "" && im.idx != nil {
		// Ids are opaque: only the tenant can tell whether a row's id is
		// one of its customers.
		if cur = im.idx.id(id); cur == nil {
			o.Result, o.Error = ResultInvalid, columnMsg(im.in.m, customer.FieldID, fmt.Sprintf("no customer with id %q in this tenant; nothing was sent for this row", id))
			return true
		}
		if msg := im.emailPointsElsewhere(rec, cur); msg != "" {
			o.Result, o.Error = ResultInvalid, msg
			return true
		}
	}
	if id == "" && im.cfg.MatchEmail && rec.Action != customer.ActionCreate {
		cs := im.idx.emails(rec.EmailKey)
		if len(cs) > 1 {
			o.Result, o.Error = ResultInvalid, columnMsg(im.in.m, customer.FieldEmail, sharedEmail(cs))
			return true
		}
		if len(cs) == 1 {
			cur, id = cs[0], cs[0].ID
			if c, how := im.createdEarlier(j, done, hasDone); c != nil && c.ID == id {
				earlier = how // the interrupted run's create, found by email
			}
		}
	}
	// The overwrite policies hold back what an update may change of a
	// customer the row did not create; the interrupted run's create of
	// this very row is completed as a create would have been.
	ow := im.cfg.Overwrite
	if earlier != "" {
		ow = nil
	}
	var p plan
	switch rec.Action {
	case customer.ActionCreate:
		p = plan{op: opCreate}
	case customer.ActionUpsert:
		if id != "" {
			p = updatePlan(rec, id, cur, im.cfg.BlankClear, ow)
		} else {
			p = plan{op: opCreate}
		}
	case customer.ActionUpdate:
		if id == "" {
			o.Result, o.Error = ResultInvalid, columnMsg(im.in.m, customer.FieldEmail, "no customer with this email; use action create or upsert to add it")
			return true
		}
		p = updatePlan(rec, id, cur, im.cfg.BlankClear, ow)
	case customer.ActionDelete:
		if id == "" {
			o.Result, o.Error = ResultInvalid, columnMsg(im.in.m, customer.FieldEmail, "no customer with this email to delete")
			return true
		}
		p = plan{op: opDelete, id: id, cur: cur}
	}
	if p.op == opCreate {
		if rec.Action == customer.ActionUpsert && im.cfg.MatchEmail {
			// Only now is it known that this row creates: it needs a name.
			im.v.RequireCreate(rec)
			if !rec.Valid() {
				o.Result, o.Error = ResultInvalid, rec.ErrorText()
				return true
			}
		}
		p.fields = createFields(rec)
		c, how := im.createdEarlier(j, done, hasDone)
		if how == cannotTell {
			im.failed(o, fmt.Errorf("the interrupted run may have created this row's customer, and the tenant holds %s with this email; as several customers may share an email here, they cannot be told apart, so nothing was sent: check them, and import the row again if none is this row's",
				customers(im.idx.emails(rec.EmailKey))), "outcome unknown: ")
			return true
		}
		if c != nil && how == foundAfter && rec.Action == customer.ActionCreate && im.cfg.MatchEmail {
			// A create row with no intent whose email the tenant holds:
			// most likely the customer was there before (the row was
			// refused then); never write the row onto it.
			c = nil
		}
		if c != nil {
			// An earlier run created this row's customer: never again.
			// What the row holds now and the customer does not (the row
			// was edited since, or the create landed without its
			// response) is sent as an update.
			up := updatePlan(rec, c.ID, c, im.cfg.BlankClear, nil)
			if up.op == opNone {
				o.Result, o.CustomerID = ResultCreated, c.ID
				o.Changes = how + "; not sent again"
				j.plan = plan{op: opNone, result: ResultCreated}
				return true
			}
			p = up
			p.changes = how + "; the row changed since, so it is updated: " + p.changes
		} else if rec.Action == customer.ActionCreate && im.cfg.MatchEmail {
			// A create never makes a second customer with an email the
			// tenant holds (--match none allows it).
			if cs := im.idx.emails(rec.EmailKey); len(cs) > 0 {
				o.Result, o.Error = ResultInvalid, columnMsg(im.in.m, customer.FieldEmail, heldEmail(cs))
				return true
			}
		}
	}
	if inDoubt && p.id != "" && doubt.ID == p.id && doubt.Intent == intentUpdate && p.op == opNone && p.result == ResultUnchanged {
		// The interrupted run sent this update and no outcome came back:
		// the server already shows it, so the row is done.
		p.result = ResultUpdated
		p.changes = "applied by the interrupted run (the customer already holds these values)"
	}
	if earlier != "" && p.op == opNone {
		o.Result, o.CustomerID = ResultCreated, p.id
		o.Changes = earlier + "; not sent again"
		j.plan = plan{op: opNone, result: ResultCreated}
		return true
	}
	if earlier != "" && p.op == opUpdate {
		p.changes = earlier + "; the row changed since, so it is updated: " + p.changes
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
	// (every create without a confirmed outcome is looked for before it is
	// sent again).
	if !im.cfg.MatchEmail {
		return im.createdEarlierNoMatch(j)
	}
	c := im.idx.email(j.rec.EmailKey)
	if c == nil {
		return nil, ""
	}
	if e, ok := p.inDoubt(j.key, j.hash); ok && e.Intent == intentCreate {
		return c, "created by the interrupted run (its response was lost; found by email)"
	}
	return c, foundAfter
}

// createdEarlierNoMatch is createdEarlier under --match none, where the
// tenant may hold other customers with the row's email. A create intent
// that names the customers that had the email before it was sent
// (Older) is settled exactly: the one customer not among them is its
// create. Otherwise (an older journal, a run that could not list, or no
// intent: never sent, or its line lost with a cut journal) one customer
// with the email is taken for the create, as with matching by email, so
// that a lost intent never makes a second customer; several are not
// guessed between: how is cannotTell.
func (im *importer) createdEarlierNoMatch(j *job) (*apiclient.Customer, string) {
	cs := im.idx.emails(j.rec.EmailKey)
	e, sent := im.prev.inDoubt(j.key, j.hash)
	sent = sent && e.Intent == intentCreate
	if sent && e.Older != nil {
		older := map[string]bool{}
		for _, id := range *e.Older {
			older[id] = true
		}
		cs = slices.DeleteFunc(cs, func(c *apiclient.Customer) bool { return older[c.ID] })
	}
	switch {
	case len(cs) == 0:
		return nil, ""
	case len(cs) > 1:
		return nil, cannotTell
	case sent:
		return cs[0], "created by the interrupted run (its response was lost; found by email)"
	}
	return cs[0], foundAfter
}

// cannotTell is how createdEarlier says it cannot tell whether the
// interrupted run created the row's customer (--match none).
const cannotTell = "cannot tell"

// foundAfter is how createdEarlier knows a customer it found by email
// for a row with no intent in the journal: the row may have been sent
// (a journal cut at a line loses intents), or the customer may be older
// than the interrupted run.
const foundAfter = "found by email after the interrupted run"

// emailPointsElsewhere says why a row's id and email disagree with the
// tenant, or "": with matching by email, a row whose email belongs to
// other customers than its id's would write one person's data onto
// another (or give a second customer that email).
func (im *importer) emailPointsElsewhere(rec *customer.Record, cur *apiclient.Customer) string {
	if !im.cfg.MatchEmail || rec.EmailKey == "" || strings.EqualFold(cur.Email, rec.EmailKey) {
		return ""
	}
	cs := im.idx.emails(rec.EmailKey)
	if len(cs) == 0 {
		return "" // a new email for this customer: an update
	}
	for _, c := range cs {
		if c.ID == cur.ID {
			return ""
		}
	}
	return columnMsg(im.in.m, customer.FieldID, fmt.Sprintf("id %q is the customer with email %q, but the row's email belongs to %s; fix the id or the email so that both name one customer", cur.ID, cur.Email, customers(cs)))
}

// sharedEmail is the error of a row matched by an email that several
// customers hold: never pick one.
func sharedEmail(cs []*apiclient.Customer) string {
	return fmt.Sprintf("%d customers of this tenant have this email (ids %s); nothing was sent: add an id column with the id of the one to change", len(cs), idList(cs))
}

// heldEmail is the error of a create row whose email the tenant holds.
func heldEmail(cs []*apiclient.Customer) string {
	return fmt.Sprintf("the tenant already has %s with this email, so creating would make a second one; nothing was sent: use action upsert or update to change it", customers(cs))
}

// customers names customers by id: "customer 7f5f…" or "customers a, b".
func customers(cs []*apiclient.Customer) string {
	if len(cs) == 1 {
		return "customer " + idList(cs)
	}
	return "customers " + idList(cs)
}

// idList lists the customers' ids, at most ten.
func idList(cs []*apiclient.Customer) string {
	const most = 10
	ids := make([]string, 0, min(len(cs), most))
	for _, c := range cs[:min(len(cs), most)] {
		ids = append(ids, c.ID)
	}
	s := strings.Join(ids, ", ")
	if len(cs) > most {
		s += fmt.Sprintf(" and %d more", len(cs)-most)
	}
	return s
}

func columnMsg(m *customer.Mapping, f customer.Field, msg string) string {
	if i, ok := m.Index[f]; ok {
		return m.Header[i] + ": " + msg
	}
	return string(f) + ": " + msg
}
