package apiclient

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

// refCustomer decodes in the way this package did before its hand-written
// scanner, with encoding/json doing all the JSON: the reference for the
// differential tests below.
func refCustomer(in []byte) (Customer, error) {
	if !json.Valid(in) {
		return Customer{}, errors.New("invalid JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(in))
	if tok, _ := dec.Token(); tok != json.Delim('{') {
		return Customer{}, errors.New("not an object")
	}
	var c Customer
	hasID := false
	var oid json.RawMessage
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return Customer{}, err
		}
		k := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return Customer{}, err
		}
		switch k {
		case "id":
			hasID = true
		case "_id":
			oid = v
		}
		refSet(&c, k, v)
	}
	if !hasID && oid != nil {
		c.ID = refObjectID(oid)
	}
	return c, nil
}

func refSet(c *Customer, k string, v json.RawMessage) {
	var ok bool
	switch k {
	case "id":
		c.ID, ok = refText(v)
	case "firstName":
		c.FirstName, ok = refText(v)
	case "lastName":
		c.LastName, ok = refText(v)
	case "name":
		c.Name, ok = refText(v)
	case "email":
		c.Email, ok = refText(v)
	case "phone":
		c.Phone, ok = refText(v)
	case "status":
		c.Status, ok = refText(v)
	case "type":
		c.Type, ok = refText(v)
	case "notes":
		c.Notes, ok = refText(v)
	case "createdAt":
		c.CreatedAt, ok = refText(v)
	case "updatedAt":
		c.UpdatedAt, ok = refText(v)
	case "value":
		c.Value, ok = refNumber(v)
	case "autoPayment":
		c.AutoPayment, ok = refBool(v)
	case "_id":
		c.ObjectID = ""
		if v[0] == '"' || v[0] == 'n' {
			c.ObjectID, ok = refText(v)
		}
	}
	if ok {
		delete(c.Extra, k)
		if len(c.Extra) == 0 {
			c.Extra = nil
		}
		return
	}
	if c.Extra == nil {
		c.Extra = map[string]json.RawMessage{}
	}
	c.Extra[k] = v
}

func refText(v json.RawMessage) (string, bool) {
	switch v[0] {
	case '"':
		var s string
		err := json.Unmarshal(v, &s)
		return s, err == nil
	case 'n':
		return "", true
	case 't', 'f':
		return string(v), true
	case '{', '[':
		return "", false
	}
	var n json.Number
	err := json.Unmarshal(v, &n)
	return n.String(), err == nil
}

func refNumber(v json.RawMessage) (float64, bool) {
	var f float64
	if json.Unmarshal(v, &f) == nil {
		return f, true
	}
	if s, ok := refText(v); ok && v[0] != 't' && v[0] != 'f' {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return 0, false
		}
		return f, true
	}
	return 0, false
}

