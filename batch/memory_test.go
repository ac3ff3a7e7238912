package batch

import (
	"fmt"
	"runtime"
	"testing"

	"aivabatch/apiclient"
)

// heapNow is the live heap after a full collection.
func heapNow() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestResumeMemoryIsBounded: the customer index and the previous run's
// outcomes, scaled to 200,000, cost at most 64 bytes each in memory, so a
// 1,000,000-customer tenant and a 1,000,000-row resume stay well inside
// the 200 MiB budget of a whole import (the benchmark
// BenchmarkResumeMemory measures the full size through the real command).
func TestResumeMemoryIsBounded(t *testing.T) {
	const n = 200_000
	before := heapNow()
	x, err := newCustIndex()
	if err != nil {
		t.Fatal(err)
	}
	defer x.close()
	for i := range n {
		c := apiclient.Customer{ID: fmt.Sprintf("%024x", i), Name: "Zoë Müller", FirstName: "Zoë", LastName: "Müller",
			Email: fmt.Sprintf("zoe.muller.%07d@example.com", i), Phone: "+1 555 0000000", Status: "active", Type: "individual",
			Notes: "Signed up through the web form; newsletter opt-in, standard terms"}
		if err := x.add(&c); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.finish(); err != nil {
		t.Fatal(err)
	}
	idxBytes := float64(heapNow()-before) / n
	if c := x.email("zoe.muller.0123456@example.com"); c == nil || c.ID != fmt.Sprintf("%024x", 123456) {
		t.Fatalf("lookup by email: %+v", c)
	}
	if c := x.id(fmt.Sprintf("%024x", 7)); c == nil || c.Email != "zoe.muller.0000007@example.com" {
		t.Fatalf("lookup by id: %+v", c)
	}

	before = heapNow()
	var d doneTable
	for i := range n {
		d.add(keyHash(fmt.Sprintf("e:zoe.muller.%07d@example.com", i)), journalEntry{Result: ResultCreated, ID: fmt.Sprintf("%024x", i), Hash: "89abcdef01234567"})
	}
	d.finish()
	doneBytes := float64(heapNow()-before) / n
	if e, ok := d.get(keyHash("e:zoe.muller.0001000@example.com")); !ok || e.ID != fmt.Sprintf("%024x", 1000) || e.Hash != "89abcdef01234567" {
		t.Fatalf("get: %+v %v", e, ok)
	}
	t.Logf("customer index %.1f bytes/customer, previous outcomes %.1f bytes/row", idxBytes, doneBytes)
	if idxBytes > 64 || doneBytes > 64 {
		t.Errorf("customer index %.1f bytes/customer, previous outcomes %.1f bytes/row; want ≤ 64 each", idxBytes, doneBytes)
	}
	runtime.KeepAlive(x)
	runtime.KeepAlive(&d)
}
