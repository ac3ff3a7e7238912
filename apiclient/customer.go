package apiclient

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// knownKeys lists the members that map onto Customer's typed fields, in the
// order MarshalJSON writes them.
var knownKeys = []string{
	"id", "firstName", "lastName", "name", "email", "phone", "status", "type",
	"value", "autoPayment", "notes", "createdAt", "updatedAt",
}

// UnmarshalJSON decodes one customer object. Known members fill the typed
// fields; every other member (including "_id") is kept in Extra. A known
// member whose JSON type is not the expected one (a phone sent as a number,
// a value sent as a string) is converted when that loses nothing (numbers
// and booleans to text, numeric strings to value, "true"/"false" to
// autoPayment, null to the zero value); otherwise the field stays zero and
// the member is kept verbatim in Extra, so that MarshalJSON still re-emits
// it. Of duplicate members the last wins. If "id" is absent, ID is taken
// from "_id" (a string or {"$oid": …}). Raw receives a copy of data.
func (c *Customer) UnmarshalJSON(data []byte) error {
	var arr [16]member
	ms := arr[:0]
	s := scanner{b: data}
	err := s.ws()
	if err == nil && data[s.i] != '{' {
		return errors.New("customer: want a JSON object")
	}
	if err == nil {
		err = s.object(1, &ms)
	}
	if err == nil && s.ws() != errNeedMore {
		err = s.fail("invalid character %q after top-level value", data[s.i])
	}
	switch {
	case err == errNeedMore:
		return errors.New("customer: unexpected end of JSON")
	case err != nil:
		return fmt.Errorf("customer: %w", err)
	}
	c.decode(bytes.Clone(data), ms)
	return nil
}

// Interned member names: decoding a member of this set allocates nothing.
const (
	keyID, keyOID                          = "id", "_id"
	keyFirstName, keyLastName, keyName     = "firstName", "lastName", "name"
	keyEmail, keyPhone, keyStatus, keyType = "email", "phone", "status", "type"
	keyValue, keyAutoPayment, keyNotes     = "value", "autoPayment", "notes"
	keyCreatedAt, keyUpdatedAt             = "createdAt", "updatedAt"
)

// memberKey is the name of member m, interned when it is a known one.
func memberKey(raw []byte, m *member) string {
	q := raw[m.k0:m.k1]
	var k []byte
	if m.kf == 0 {
		k = q[1 : len(q)-1]
	} else {
		k = appendUnquoted(make([]byte, 0, len(q)), q, m.kf)
	}
	switch string(k) {
	case keyID:
		return keyID
	case keyOID:
		return keyOID
	case keyFirstName:
		return keyFirstName
	case keyLastName:
		return keyLastName
	case keyName:
		return keyName
	case keyEmail:
		return keyEmail
	case keyPhone:
		return keyPhone
	case keyStatus:
		return keyStatus
	case keyType:
		return keyType
	case keyValue:
		return keyValue
	case keyAutoPayment:
		return keyAutoPayment
	case keyNotes:
		return keyNotes
	case keyCreatedAt:
		return keyCreatedAt
	case keyUpdatedAt:
		return keyUpdatedAt
	}
	return string(k)
}

// decode fills c from raw, a checked JSON object whose members are ms;
// Raw becomes raw and Extra's values alias it. The text fields share one
// string allocation (they are kept, or dropped, together with the
// customer anyway).
func (c *Customer) decode(raw []byte, ms []member) {
	*c = Customer{Raw: raw}
	type textRef struct{ field, a, b int } // a text field: text[a:b]
	var (
		buf   [512]byte
		text  = buf[:0]
		refs  [16]textRef
		nrefs = refs[:0]
		hasID bool
		oid   json.RawMessage
		// untyped has the bits (knownBit) of the typed members now in
		// Extra: only those need a look-up when a later duplicate types.
		untyped uint16
	)
	for i := range ms {
		m := &ms[i]
		k := memberKey(raw, m)
		v := json.RawMessage(raw[m.v0:m.v1:m.v1])
		field := textField(k)
		ok := false
		switch k {
		case keyID:
			hasID = true
		case keyValue:
			c.Value, ok = numberValue(v, m.vf)
		case keyAutoPayment:
			c.AutoPayment, ok = boolValue(v, m.vf)
		case keyOID:
			oid = v
		}
		if field >= 0 {
			a := len(text)
			if text, ok = appendText(text, v, m.vf); !ok {
				text = text[:a] // the field becomes ""
			}
			nrefs = append(nrefs, textRef{field, a, len(text)})
		}
		if ok {
			if bit := knownBit(k, field); untyped&bit != 0 { // the last of duplicate members wins
				untyped &^= bit
				delete(c.Extra, k)
				if len(c.Extra) == 0 {
					c.Extra = nil
				}
			}
			continue
		}
		untyped |= knownBit(k, field)
		if c.Extra == nil {
			c.Extra = make(map[string]json.RawMessage, 2)
		}
		c.Extra[k] = v
	}
	all := string(text)
	for _, r := range nrefs {
		*c.text(r.field) = all[r.a:r.b]
	}
	if !hasID && oid != nil {
		c.ID = objectID(oid)
	}
}

// knownBit is a bit of its own for each typed member: the text fields by
// number, then value and autoPayment; 0 for other names.
func knownBit(k string, field int) uint16 {
	switch {
	case field >= 0:
		return 1 << field
	case k == keyValue:
		return 1 << (fieldUpdatedAt + 1)
	case k == keyAutoPayment:
		return 1 << (fieldUpdatedAt + 2)
	}
	return 0
}

// The text fields, by number.
const (
	fieldID = iota
	fieldFirstName
	fieldLastName
	fieldName
	fieldEmail
	fieldPhone
	fieldStatus
	fieldType
	fieldNotes
	fieldCreatedAt
	fieldUpdatedAt
)

