package apiclient

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// BenchmarkReadListKeys decodes the same 200,000-customer list body as
// ListCustomers does (typed) and as ListKeys does (id and email only),
// in the same run, and reports the ratio of their speeds: ListKeys is
// what settles lost creates against the whole tenant.
//
//	go test -run '^$' -bench ReadListKeys -benchtime 3x ./apiclient/
func BenchmarkReadListKeys(b *testing.B) {
	const n = 200_000
	var body bytes.Buffer
	body.WriteByte('[')
	for i := range n {
		if i > 0 {
			body.WriteByte(',')
		}
		c := Customer{ID: fmt.Sprintf("7f5f2d2f-6c7c-4f49-b6d4-%012d", i), ObjectID: fmt.Sprintf("7f5f2d2f-6c7c-4f49-b6d4-%012d", i),
			FirstName: "Ada", LastName: fmt.Sprintf("Lovelace%d", i), Name: fmt.Sprintf("Ada Lovelace%d", i),
			Email: fmt.Sprintf("ada%d@example.com", i), Phone: "+44 20 7946 0018", Status: "active", Type: "individual",
			Value: float64(i), AutoPayment: i%2 == 0, Notes: "met at the conference", CreatedAt: "2026-01-02T03:04:05Z", UpdatedAt: "2026-01-02T03:04:05Z"}
		data, err := json.Marshal(c)
		if err != nil {
			b.Fatal(err)
		}
		body.Write(data)
	}
	body.WriteByte(']')
	read := func(mode listMode) time.Duration {
		start := time.Now()
		got, err := readList(bytes.NewReader(body.Bytes()), mode, func(_ json.RawMessage, c *Customer) bool { return c.ID != "" })
		if err != nil || got != n {
			b.Fatalf("mode %d: %d customers, %v", mode, got, err)
		}
		return time.Since(start)
	}
	var typed, keys time.Duration
	for b.Loop() {
		typed += read(listTyped)
		keys += read(listKeys)
	}
	per := func(d time.Duration) float64 { return float64(n*b.N) / d.Seconds() }
	b.ReportMetric(per(typed), "typed_customers/s")
	b.ReportMetric(per(keys), "keys_customers/s")
	b.ReportMetric(per(keys)/per(typed), "keys/typed")
}
