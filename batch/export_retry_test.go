package batch

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"aivabatch/apiclient"
)

// TestExportRetriesACutOffList: the first list response breaks off after
// one customer (the connection drops); the export lists once more and
// writes every customer, and says so.
func TestExportRetriesACutOffList(t *testing.T) {
	var calls atomic.Int32
	full := `[{"id":"a1","name":"Ana","email":"ana@example.com"},{"id":"b2","name":"Bo","email":"bo@example.com"}]`
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if calls.Add(1) == 1 {
			w.Write([]byte(full[:60]))
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		}
		w.Write([]byte(full))
	}))
	defer hs.Close()
	c, err := apiclient.New(apiclient.Options{BaseURL: hs.URL, Token: "aiva_test", Retries: 2, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out.csv")
	sum, err := Export(context.Background(), ExportConfig{Client: c, Output: out})
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	b, _ := os.ReadFile(out)
	if sum.Rows != 2 || !strings.Contains(string(b), "bo@example.com") || calls.Load() != 2 {
		t.Errorf("rows %d, calls %d, file:\n%s", sum.Rows, calls.Load(), b)
	}
	if len(sum.Warnings) != 1 || !strings.Contains(sum.Warnings[0], "listed again") {
		t.Errorf("warnings %q", sum.Warnings)
	}
}
