package sandbox

import (
	"bytes"
	"encoding/json"
	"math"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"aivabatch/apiclient"
)

// record is one stored customer. Records are immutable once stored: an
// update stores a new record, so a list can encode a snapshot of pointers
// without holding the lock.
type record struct {
	seq         uint64 // creation order
	id          string // as Options.IDStyle makes it (any text when loaded or seeded)
	numericID   bool   // sent as a JSON number (IDNumeric)
	firstName   string
	lastName    string
	name        string
	email       string
	phone       string
	status      string
	typ         string
	notes       string
	value       float64
	autoPayment bool
	created     int64 // Unix milliseconds
	updated     int64
}

// tenant holds one tenant's customers in creation order. recs[i] is nil
// once deleted; seqs[i] stays, so that a list can resume after seq even
// across compaction.
type tenant struct {
	name  string
	recs  []*record
	seqs  []uint64
	byID  map[string]int // index into recs
	dead  int
	idem  map[string]idemEntry
	order []string // idempotency keys, oldest first
}

type idemEntry struct {
	bodyHash [32]byte
	response []byte
}

// maxIdempotencyKeys bounds the idempotency keys remembered per tenant;
// the oldest are forgotten first.
const maxIdempotencyKeys = 100_000

func newTenant(name string) *tenant {
	return &tenant{name: name, byID: map[string]int{}, idem: map[string]idemEntry{}}
}

func (t *tenant) add(r *record) {
	t.byID[r.id] = len(t.recs)
	t.recs = append(t.recs, r)
	t.seqs = append(t.seqs, r.seq)
}

func (t *tenant) get(id string) *record {
	if i, ok := t.byID[id]; ok {
		return t.recs[i]
	}
	return nil
}

func (t *tenant) replace(r *record) {
	t.recs[t.byID[r.id]] = r
}

func (t *tenant) remove(id string) bool {
	i, ok := t.byID[id]
	if !ok {
		return false
	}
	delete(t.byID, id)
	t.recs[i] = nil
	t.dead++
	if t.dead > 1024 && t.dead > len(t.recs)/2 {
		t.compact()
	}
	return true
}

func (t *tenant) compact() {
	recs := make([]*record, 0, len(t.recs)-t.dead)
	seqs := make([]uint64, 0, cap(recs))
	for _, r := range t.recs {
		if r != nil {
			t.byID[r.id] = len(recs)
			recs = append(recs, r)
			seqs = append(seqs, r.seq)
		}
	}
	t.recs, t.seqs, t.dead = recs, seqs, 0
}

func (t *tenant) count() int { return len(t.recs) - t.dead }

// page appends to buf the live records created after seq, up to cap(buf),
// and returns them with the seq to resume after.
func (t *tenant) page(after uint64, buf []*record) ([]*record, uint64) {
	i, _ := slices.BinarySearch(t.seqs, after+1)
	for ; i < len(t.recs) && len(buf) < cap(buf); i++ {
		after = t.seqs[i]
		if r := t.recs[i]; r != nil {
			buf = append(buf, r)
		}
	}
	return buf, after
}

func (t *tenant) remember(key string, e idemEntry) {
	if _, ok := t.idem[key]; !ok {
		t.order = append(t.order, key)
	}
	t.idem[key] = e
	if len(t.order) > maxIdempotencyKeys {
		delete(t.idem, t.order[0])
		t.order = t.order[1:]
	}
}

// apiJSON is the API's JSON form of a customer, members in its order:
// apiclient.Customer's fields and tags without its JSON methods.
type apiJSON apiclient.Customer

// appendJSON appends the API's JSON form of r.
func (r *record) appendJSON(b []byte) []byte {
	v := r.value
	if math.IsNaN(v) || math.IsInf(v, 0) { // not stored, but never a broken body
		v = 0
	}
	e := encoders.Get().(*encoder)
	defer encoders.Put(e)
	e.rec = apiJSON{
		ObjectID: r.id, ID: r.id, FirstName: r.firstName, LastName: r.lastName, Name: r.name,
		Email: r.email, Phone: r.phone, Status: r.status, Type: r.typ, Value: v,
		AutoPayment: r.autoPayment, Notes: r.notes,
		CreatedAt: formatTime(r.created), UpdatedAt: formatTime(r.updated),
	}
	b = e.append(b, &e.rec)
	if r.numericID {
		// "_id" and "id" are the first members: sent as JSON numbers.
		q := strconv.Quote(r.id)
		b = bytes.Replace(b, []byte(q), []byte(r.id), 2)
	}
	return b
}

