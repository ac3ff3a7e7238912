package sandbox

import (
	"aivabatch/apiclient"
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Start listens on addr, which must name a loopback host (the sandbox
// has fixed, published tokens and speaks plain HTTP, so it must not be
// reachable from the network); port 0 picks a free port. It serves s until
// ctx is done, then shuts down, letting requests in flight finish for up
// to 5 seconds, and saves to Options.DataFile if set. It returns at once
// with the base URL to give clients (http://127.0.0.1:PORT/api/external/v1)
// and a channel that receives the outcome of serving, shutdown and save
// exactly once and is then closed.
func (s *Server) Start(ctx context.Context, addr string) (baseURL string, done <-chan error, err error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", nil, fmt.Errorf("sandbox: address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", nil, fmt.Errorf("sandbox: refusing to listen on %q: use a loopback address such as 127.0.0.1", addr)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("sandbox: %w", err)
	}
	srv := &http.Server{
		Handler:           s,
		ConnState:         s.ConnState,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	out := make(chan error, 1)
	go func() {
		defer close(out)
		var err error
		select {
		case err = <-served: // the listener failed
		case <-ctx.Done():
			shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			err = srv.Shutdown(shutdownCtx)
			cancel()
			if err != nil {
				_ = srv.Close()
			}
			if serveErr := <-served; !errors.Is(serveErr, http.ErrServerClosed) {
				err = errors.Join(err, serveErr)
			}
		}
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		if s.opts.DataFile != "" {
			err = errors.Join(err, s.Save())
		}
		out <- err
	}()
	return "http://" + ln.Addr().String() + BasePath, out, nil
}

// fileFormat is the DataFile's JSON: each tenant's customers in creation
// order, as the API returns them.
type fileFormat struct {
	Version int                          `json:"version"`
	Tenants map[string][]json.RawMessage `json:"tenants"`
}

// load reads path into the (empty) store. A missing file is not an error.
func (s *Server) load(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	defer f.Close()
	var ff fileFormat
	if err := json.NewDecoder(bufio.NewReader(f)).Decode(&ff); err != nil {
		return fmt.Errorf("sandbox: reading %s: %w (delete it to start afresh)", path, err)
	}
	if ff.Version != 1 {
		return fmt.Errorf("sandbox: %s has version %d, want 1", path, ff.Version)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, list := range ff.Tenants {
		t := s.tenants[name]
		if t == nil {
			t = newTenant(name)
			s.tenants[name] = t
		}
		for i, raw := range list {
			var c apiclient.Customer
			if err := json.Unmarshal(raw, &c); err != nil {
				return fmt.Errorf("sandbox: reading %s: tenant %s, customer %d: %w", path, name, i, err)
			}
			if c.ID == "" || t.get(c.ID) != nil {
				return fmt.Errorf("sandbox: reading %s: tenant %s, customer %d: missing or duplicate id %q", path, name, i, c.ID)
			}
			s.seq++
			r := fromCustomer(c, 0)
			r.numericID = allDigits(c.ID) && rawIsNumber(raw)
			r.seq = s.seq
			t.add(r)
		}
	}
	return nil
}

// Save writes every tenant's customers to Options.DataFile: to a temporary
// file in the same directory, synced, then renamed over the old one, so a
// crash leaves either the old or the new state. The file has mode 0600.
// Requests may go on while it runs; it saves a consistent snapshot. It is
// an error to call Save without a DataFile.
func (s *Server) Save() error {
	path := s.opts.DataFile
	if path == "" {
		return errors.New("sandbox: no data file to save to")
	}
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	s.mu.Lock()
	names := make([]string, 0, len(s.tenants))
	for name := range s.tenants {
		names = append(names, name)
	}
	s.mu.Unlock()
	slices.Sort(names)
	snaps := make([][]*record, len(names))
	for i, name := range names {
		snaps[i] = s.snapshot(name)
	}

	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("sandbox: saving: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename this fails harmlessly
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("sandbox: saving: %w", err)
	}
	w := bufio.NewWriterSize(tmp, 256<<10)
	buf := make([]byte, 0, 1024)
	_, _ = w.WriteString(`{"version":1,"tenants":{`)
	for i, name := range names {
		if i > 0 {
			_ = w.WriteByte(',')
		}
		_, _ = w.Write(appendJSON(buf[:0], name))
		_, _ = w.WriteString(":[")
		for j, r := range snaps[i] {
			if j > 0 {
				_, _ = w.WriteString(",\n")
			}
			_, _ = w.Write(r.appendJSON(buf[:0]))
		}
		_ = w.WriteByte(']')
	}
	_, _ = w.WriteString("}}\n")
	err = w.Flush()
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("sandbox: saving %s: %w", path, err)
	}
	return nil
}

// rawIsNumber reports whether the customer object raw sends "id" as a JSON
// number (a numeric-style sandbox saved it so).
func rawIsNumber(raw json.RawMessage) bool {
	var v struct {
		ID json.RawMessage `json:"id"`
	}
	return json.Unmarshal(raw, &v) == nil && len(v.ID) > 0 && v.ID[0] != '"'
}