func refBool(v json.RawMessage) (bool, bool) {
	s, ok := refText(v)
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

func refObjectID(v json.RawMessage) string {
	if s, ok := refText(v); ok {
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

// sameCustomer compares two decodings, NaN-free values by ==.
func sameCustomer(a, b Customer) bool {
	if len(a.Extra) == 0 && len(b.Extra) == 0 {
		a.Extra, b.Extra = nil, nil
	}
	return reflect.DeepEqual(a, b)
}

// genObject writes a random customer-like JSON object: known and unknown
// names (some escaped or repeated), strings with escapes, surrogates and
// non-ASCII text, numbers of every shape, literals, nested values, and
// white space in every place JSON allows it.
func genObject(r *rand.Rand) string {
	names := []string{
		`"id"`, `"_id"`, `"firstName"`, `"lastName"`, `"name"`, `"email"`, `"phone"`,
		`"status"`, `"type"`, `"value"`, `"autoPayment"`, `"notes"`, `"createdAt"`,
		`"updatedAt"`, `"tags"`, `"accountId"`, `"na\u006de"`, `"\u0069d"`, `"é"`,
		`"x\"y"`, `""`, `"va\/lue"`,
	}
	strs := []string{
		`""`, `"Ana"`, `"Zoë Müller"`, `"\u00e9t\u00C9"`, `"say \"hi\""`, `"a\\b\/c"`,
		`"line\nnext\r\n\ttab\b\f"`, `"\ud83d\ude00 smile"`, `"lone \ud800 high"`,
		`"lone \udc00 low"`, `"pair then \ud83d\u0041"`, `"\u0000nul"`, "\"raw \xff\xfe bytes\"",
		"\"raw \xed\xa0\x80 surrogate\"", `"12"`, `" 1234.5 "`, `"1e3"`, `"-0.5"`, `"true"`,
		`"false"`, `"Inf"`, `"NaN"`, `"0x1p3"`, `"1e400"`, `"日本語"`, `"<b>&amp;</b>"`,
	}
	nums := []string{`0`, `-0`, `12`, `-3`, `12.5`, `-0.5`, `1e3`, `1E+2`, `2.5e-3`,
		`1e400`, `-1e400`, `18001234567`, `123456789012345678901234567890`}
	lits := []string{`true`, `false`, `null`}
	nested := []string{`{}`, `[]`, `{"a":[1,"]}",{"b":null}]}`, `[1, 2.5, "x", [true]]`,
		`{"$oid":"65f0a1b2c3d4e5f6a7b8c9d0"}`, `{"work":"a@b.c","home":{"x":"\u00e9"}}`}
	ws := func() string {
		switch r.IntN(6) {
		case 0:
			return " "
		case 1:
			return "\n\t "
		case 2:
			return "\r\n"
		}
		return ""
	}
	value := func() string {
		switch r.IntN(10) {
		case 0, 1, 2, 3:
			return strs[r.IntN(len(strs))]
		case 4, 5:
			return nums[r.IntN(len(nums))]
		case 6, 7:
			return lits[r.IntN(len(lits))]
		default:
			return nested[r.IntN(len(nested))]
		}
	}
	var b strings.Builder
	b.WriteString(ws() + "{")
	for i := range r.IntN(18) {
		if i > 0 {
			b.WriteString(ws() + ",")
		}
		b.WriteString(ws() + names[r.IntN(len(names))] + ws() + ":" + ws() + value() + ws())
	}
	b.WriteString("}" + ws())
	return b.String()
}

// TestDecodeMatchesEncodingJSON: the hand-written decoder gives the same
// Customer as encoding/json does, on many generated objects.
func TestCustomerDecodeMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		in := genObject(r)
		if !json.Valid([]byte(in)) {
			t.Fatalf("generated invalid JSON: %s", in)
		}
		checkAgainstRef(t, in)
		if t.Failed() {
			t.Fatalf("object %d", i)
		}
	}
}

func checkAgainstRef(t *testing.T, in string) {
	t.Helper()
	want, werr := refCustomer([]byte(in))
	var got Customer
	gerr := got.UnmarshalJSON([]byte(in))
	if (gerr == nil) != (werr == nil) {
		t.Fatalf("UnmarshalJSON(%q) error = %v, encoding/json's = %v", in, gerr, werr)
	}
	if gerr == nil && !sameCustomer(got, want) {
		t.Fatalf("UnmarshalJSON(%q)\n got %+v\nwant %+v", in, got, want)
	}
}

// FuzzDecodeMatchesEncodingJSON: any input is accepted exactly when it is
// a JSON object, and decodes as encoding/json would.
func FuzzCustomerDecodeMatchesEncodingJSON(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 50 {
		f.Add(genObject(r))
	}
	f.Add(`{"a":1e}`)
	f.Add(`{"a":"\u12"}`)
	f.Add(`{"a":01}`)
	f.Add(`{"a":-}`)
	f.Add(`{"a":1.}`)
	f.Add("{\"a\":\"\x01\"}")
	f.Fuzz(func(t *testing.T, in string) {
		isObject := json.Valid([]byte(in)) && strings.TrimLeft(in, " \t\r\n") != "" && strings.TrimLeft(in, " \t\r\n")[0] == '{'
		var c Customer
		err := c.UnmarshalJSON([]byte(in))
		if (err == nil) != isObject {
			t.Fatalf("UnmarshalJSON(%q) = %v, but JSON object: %v", in, err, isObject)
		}
		if isObject {
			checkAgainstRef(t, in)
		}
	})
}

// refList splits a list with a plain json.Decoder.
func refList(body []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, errors.New("not an array")
	}
	var out []string
	for dec.More() {
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return out, err
		}
		if v[0] != '{' {
			return out, errors.New("not an object")
		}
		out = append(out, string(v))
	}
	if _, err := dec.Token(); err != nil {
		return out, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return out, errors.New("data after the list")
	}
	return out, nil
}

