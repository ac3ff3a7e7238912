package apiclient

import (
	"bytes"
	"encoding/json"
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
// it. If "id" is absent, ID is taken from "_id" (a string or {"$oid": …}).
// Raw receives a copy of data.
func (c *Customer) UnmarshalJSON(data []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("customer: %w", err)
	}
	if m == nil {
		return fmt.Errorf("customer: got null, want a JSON object")
	}
	*c = Customer{Raw: bytes.Clone(data)}
	keep := func(k string, v json.RawMessage) {
		if c.Extra == nil {
			c.Extra = make(map[string]json.RawMessage, 2)
		}
		c.Extra[k] = v
	}
	for k, v := range m {
		var ok bool
		switch k {
		case "id":
			c.ID, ok = jsonText(v)
		case "firstName":
			c.FirstName, ok = jsonText(v)
		case "lastName":
			c.LastName, ok = jsonText(v)
		case "name":
			c.Name, ok = jsonText(v)
		case "email":
			c.Email, ok = jsonText(v)
		case "phone":
			c.Phone, ok = jsonText(v)
		case "status":
			c.Status, ok = jsonText(v)
		case "type":
			c.Type, ok = jsonText(v)
		case "notes":
			c.Notes, ok = jsonText(v)
		case "createdAt":
			c.CreatedAt, ok = jsonText(v)
		case "updatedAt":
			c.UpdatedAt, ok = jsonText(v)
		case "value":
			c.Value, ok = jsonNumber(v)
		case "autoPayment":
			c.AutoPayment, ok = jsonBool(v)
		default:
			keep(k, v)
			continue
		}
		if !ok {
			keep(k, v)
		}
	}
	if _, hasID := m["id"]; !hasID {
		if raw, has := m["_id"]; has {
			c.ID = objectID(raw)
		}
	}
	return nil
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

// jsonText converts a JSON scalar to text: strings as they are, numbers as
// their literal, booleans as true/false, null as "".
func jsonText(v json.RawMessage) (string, bool) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "", false
	}
	switch v[0] {
	case '"':
		var s string
		err := json.Unmarshal(v, &s)
		return s, err == nil
	case 'n':
		return "", string(v) == "null"
	case 't', 'f':
		return string(v), string(v) == "true" || string(v) == "false"
	case '{', '[':
		return "", false
	default:
		var n json.Number
		if json.Unmarshal(v, &n) != nil {
			return "", false
		}
		return n.String(), true
	}
}

func jsonNumber(v json.RawMessage) (float64, bool) {
	var f float64
	if json.Unmarshal(v, &f) == nil {
		return f, true
	}
	if s, ok := jsonText(v); ok && v[0] != 't' && v[0] != 'f' {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		return f, err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
	}
	return 0, false
}

func jsonBool(v json.RawMessage) (bool, bool) {
	s, ok := jsonText(v)
	if !ok {
		return false, false
	}
	switch s {
	case "true":
		return true, true
	case "false", "":
		return false, true
	}
	return false, false
}

// objectID reads "_id" as a string or as MongoDB extended JSON {"$oid": …}.
func objectID(v json.RawMessage) string {
	if s, ok := jsonText(v); ok {
		return s
	}
	var o struct {
		OID string `json:"$oid"`
	}
	if json.Unmarshal(v, &o) == nil {
		return o.OID
	}
	return ""
}