// textField is the number of the text field that member k fills, or -1.
func textField(k string) int {
	switch k {
	case keyID:
		return fieldID
	case keyFirstName:
		return fieldFirstName
	case keyLastName:
		return fieldLastName
	case keyName:
		return fieldName
	case keyEmail:
		return fieldEmail
	case keyPhone:
		return fieldPhone
	case keyStatus:
		return fieldStatus
	case keyType:
		return fieldType
	case keyNotes:
		return fieldNotes
	case keyCreatedAt:
		return fieldCreatedAt
	case keyUpdatedAt:
		return fieldUpdatedAt
	}
	return -1
}

func (c *Customer) text(field int) *string {
	switch field {
	case fieldID:
		return &c.ID
	case fieldFirstName:
		return &c.FirstName
	case fieldLastName:
		return &c.LastName
	case fieldName:
		return &c.Name
	case fieldEmail:
		return &c.Email
	case fieldPhone:
		return &c.Phone
	case fieldStatus:
		return &c.Status
	case fieldType:
		return &c.Type
	case fieldNotes:
		return &c.Notes
	case fieldCreatedAt:
		return &c.CreatedAt
	default:
		return &c.UpdatedAt
	}
}

// appendText appends v, a checked JSON value, as text: strings as they
// are, numbers as their literal, booleans as true/false, null as "".
// Objects and arrays have no text.
func appendText(dst []byte, v []byte, flags int) ([]byte, bool) {
	switch v[0] {
	case '"':
		return appendUnquoted(dst, v, flags), true
	case 'n':
		return dst, true
	case '{', '[':
		return dst, false
	default: // a number, true or false
		return append(dst, v...), true
	}
}

// numberValue reads value: a number, a numeric string, or null.
func numberValue(v []byte, flags int) (float64, bool) {
	switch v[0] {
	case 'n':
		return 0, true
	case 't', 'f', '{', '[':
		return 0, false
	case '"':
		var buf [64]byte
		s := strings.TrimSpace(string(appendUnquoted(buf[:0], v, flags)))
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return 0, false
		}
		return f, true
	default:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil { // out of range
			return 0, false
		}
		return f, true
	}
}

// boolValue reads autoPayment: true, false, null, or those as a string
// ("" for false).
func boolValue(v []byte, flags int) (bool, bool) {
	var buf [16]byte
	s, ok := appendText(buf[:0], v, flags)
	if !ok {
		return false, false
	}
	switch string(s) {
	case "true":
		return true, true
	case "false", "":
		return false, true
	}
	return false, false
}

// MarshalJSON writes "_id" (when in Extra) first, then the known members in
// a fixed order, then the other members of Extra sorted by key. A key
// present in Extra wins over the typed field of the same name, which keeps
// values that UnmarshalJSON could not type. Notes is omitted when empty,
// like the API does.
func (c Customer) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.Grow(256 + len(c.Raw))
	b.WriteByte('{')
	first := true
	member := func(k string, v []byte) {
		if !first {
			b.WriteByte(',')
		}
		first = false
		writeJSONString(&b, k)
		b.WriteByte(':')
		b.Write(v)
	}
	extra := func(k string) bool {
		v, ok := c.Extra[k]
		if ok {
			member(k, compactOr(v))
		}
		return ok
	}
	extra("_id")
	var sb bytes.Buffer
	str := func(k, v string) {
		if extra(k) {
			return
		}
		sb.Reset()
		writeJSONString(&sb, v)
		member(k, sb.Bytes())
	}
	str("id", c.ID)
	str("firstName", c.FirstName)
	str("lastName", c.LastName)
	str("name", c.Name)
	str("email", c.Email)
	str("phone", c.Phone)
	str("status", c.Status)
	str("type", c.Type)
	if !extra("value") {
		if math.IsNaN(c.Value) || math.IsInf(c.Value, 0) {
			return nil, fmt.Errorf("customer %s: value %v is not a JSON number", c.ID, c.Value)
		}
		member("value", strconv.AppendFloat(nil, c.Value, 'f', -1, 64))
	}
	if !extra("autoPayment") {
		member("autoPayment", strconv.AppendBool(nil, c.AutoPayment))
	}
	if !extra("notes") && c.Notes != "" {
		str("notes", c.Notes)
	}
	str("createdAt", c.CreatedAt)
	str("updatedAt", c.UpdatedAt)
	rest := make([]string, 0, len(c.Extra))
	for k := range c.Extra {
		if k != "_id" && !slices.Contains(knownKeys, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	for _, k := range rest {
		member(k, compactOr(c.Extra[k]))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// compactOr returns v without insignificant white space, or "null" when v
// is empty or not valid JSON, so that one bad Extra member cannot break the
// surrounding document.
func compactOr(v json.RawMessage) []byte {
	var b bytes.Buffer
	if len(v) == 0 || json.Compact(&b, v) != nil {
		return []byte("null")
	}
	return b.Bytes()
}

// writeJSONString appends s as a JSON string without HTML escaping (the
// output is data, not markup) and with invalid UTF-8 replaced, as
// encoding/json does.
func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)       // a string always encodes
	b.Truncate(b.Len() - 1) // Encode's newline
}

// objectID reads "_id" as a string or as MongoDB extended JSON {"$oid": …}.
func objectID(v json.RawMessage) string {
	var o struct {
		OID string `json:"$oid"`
	}
	switch v[0] {
	case '"':
		var s string
		_ = json.Unmarshal(v, &s)
		return s
	case '{':
		if json.Unmarshal(v, &o) == nil {
			return o.OID
		}
		return ""
	case 'n', '[':
		return ""
	default: // a number, true or false
		return string(v)
	}
}