// TestReadListMatchesDecoder: readList yields the elements a plain
// json.Decoder finds, byte for byte, however the body is split into reads,
// and fails where it fails; a typed element is the Customer that
// UnmarshalJSON makes of those bytes.
func TestReadListMatchesDecoder(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var bodies []string
	api := `{"_id":"65f0a1b2c3d4e5f6a7b8c9d0","id":"65f0a1b2c3d4e5f6a7b8c9d0","name":"A B","email":"a@b.c","value":1.5,"autoPayment":true,"createdAt":"2025-01-01T00:00:00.000Z"}`
	for range 300 {
		var b strings.Builder
		b.WriteString(" [")
		for i := range r.IntN(6) {
			if i > 0 {
				b.WriteString(" ,\n")
			}
			if r.IntN(3) == 0 {
				b.WriteString(api)
			} else {
				b.WriteString(genObject(r))
			}
		}
		b.WriteString("]\n")
		bodies = append(bodies, b.String())
	}
	bodies = append(bodies, `[]`, `[{}]`, `[{"a":1},{"b":[{"c":"]"}]}]`, `[{"a":1},]`, `[{"a":1}{"b":2}]`,
		`[{"a":1}`, `[{"a":1},`, `[`, `[{"a":[1}]`, `[{"a":1}] x`, `[{"a":1}] {}`, `{"a":1}`, `[1]`,
		`[{"a":1},null]`, `[{"a":tru}]`, `[{"a":"\x"}]`, `[{"a":01}]`, "[{\"a\":\"\x01\"}]",
		`[{"id":null,"_id":"x"},{"id":"1","phone":18001234567},{"id":"2","extra":[1]}]`,
		`[{"id":"1","_id":null},{"id":"2","_id":"\u0032"},{"id":"3","_id":{"$oid":"3"}},{"id":"4","_id":4}]`)
	for _, body := range bodies {
		want, werr := refList([]byte(body))
		for _, typed := range []bool{false, true} {
			for name, rd := range map[string]io.Reader{
				"whole": strings.NewReader(body),
				"bytes": iotest.OneByteReader(strings.NewReader(body)),
				"halfs": iotest.HalfReader(strings.NewReader(body)),
			} {
				var got []string
				_, gerr := readListTyped(rd, typed, func(raw json.RawMessage, c *Customer) bool {
					got = append(got, string(raw))
					if typed {
						var u Customer
						if err := u.UnmarshalJSON(raw); err != nil || !sameCustomer(*c, u) {
							t.Errorf("%s %q: element %s\n got %+v\nwant %+v (%v)", name, body, raw, *c, u, err)
						}
					}
					return true
				})
				if (gerr == nil) != (werr == nil) {
					t.Fatalf("%s %q: err %v, encoding/json's %v", name, body, gerr, werr)
				}
				if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
					t.Fatalf("%s %q:\n got %q\nwant %q", name, body, got, want)
				}
			}
		}
	}
	// A transport error after "]" is ignored: the list is complete.
	rd := io.MultiReader(strings.NewReader(`[{"id":"1"}] `), iotest.ErrReader(errors.New("reset")))
	if n, err := readListTyped(rd, true, func(json.RawMessage, *Customer) bool { return true }); err != nil || n != 1 {
		t.Errorf("error after the list: %v, %d", err, n)
	}
}

