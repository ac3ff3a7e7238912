package apiclient

import (
	"bytes"
	"fmt"
	"testing"
)

func BenchmarkZZDecodeList(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("[")
	for i := range 10000 {
		if i > 0 {
			buf.WriteString(",")
		}
		fmt.Fprintf(&buf, `{"_id":"65f0a1b2c3d4e5f6a7b8c9d0","id":"65f0a1b2c3d4e5f6a7b8c9d0","firstName":"Customer","lastName":"Number%d","name":"Customer Number%d","email":"customer%d@example.com","phone":"+1 555 0000001","status":"active","type":"individual","value":12,"autoPayment":false,"notes":"seeded","createdAt":"2025-03-01T12:00:00.123Z","updatedAt":"2025-03-01T12:00:00.123Z"}`, i, i, i)
	}
	buf.WriteString("]")
	data := buf.Bytes()
	b.ResetTimer()
	for b.Loop() {
		n, err := decodeList(bytes.NewReader(data), func(Customer) bool { return true })
		if err != nil || n != 10000 {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*10000), "ns/customer")
}
