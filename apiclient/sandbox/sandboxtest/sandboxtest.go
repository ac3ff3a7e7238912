// Package sandboxtest runs the API emulator of package sandbox in tests,
// like net/http/httptest. It lives apart from package sandbox so that the
// aivabatch binary does not link package testing.
package sandboxtest

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"aivabatch/apiclient/sandbox"
)

// Server is a sandbox served on a loopback port for the duration of a
// test.
type Server struct {
	*sandbox.Server
	// HTTP is the underlying test server.
	HTTP *httptest.Server
	// URL is the API base URL to give clients: HTTP.URL + sandbox.BasePath.
	URL string
}

// NewServer starts a sandbox built from opts on 127.0.0.1, with its
// ConnState wired so that Stats counts connections, and closes it when the
// test ends. It fails the test if the sandbox cannot be built (for
// instance, an unreadable DataFile).
func NewServer(tb testing.TB, opts sandbox.Options) *Server {
	tb.Helper()
	sb, err := sandbox.New(opts)
	if err != nil {
		tb.Fatalf("sandbox: %v", err)
	}
	ts := httptest.NewUnstartedServer(sb)
	ts.Config.ConnState = sb.ConnState
	ts.Start()
	tb.Cleanup(ts.Close)
	return &Server{Server: sb, HTTP: ts, URL: ts.URL + sandbox.BasePath}
}

// GoneOnWrite serves sb on another loopback port, except that every PUT
// and DELETE is answered 404 after sb has counted (and applied) it: the
// customers look deleted by someone else after the list. It returns the
// API base URL to give clients.
func GoneOnWrite(tb testing.TB, sb *Server) string {
	tb.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut || r.Method == http.MethodDelete {
			sb.Server.ServeHTTP(httptest.NewRecorder(), r)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"message":"customer not found"}`))
			return
		}
		sb.Server.ServeHTTP(w, r)
	}))
	tb.Cleanup(ts.Close)
	return ts.URL + sandbox.BasePath
}