// TestListIDsOfAnyShape: ids are taken exactly as the server sends them,
// strings or JSON numbers (no float: 2^53+1 and a 23-digit number stay
// whole), from "id", else "_id"; on the typed fast path and off it.
func TestListIDsOfAnyShape(t *testing.T) {
	body := `[{"_id":9007199254740993,"id":9007199254740993,"name":"A","email":"a@x.io"},` +
		`{"id":12345678901234567890123,"name":"B","email":"b@x.io"},` +
		`{"_id":"7f5f2d2f-6c7c-4f49-b6d4-7445319f3b8e","name":"C","email":"c@x.io"},` +
		`{"_id":{"$oid":"65f0a1b2c3d4e5f6a7b8c9d0"},"name":"D","email":"d@x.io"},` +
		`{"id":"cus_9s6XKzkN","name":"E","email":"e@x.io","extra":1}]`
	want := []string{"9007199254740993", "12345678901234567890123", "7f5f2d2f-6c7c-4f49-b6d4-7445319f3b8e", "65f0a1b2c3d4e5f6a7b8c9d0", "cus_9s6XKzkN"}
	for _, typed := range []bool{true, false} {
		var got []string
		_, err := readListTyped(strings.NewReader(body), typed, func(raw json.RawMessage, c *Customer) bool {
			if !typed {
				c = &Customer{}
				if err := c.UnmarshalJSON(raw); err != nil {
					t.Fatal(err)
				}
			}
			got = append(got, c.ID)
			return true
		})
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("typed %v: %q, %v; want %q", typed, got, err, want)
		}
	}
}

// TestListKeysAsListCustomers: the id and email ListKeys yields are those
// ListCustomers decodes, for every shape of id and email, on its fast
// path (a plain string id) and off it.
func TestListKeysAsListCustomers(t *testing.T) {
	body := `[{"_id":9007199254740993,"id":9007199254740993,"name":"A","email":"a@x.io"},` +
		`{"id":"7f5f2d2f-6c7c-4f49-b6d4-7445319f3b8e","name":"B","email":"B@X.io","phone":5550100,"extra":{"a":[1,2]}},` +
		`{"_id":"c-only","name":"C","email":"c@x.io"},` +
		`{"_id":{"$oid":"65f0a1b2c3d4e5f6a7b8c9d0"},"name":"D","email":"d@x.io"},` +
		`{"id":"cus_\u00e9\"q","email":"e@x.io"},` +
		`{"id":null,"_id":"f","email":"f@x.io"},` +
		`{"id":"g","email":null},` +
		`{"id":"h"},` +
		`{"id":"i","email":7},` +
		`{"id":"j","email":"first@x.io","email":"last@x.io"}]`
	type key struct{ ID, Email string }
	read := func(mode listMode) []key {
		var got []key
		if _, err := readList(strings.NewReader(body), mode, func(_ json.RawMessage, c *Customer) bool {
			got = append(got, key{c.ID, c.Email})
			return true
		}); err != nil {
			t.Fatalf("mode %d: %v", mode, err)
		}
		return got
	}
	want, got := read(listTyped), read(listKeys)
	if len(want) != 10 || !slices.Equal(got, want) {
		t.Errorf("ListKeys decoded\n%q\nListCustomers\n%q", got, want)
	}
	if want[4].ID != "cus_é\"q" || want[9].Email != "last@x.io" || want[1].Email != "B@X.io" {
		t.Errorf("the reference decode is not what this test assumes: %q", want)
	}
}
