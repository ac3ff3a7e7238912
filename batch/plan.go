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
