package apiclient_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"aivabatch/apiclient"
	"aivabatch/apiclient/sandbox"
)

// BenchmarkCreate20k sends 20,000 creates from 8 goroutines through one
// client to the in-process sandbox over loopback, with no rate limit.
// Metrics: req/s, and the TCP connections the sandbox accepted per run
// (target: at most 8, i.e. keep-alive without churn).
//
//	go test -run='^$' -bench=. -benchtime=1x ./apiclient/
func BenchmarkCreate20k(b *testing.B) {
	const total, workers = 20_000, 8
	var elapsed time.Duration
	var conns int64
	for range b.N {
		b.StopTimer()
		sb := newSandbox(b, sandbox.Options{})
		c, err := apiclient.New(apiclient.Options{
			BaseURL: sb.URL, Token: sandbox.TokenReadWrite, Retries: 5, MaxIdleConns: workers,
		})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		var next atomic.Int64
		var wg sync.WaitGroup
		var failed atomic.Value
		for range workers {
			wg.Go(func() {
				for i := next.Add(1); i <= total; i = next.Add(1) {
					f := apiclient.Fields{"name": fmt.Sprintf("Bench Customer%d", i), "email": fmt.Sprintf("bench%d@example.com", i)}
					if _, err := c.CreateCustomer(b.Context(), f, ""); err != nil {
						failed.Store(err)
						return
					}
				}
			})
		}
		wg.Wait()
		elapsed += time.Since(start)
		b.StopTimer()
		if err, _ := failed.Load().(error); err != nil {
			b.Fatal(err)
		}
		if n := sb.Count(sandbox.TenantDemo); n != total {
			b.Fatalf("%d customers, want %d", n, total)
		}
		conns += sb.Stats().Connections
		b.StartTimer()
	}
	b.ReportMetric(float64(total*b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(conns)/float64(b.N), "conns/run")
}

// BenchmarkList1M lists 1,000,000 customers from a sandbox running in a
// child process, so that this process's heap is the client's alone.
// Metrics: customers/s and the peak HeapInuse sampled every 10,000
// customers (target: under 32 MB).
func BenchmarkList1M(b *testing.B) {
	const total = 1_000_000
	url := startSandboxProcess(b, total)
	c, err := apiclient.New(apiclient.Options{BaseURL: url, Token: sandbox.TokenReadOnly, Retries: 5})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var peak uint64
	for range b.N {
		n, p := listPeakHeap(b, c)
		if n != total {
			b.Fatalf("listed %d, want %d", n, total)
		}
		peak = max(peak, p)
	}
	b.ReportMetric(float64(total*b.N)/b.Elapsed().Seconds(), "customers/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}
