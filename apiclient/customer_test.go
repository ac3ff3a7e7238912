package apiclient

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"testing"
)

func TestCustomerJSON(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		check     func(t *testing.T, c Customer)
		wantOut   string // MarshalJSON of the decoded customer
		wantError bool
	}{
		{
			name: "API shape with unknown members",
			in:   `{"_id":"65f0a1b2c3d4e5f6a7b8c9d0","id":"65f0a1b2c3d4e5f6a7b8c9d0","firstName":"Ada","lastName":"Lovelace","name":"Ada Lovelace","email":"ada@example.com","phone":"+44 20","status":"active","type":"individual","value":12.5,"autoPayment":true,"createdAt":"2025-01-02T03:04:05.678Z","updatedAt":"2025-01-02T03:04:05.678Z","tags":["a","b"],"accountId":7}`,
			check: func(t *testing.T, c Customer) {
				if c.ID != "65f0a1b2c3d4e5f6a7b8c9d0" || c.ObjectID != c.ID || c.Value != 12.5 || !c.AutoPayment || c.FirstName != "Ada" {
					t.Errorf("typed fields: %+v", c)
				}
				if len(c.Extra) != 2 || string(c.Extra["tags"]) != `["a","b"]` || string(c.Extra["accountId"]) != "7" {
					t.Errorf("Extra = %v", c.Extra)
				}
			},
			wantOut: `{"_id":"65f0a1b2c3d4e5f6a7b8c9d0","id":"65f0a1b2c3d4e5f6a7b8c9d0","firstName":"Ada","lastName":"Lovelace","name":"Ada Lovelace","email":"ada@example.com","phone":"+44 20","status":"active","type":"individual","value":12.5,"autoPayment":true,"createdAt":"2025-01-02T03:04:05.678Z","updatedAt":"2025-01-02T03:04:05.678Z","accountId":7,"tags":["a","b"]}`,
		},
		{
			name: "id only in _id, as extended JSON",
			in:   `{"_id":{"$oid":"65f0a1b2c3d4e5f6a7b8c9d0"},"name":"X"}`,
			check: func(t *testing.T, c Customer) {
				if c.ID != "65f0a1b2c3d4e5f6a7b8c9d0" || c.ObjectID != "" || len(c.Extra) != 1 {
					t.Errorf("ID = %q, ObjectID = %q, Extra = %v: want the $oid, none and _id as sent", c.ID, c.ObjectID, c.Extra)
				}
			},
			wantOut: `{"_id":{"$oid":"65f0a1b2c3d4e5f6a7b8c9d0"},"id":"65f0a1b2c3d4e5f6a7b8c9d0","firstName":"","lastName":"","name":"X","email":"","phone":"","status":"","type":"","value":0,"autoPayment":false,"createdAt":"","updatedAt":""}`,
		},
		{
			name: "lenient types: phone as number, value as text, nulls",
			in:   `{"id":"1","phone":18001234567,"value":"1234.5","autoPayment":null,"notes":null,"name":"<b>&"}`,
			check: func(t *testing.T, c Customer) {
				if c.Phone != "18001234567" || c.Value != 1234.5 || c.AutoPayment || c.Extra != nil {
					t.Errorf("got %+v", c)
				}
			},
			wantOut: `{"id":"1","firstName":"","lastName":"","name":"<b>&","email":"","phone":"18001234567","status":"","type":"","value":1234.5,"autoPayment":false,"createdAt":"","updatedAt":""}`,
		},
		{
			name: "untypeable members are kept verbatim",
			in:   `{"id":"1","value":"n/a","autoPayment":"sometimes","email":{"work":"a@b.c"}}`,
			check: func(t *testing.T, c Customer) {
				if c.Value != 0 || c.Email != "" || len(c.Extra) != 3 {
					t.Errorf("got %+v", c)
				}
			},
			wantOut: `{"id":"1","firstName":"","lastName":"","name":"","email":{"work":"a@b.c"},"phone":"","status":"","type":"","value":"n/a","autoPayment":"sometimes","createdAt":"","updatedAt":""}`,
		},
		{name: "not an object", in: `[1]`, wantError: true},
		{name: "null", in: `null`, wantError: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Customer
			err := json.Unmarshal([]byte(tt.in), &c)
			if tt.wantError {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
			out, err := c.MarshalJSON() // json.Marshal would add HTML escapes
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.wantOut {
				t.Errorf("MarshalJSON =\n%s\nwant\n%s", out, tt.wantOut)
			}
			var again Customer
			if err := json.Unmarshal(out, &again); err != nil {
				t.Fatal(err)
			}
			if out2, _ := again.MarshalJSON(); string(out2) != string(out) {
				t.Errorf("round trip changed the customer:\n%s\n%s", out, out2)
			}
		})
	}
}

