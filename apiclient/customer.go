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
// fields; every other member is kept in Extra. A known
// member whose JSON type is not the expected one (a phone sent as a number,
// a value sent as a string) is converted when that loses nothing (numbers
// and booleans to text, numeric strings to value, "true"/"false" to
// autoPayment, null to the zero value); otherwise the field stays zero and
// the member is kept verbatim in Extra, so that MarshalJSON still re-emits
// it. Of duplicate members the last wins. A string (or null) "_id" goes to
// ObjectID, any other stays in Extra; if "id" is absent, ID is taken from
// "_id" (a string or {"$oid": …}).
func (c *Customer) UnmarshalJSON(data []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("customer: %w", err)
	}
	if m == nil {
		return errors.New("customer: want a JSON object, not null")
	}
	*c = Customer{}
	_, hasID := m["id"]
	texts := []struct {
		key string
		dst *string
	}{
		{"id", &c.ID}, {"firstName", &c.FirstName}, {"lastName", &c.LastName},
		{"name", &c.Name}, {"email", &c.Email}, {"phone", &c.Phone},
		{"status", &c.Status}, {"type", &c.Type}, {"notes", &c.Notes},
		{"createdAt", &c.CreatedAt}, {"updatedAt", &c.UpdatedAt},
	}
	for _, f := range texts {
		if v, ok := m[f.key]; ok {
			if *f.dst, ok = textValue(v); ok {
				delete(m, f.key)
			}
		}
	}
	if v, ok := m["value"]; ok {
		if c.Value, ok = numberValue(v); ok {
			delete(m, "value")
		}
	}
	if v, ok := m["autoPayment"]; ok {
		if c.AutoPayment, ok = boolValue(v); ok {
			delete(m, "autoPayment")
		}
	}
	if v, ok := m["_id"]; ok {
		if !hasID {
			c.ID = objectID(v)
		}
		if v[0] == '"' || v[0] == 'n' {
			c.ObjectID = objectID(v)
			delete(m, "_id")
		}
	}
	if len(m) > 0 {
		c.Extra = m
	}
	return nil
}

// textValue reads a text field: a string as it is, a number or a boolean
// as its literal, null as "". Objects and arrays have no text.
func textValue(v json.RawMessage) (string, bool) {
	switch v[0] {
	case '"':
		var s string
		err := json.Unmarshal(v, &s)
		return s, err == nil
	case 'n':
		return "", true
	case '{', '[':
		return "", false
	}
	return string(v), true
}

// numberValue reads value: a number, a numeric string, or null.
func numberValue(v json.RawMessage) (float64, bool) {
	switch v[0] {
	case 't', 'f', '{', '[':
		return 0, false
	case '"':
		s, _ := textValue(v)
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return 0, false
		}
		return f, true
	}
	var f float64
	err := json.Unmarshal(v, &f) // null leaves 0; a number out of range fails
	return f, err == nil
}

// boolValue reads autoPayment: true, false, null, or those as a string
// ("" for false).
func boolValue(v json.RawMessage) (bool, bool) {
	s, ok := textValue(v)
	switch {
	case !ok:
		return false, false
	case s == "true":
		return true, true
	case s == "false" || s == "":
		return false, true
	}
	return false, false
}

// MarshalJSON writes "_id" (from Extra, or ObjectID) first, then the known
// members in a fixed order, then the other members of Extra sorted by
// key. A key present in Extra wins over the typed field of the same name,
// which keeps values that UnmarshalJSON could not type. Notes is omitted
// when empty, like the API does.
func (c Customer) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.Grow(256)
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
	var sb bytes.Buffer
	str := func(k, v string) {
		if extra(k) {
			return
		}
		sb.Reset()
		writeJSONString(&sb, v)
		member(k, sb.Bytes())
	}
	if !extra("_id") && c.ObjectID != "" {
		str("_id", c.ObjectID)
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
