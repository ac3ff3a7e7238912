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
	"unicode/utf8"
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
	raw := bytes.Clone(data)
	*c = Customer{Raw: raw}
	// A hand-written pass over the members: the list of a large tenant is
	// decoded customer by customer, and a map[string]json.RawMessage plus
	// one json.Unmarshal per member cost several times more.
	sc := objScanner{b: raw}
	sc.space()
	if !sc.eat('{') {
		return errors.New("customer: want a JSON object")
	}
	hasID := false
	var oid json.RawMessage
	sc.space()
	if !sc.eat('}') {
		for {
			sc.space()
			kstart := sc.i
			if !sc.skipValue() || raw[kstart] != '"' {
				return sc.err()
			}
			k, ok := memberName(raw[kstart:sc.i])
			if !ok {
				return sc.err()
			}
			sc.space()
			if !sc.eat(':') {
				return sc.err()
			}
			sc.space()
			vstart := sc.i
			if !sc.skipValue() {
				return sc.err()
			}
			v := json.RawMessage(raw[vstart:sc.i:sc.i])
			switch k {
			case "id":
				hasID = true
			case "_id":
				oid = v
			}
			c.setMember(k, v)
			sc.space()
			if sc.eat(',') {
				continue
			}
			if sc.eat('}') {
				break
			}
			return sc.err()
		}
	}
	sc.space()
	if sc.i != len(raw) {
		return sc.err()
	}
	if !hasID && oid != nil {
		c.ID = objectID(oid)
	}
	return nil
}

// setMember stores member k: in its typed field when its JSON type allows,
// else in Extra.
func (c *Customer) setMember(k string, v json.RawMessage) {
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
	}
	if ok {
		if _, dup := c.Extra[k]; dup { // the last of duplicate members wins
			delete(c.Extra, k)
			if len(c.Extra) == 0 {
				c.Extra = nil
			}
		}
		return
	}
	if c.Extra == nil {
		c.Extra = make(map[string]json.RawMessage, 2)
	}
	c.Extra[k] = v
}

// objScanner finds the extent of JSON values. It checks structure
// (brackets, quotes, literals), not every detail of the grammar: strings
// and numbers are checked when converted.
type objScanner struct {
	b []byte
	i int
}

func (s *objScanner) err() error {
	if s.i >= len(s.b) {
		return errors.New("customer: unexpected end of JSON")
	}
	return fmt.Errorf("customer: invalid JSON at offset %d", s.i)
}

func (s *objScanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *objScanner) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// skipValue moves past one value.
func (s *objScanner) skipValue() bool {
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		return s.skipString()
	case c == '{' || c == '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				if !s.skipString() {
					return false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return true
				}
			}
			s.i++
		}
		return false
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		start := s.i
		for s.i < len(s.b) && strings.IndexByte("0123456789+-.eE", s.b[s.i]) >= 0 {
			s.i++
		}
		_, err := strconv.ParseFloat(string(s.b[start:s.i]), 64)
		return err == nil || errors.Is(err, strconv.ErrRange)
	}
	return false
}

func (s *objScanner) skipString() bool {
	for s.i++; s.i < len(s.b); s.i++ {
		switch s.b[s.i] {
		case '\\':
			s.i++
		case '"':
			s.i++
			return true
		}
	}
	return false
}

func (s *objScanner) literal(lit string) bool {
	if bytes.HasPrefix(s.b[s.i:], []byte(lit)) {
		s.i += len(lit)
		return true
	}
	return false
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
		if len(v) >= 2 && plainString(v[1:len(v)-1]) {
			return string(v[1 : len(v)-1]), true
		}
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
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return 0, false
		}
		return f, true
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

// plainString reports whether the inside of a JSON string needs no
// decoding: no escapes, no control characters, valid UTF-8.
func plainString(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c == '\\' {
			return false
		}
	}
	return utf8.Valid(b)
}

// memberName decodes a quoted member name, without allocating for the
// names of the typed fields.
func memberName(q []byte) (string, bool) {
	if len(q) >= 2 && plainString(q[1:len(q)-1]) {
		for _, k := range knownKeys {
			if string(q[1:len(q)-1]) == k {
				return k, true
			}
		}
	}
	return jsonText(q)
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