func TestCustomerBuiltInCode(t *testing.T) {
	c := Customer{ID: "1", Name: "Zoë \"Z\"", Value: -3, Notes: "line1\nline2"}
	out, err := json.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"1","firstName":"","lastName":"","name":"Zoë \"Z\"","email":"","phone":"","status":"","type":"","value":-3,"autoPayment":false,"notes":"line1\nline2","createdAt":"","updatedAt":""}`
	if string(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
}

func TestCustomerJSONSyntax(t *testing.T) {
	tests := []struct {
		in     string
		wantOK bool
		check  func(Customer) bool
	}{
		{` { "name" : "A" , "na\u006de" : "B" } `, true, func(c Customer) bool { return c.Name == "B" && c.Extra == nil }},
		{`{"value":"x","value":3}`, true, func(c Customer) bool { return c.Value == 3 && c.Extra == nil }},
		{`{"x":{"a":[1,"]}",{"b":null}]},"name":"\"q\" \\ é\n"}`, true, func(c Customer) bool {
			return c.Name == "\"q\" \\ é\n" && string(c.Extra["x"]) == `{"a":[1,"]}",{"b":null}]}`
		}},
		{`{"value":1e400}`, true, func(c Customer) bool { return c.Value == 0 && string(c.Extra["value"]) == "1e400" }},
		{`{}`, true, func(c Customer) bool { return c.ID == "" }},
		{`{"a":`, false, nil},
		{`{"a" 1}`, false, nil},
		{`{"a":tru}`, false, nil},
		{`{"a":1,}`, false, nil},
		{`{"a":1} x`, false, nil},
		{`{"a":"unterminated}`, false, nil},
		{`{"a":[1,2}`, false, nil},
		{`{1:2}`, false, nil},
		{`"str"`, false, nil},
		{``, false, nil},
	}
	for _, tt := range tests {
		var c Customer
		err := c.UnmarshalJSON([]byte(tt.in))
		if (err == nil) != tt.wantOK {
			t.Errorf("UnmarshalJSON(%s) = %v, want ok %v", tt.in, err, tt.wantOK)
			continue
		}
		if tt.check != nil && !tt.check(c) {
			t.Errorf("UnmarshalJSON(%s) = %+v", tt.in, c)
		}
	}
}

// FuzzCustomerUnmarshal: every JSON object decodes, nothing panics, and
// what decodes re-encodes to valid JSON.
func FuzzCustomerUnmarshal(f *testing.F) {
	f.Add(`{"_id":"1","name":"A","value":1.5,"autoPayment":true,"x":[1,{"y":"}"}]}`)
	f.Add(`{"name":"\u00e9\ud83d\ude00","phone":1e3,"notes":null}`)
	f.Add(`{"email":{"a":1},"status":[]}`)
	f.Add(`{"a":"\x"}`)
	f.Fuzz(func(t *testing.T, in string) {
		var c Customer
		err := c.UnmarshalJSON([]byte(in))
		var m map[string]json.RawMessage
		if json.Unmarshal([]byte(in), &m) == nil && m != nil && err != nil {
			t.Fatalf("a valid object failed: %v", err)
		}
		if err != nil {
			return
		}
		out, err := c.MarshalJSON()
		if err != nil || !json.Valid(out) {
			t.Fatalf("MarshalJSON = %s, %v", out, err)
		}
	})
}

// BenchmarkListDecode: readList alone, and with every element decoded
// as ListCustomers does.
func BenchmarkListDecode(b *testing.B) {
	data := benchListBody(10000)
	for _, tt := range []struct {
		name   string
		decode bool
	}{{"raw", false}, {"typed", true}} {
		b.Run(tt.name, func(b *testing.B) {
			for b.Loop() {
				n, err := readListTyped(bytes.NewReader(data), tt.decode, func(json.RawMessage, *Customer) bool { return true })
				if err != nil || n != 10000 {
					b.Fatal(n, err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*10000), "ns/customer")
		})
	}
}

// benchListBody is a list response of n typical customers.
func benchListBody(n int) []byte {
	var buf bytes.Buffer
	buf.WriteString("[")
	for i := range n {
		if i > 0 {
			buf.WriteString(",")
		}
		fmt.Fprintf(&buf, `{"_id":"65f0a1b2c3d4e5f6a7b8c9d0","id":"65f0a1b2c3d4e5f6a7b8c9d0","firstName":"Customer","lastName":"Number%d","name":"Customer Number%d","email":"customer%d@example.com","phone":"+1 555 0000001","status":"active","type":"individual","value":12,"autoPayment":false,"notes":"seeded","createdAt":"2025-03-01T12:00:00.123Z","updatedAt":"2025-03-01T12:00:00.123Z"}`, i, i, i)
	}
	buf.WriteString("]")
	return buf.Bytes()
}

// readListTyped is readList decoding whole customers when typed, else
// nothing (the bytes as sent).
func readListTyped(r io.Reader, typed bool, emit func(json.RawMessage, *Customer) bool) (int, error) {
	if typed {
		return readList(r, listTyped, emit)
	}
	return readList(r, listRaw, emit)
}