// withoutID returns the JSON object b with its "_id" and "id" members
// removed (the ListNoID and CreateNoID faults). appendJSON writes them
// first, before "firstName".
func withoutID(b []byte) []byte {
	i := bytes.Index(b, []byte(`,"firstName":`))
	if len(b) == 0 || b[0] != '{' || i < 0 {
		return b
	}
	return append([]byte{'{'}, b[i+1:]...)
}

// appendJSON appends v, which must encode, as JSON without HTML escaping:
// the API's bodies are data, not markup.
func appendJSON(b []byte, v any) []byte {
	e := encoders.Get().(*encoder)
	defer encoders.Put(e)
	return e.append(b, v)
}

// An encoder is reused across records (from encoders): a list of a
// million customers would otherwise allocate an encoder, a buffer and a
// copy of the record for each, and the collections they cause mark the
// whole store each time.
type encoder struct {
	buf bytes.Buffer
	enc *json.Encoder
	rec apiJSON
}

var encoders = sync.Pool{New: func() any {
	e := &encoder{}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}}

func (e *encoder) append(b []byte, v any) []byte {
	e.buf.Reset()
	if err := e.enc.Encode(v); err != nil {
		panic("sandbox: " + err.Error())
	}
	return append(b, bytes.TrimSuffix(e.buf.Bytes(), []byte("\n"))...)
}

// timeLayout is ISO 8601 UTC with milliseconds, as the API sends.
const timeLayout = "2006-01-02T15:04:05.000Z"

func formatTime(ms int64) string {
	return time.UnixMilli(ms).UTC().Format(timeLayout)
}

// Validation of request bodies.

var statuses = []string{"active", "inactive", "blocked"}

// validEmail accepts one bare address, as net/mail parses it.
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}

// splitName derives firstName and lastName: the first word, and the rest.
func splitName(name string) (string, string) {
	f := strings.Fields(name)
	if len(f) == 0 {
		return "", ""
	}
	return f[0], strings.Join(f[1:], " ")
}

// apply sets the members of body on r (a fresh record for a create, a
// copy for an update) and returns every problem found, in a fixed order.
func apply(r *record, body map[string]json.RawMessage, create bool) []string {
	var problems []string
	text := func(key string) (string, bool) {
		v, ok := body[key]
		if !ok || string(v) == "null" {
			return "", false
		}
		var s string
		if json.Unmarshal(v, &s) != nil {
			problems = append(problems, key+" must be a string")
			return "", false
		}
		return strings.TrimSpace(s), true
	}
	if s, ok := text("name"); ok {
		if s == "" && !create {
			problems = append(problems, "name cannot be empty")
		}
		r.name = s
	}
	if create && r.name == "" && !slices.Contains(problems, "name must be a string") {
		problems = append(problems, "name is required")
	}
	if s, ok := text("email"); ok {
		switch {
		case s == "" && !create:
			problems = append(problems, "email cannot be empty")
		case s != "" && !validEmail(s):
			problems = append(problems, "email is not a valid address")
		}
		r.email = s
	}
	if create && r.email == "" && !slices.ContainsFunc(problems, func(p string) bool { return strings.HasPrefix(p, "email") }) {
		problems = append(problems, "email is required")
	}
	if s, ok := text("status"); ok {
		if !slices.Contains(statuses, s) && (s != "" || !create) {
			problems = append(problems, "status must be one of active, inactive, blocked")
		}
		r.status = s
	}
	if s, ok := text("type"); ok {
		r.typ = s
	}
	for _, f := range []struct {
		key string
		dst *string
	}{{"firstName", &r.firstName}, {"lastName", &r.lastName}, {"phone", &r.phone}, {"notes", &r.notes}} {
		if s, ok := text(f.key); ok {
			*f.dst = s
		}
	}
	if v, ok := body["value"]; ok && string(v) != "null" {
		var n float64
		if v[0] == '"' || json.Unmarshal(v, &n) != nil {
			problems = append(problems, "value must be a number")
		}
		r.value = n
	}
	if v, ok := body["autoPayment"]; ok && string(v) != "null" {
		var t bool
		if json.Unmarshal(v, &t) != nil {
			problems = append(problems, "autoPayment must be a boolean")
		}
		r.autoPayment = t
	}
	if r.typ == "" {
		r.typ = "individual"
	}
	if create {
		if r.status == "" {
			r.status = "active"
		}
		if r.firstName == "" && r.lastName == "" {
			r.firstName, r.lastName = splitName(r.name)
		}
	}
	return problems
}

// allDigits reports whether s is a decimal number without sign or
// leading zero, as IDNumeric ids are.
func allDigits(s string) bool {
	if s == "" || s[0] == '0' || len(s) > 30 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
