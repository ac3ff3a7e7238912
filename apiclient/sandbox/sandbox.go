// Package sandbox is a local emulator of the Aivapad Customers API (§1 of
// the product contract): multi-tenant tokens with scopes, the customer
// shape, validation, and optional faults (latency, 500s, 429s, dropped
// connections) for testing clients. A *Server is an http.Handler: tests run
// it with net/http/httptest (see package sandboxtest), the `aivabatch
// sandbox` command and --sandbox mode with Server.Start.
//
// Choices where the published API is silent, made to be faithful and
// useful for tests:
//
//   - Ids are opaque to clients. By default they are random (version 4)
//     UUIDs in lower case, as the API document's example; Options.IDStyle
//     makes MongoDB-like 24-hex ObjectIds, decimal numbers sent as JSON
//     numbers, or Stripe-like prefixed ids instead, so that tests prove a
//     client assumes no shape. Every id is returned as both "_id" and
//     "id". An id that is unknown or another tenant's is 404.
//   - Text members are trimmed. firstName/lastName are derived from name
//     (first word / rest) on create when both are absent. A PUT changes only
//     the members it carries; "" clears phone, notes, firstName and
//     lastName, resets type to "individual", and is a 400 for name, email
//     and status. Unknown members are ignored; null means absent.
//   - Emails are not unique: a client bug that creates twice shows up as
//     two customers.
//   - Idempotency-Key on POST: within one process, the same key from the
//     same tenant returns the original 201 response (same body) without
//     creating again; the same key with another body is a 400. The last
//     100,000 keys per tenant are remembered; keys are not persisted.
//   - With Options.RateHeaders the rate limit is a quota of RateLimit
//     requests (rounded down, at least 1) per one-second window aligned on
//     the clock's seconds, announced on every answer of the tenant, 429s
//     included: RateLimitHeaders sends RateLimit-Limit, -Remaining, -Reset
//     (delta-seconds) and RateLimit-Policy ("N;w=1"), XRateLimitHeaders
//     X-RateLimit-Limit, -Remaining and -Reset (a Unix time in seconds).
//     Without it the rate limit is a token bucket and sends no such
//     header.
//   - Faults apply to every endpoint, in this order after authentication:
//     rate limit (429 with Retry-After in whole seconds, at least 1),
//     latency, FailRate (500 before anything is applied), DropBeforeRate
//     (connection closed before anything is applied), then the call, then
//     DropRate (connection closed after the change is committed; for the
//     list, part way through the array).
package sandbox

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"aivabatch/apiclient"

	"golang.org/x/time/rate"
)

// BasePath is where the API is served, as in the production base URL.
const BasePath = "/api/external/v1"

// Fixed tenants and tokens, the same on every start so that scripts can
// keep them. They grant access to the sandbox only.
const (
	TenantDemo  = "demo"
	TenantOther = "other"

	// TokenReadWrite has customers:read and customers:write on TenantDemo.
	TokenReadWrite = "aiva_sandbox_demo_rw_4b1f0c2e9d7a83561f2c"
	// TokenReadOnly has customers:read on TenantDemo.
	TokenReadOnly = "aiva_sandbox_demo_ro_93c5e1a7f20b6d48a0e7"
	// TokenWriteOnly has customers:write on TenantDemo.
	TokenWriteOnly = "aiva_sandbox_demo_wo_5e8d2a6c1f9b30477c1d"
	// TokenOtherTenant has both scopes on TenantOther, for isolation tests.
	TokenOtherTenant = "aiva_sandbox_other_rw_d2f74a0b8c6e19358b3f"
)

// Scopes.
const (
	ScopeRead  = "customers:read"
	ScopeWrite = "customers:write"
)

// Token grants scopes on one tenant.
type Token struct {
	Value  string
	Tenant string
	Read   bool // customers:read
	Write  bool // customers:write
}

// DefaultTokens returns the fixed tokens above.
func DefaultTokens() []Token {
	return []Token{
		{TokenReadWrite, TenantDemo, true, true},
		{TokenReadOnly, TenantDemo, true, false},
		{TokenWriteOnly, TenantDemo, false, true},
		{TokenOtherTenant, TenantOther, true, true},
	}
}

// Options configure a Server. The zero value serves the default tokens
// with no faults and no persistence.
type Options struct {
	// Tokens lists the accepted tokens; nil means DefaultTokens(). Every
	// tenant named here exists, even with no customers.
	Tokens []Token
	// Latency is added to every authenticated request; LatencyJitter adds
	// a further uniformly random share of up to that much. A write keeps
	// running to its commit when its client goes away during the wait, as
	// a real server's handler does (the connection closing does not undo
	// work already under way); a read stops.
	Latency       time.Duration
	LatencyJitter time.Duration
	// FailRate is the probability (0…1) of a 500 before the call runs.
	FailRate float64
	// RateLimit, if > 0, is a per-tenant token bucket in requests per
	// second; beyond it requests get 429 with Retry-After.
	RateLimit float64
	// RateBurst is the bucket size; 0 means one second's worth (at least 1).
	RateBurst int
	// RateHeaders, with RateLimit, makes the limit a quota per one-second
	// window announced in headers of this style: RateLimitHeaders or
	// XRateLimitHeaders ("" sends none).
	RateHeaders string
	// ThrottleRate is the probability (0…1) of a 429 regardless of the
	// rate, for fault soaks; it carries ThrottleRetryAfter (rounded up to
	// whole seconds) as Retry-After, or no Retry-After when that is 0.
	ThrottleRate       float64
	ThrottleRetryAfter time.Duration
	// DropRate is the probability of closing the connection without a
	// response after the call was committed (for the list: part way
	// through the array).
	DropRate float64
	// DropBeforeRate is the probability of closing the connection without
	// a response before the call runs.
	DropBeforeRate float64
	// DataFile, if set, is loaded by New (a missing file is an empty
	// sandbox) and written by Save, atomically and with mode 0600.
	DataFile string
	// Seed makes ids and injected faults reproducible; 0 picks a random
	// seed.
	Seed int64
	// Now is the clock for timestamps, ids and the rate limit; nil means
	// time.Now.
	Now func() time.Time
	// IDStyle is the shape of new ids: IDUUID (the default), IDObjectID,
	// IDNumeric or IDPrefixed.
	IDStyle string
	// ListNoID leaves "_id" and "id" out of every customer of a list, and
	// CreateNoID out of every 201: answers a client must refuse rather
	// than guess from.
	ListNoID, CreateNoID bool
	// RecordTimes keeps the arrival time of every request, for
	// RequestTimes. It costs 24 bytes per request.
	RecordTimes bool
}

// Id styles for Options.IDStyle.
const (
	IDUUID     = "uuid"     // 7f5f2d2f-6c7c-4f49-b6d4-7445319f3b8e
	IDObjectID = "objectid" // 65f1c0de2a9b4e0012345678
	IDNumeric  = "numeric"  // 100042, sent as a JSON number
	IDPrefixed = "prefixed" // cus_9s6XKzkN2hQp7RbT
)

// Rate-limit header styles for Options.RateHeaders.
const (
	RateLimitHeaders  = "ratelimit"   // RateLimit-Limit, -Remaining, -Reset, RateLimit-Policy
	XRateLimitHeaders = "x-ratelimit" // X-RateLimit-Limit, -Remaining, -Reset (Unix time)
)

// IDStyles lists the id styles, the default first.
var IDStyles = []string{IDUUID, IDObjectID, IDNumeric, IDPrefixed}

// Server is the emulator. It is an http.Handler, safe for concurrent use.
// Fault injection closes connections by panicking with http.ErrAbortHandler,
// which net/http servers handle silently.
type Server struct {
	opts    Options
	now     func() time.Time
	tokens  []tokenEntry
	mu      sync.Mutex // guards tenants, seq, ids
	tenants map[string]*tenant
	seq     uint64
	idRand  [5]byte
	idCount uint32
	idRNG   *mrand.Rand // guarded by mu
	numID   uint64      // the last IDNumeric id
	limits  map[string]*rate.Limiter
	windows map[string]*quotaWindow // with Options.RateHeaders

	faultMu sync.Mutex
	rng     *mrand.Rand

	saveMu sync.Mutex

	// counters for Stats
	conns, throttled, failed    atomic.Int64
	droppedBefore, droppedAfter atomic.Int64
	replayed                    atomic.Int64
	reqs                        [numEndpoints]atomic.Int64
	histMu                      sync.Mutex
	perSecond                   map[int64]int64

	busyMu sync.Mutex
	busyCV *sync.Cond
	busy   int // requests being served
	times  []time.Time
}

type tokenEntry struct {
	hash        [32]byte
	tenant      string
	read, write bool
}

// New returns a Server, loading Options.DataFile if it exists.
func New(opts Options) (*Server, error) {
	if opts.Tokens == nil {
		opts.Tokens = DefaultTokens()
	}
	s := &Server{
		opts:      opts,
		now:       opts.Now,
		tenants:   map[string]*tenant{},
		limits:    map[string]*rate.Limiter{},
		windows:   map[string]*quotaWindow{},
		perSecond: map[int64]int64{},
	}
	switch opts.IDStyle {
	case "":
		s.opts.IDStyle = IDUUID
	case IDUUID, IDObjectID, IDNumeric, IDPrefixed:
	default:
		return nil, fmt.Errorf("sandbox: id style %q: want one of %s", opts.IDStyle, strings.Join(IDStyles, ", "))
	}
	switch opts.RateHeaders {
	case "", RateLimitHeaders, XRateLimitHeaders:
	default:
		return nil, fmt.Errorf("sandbox: rate-limit header style %q: want %s or %s", opts.RateHeaders, RateLimitHeaders, XRateLimitHeaders)
	}
	s.busyCV = sync.NewCond(&s.busyMu)
	if s.now == nil {
		s.now = time.Now
	}
	seed := uint64(opts.Seed)
	if seed == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		seed = binary.LittleEndian.Uint64(b[:])
	}
	s.rng = mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	idr := mrand.New(mrand.NewPCG(seed^0x5bd1e995, seed))
	for i := range s.idRand {
		s.idRand[i] = byte(idr.Uint32())
	}
	s.idCount = idr.Uint32() & 0xffffff
	s.idRNG = idr
	for _, t := range opts.Tokens {
		if t.Value == "" || t.Tenant == "" {
			return nil, errors.New("sandbox: a token needs a value and a tenant")
		}
		s.tokens = append(s.tokens, tokenEntry{sha256.Sum256([]byte(t.Value)), t.Tenant, t.Read, t.Write})
		if s.tenants[t.Tenant] == nil {
			s.tenants[t.Tenant] = newTenant(t.Tenant)
			if opts.RateLimit > 0 && opts.RateHeaders != "" {
				s.windows[t.Tenant] = &quotaWindow{quota: max(1, int(opts.RateLimit))}
			} else if opts.RateLimit > 0 {
				burst := opts.RateBurst
				if burst <= 0 {
					burst = max(1, int(math.Ceil(opts.RateLimit)))
				}
				s.limits[t.Tenant] = rate.NewLimiter(rate.Limit(opts.RateLimit), burst)
			}
		}
	}
	if opts.DataFile != "" {
		if err := s.load(opts.DataFile); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// endpoint names the call a request maps to.
type endpoint int

const (
	epOther endpoint = iota
	epList
	epGet
	epCreate
	epUpdate
	epStatus
	epDelete
	numEndpoints
)

// Requests counts requests per endpoint, including those answered with an
// error or a fault.
type Requests struct {
	List, Get, Create, Update, Status, Delete int64
	Other                                     int64 // unknown paths and methods
}

// Writes counts the calls that change customers: creates, updates,
// status changes and deletes.
func (r Requests) Writes() int64 { return r.Create + r.Update + r.Status + r.Delete }

// Total is the sum of all counts.
func (r Requests) Total() int64 {
	return r.List + r.Get + r.Create + r.Update + r.Status + r.Delete + r.Other
}

// Stats are counters of a Server's life, for tests and benchmarks.
type Stats struct {
	// Connections is the number of connections accepted; it is counted only
	// when ConnState is wired into the http.Server (sandboxtest and Start
	// do it).
	Connections   int64
	Requests      Requests
	Throttled     int64 // 429s sent
	Failed        int64 // injected 500s
	DroppedBefore int64 // connections closed before the call ran
	DroppedAfter  int64 // connections closed after the call committed
	Replayed      int64 // POSTs answered from an Idempotency-Key
	// PerSecond counts requests by the Unix second of their arrival.
	PerSecond map[int64]int64
}

// Stats returns a snapshot of the counters. Safe for concurrent use.
func (s *Server) Stats() Stats {
	st := Stats{
		Connections:   s.conns.Load(),
		Throttled:     s.throttled.Load(),
		Failed:        s.failed.Load(),
		DroppedBefore: s.droppedBefore.Load(),
		DroppedAfter:  s.droppedAfter.Load(),
		Replayed:      s.replayed.Load(),
		Requests: Requests{
			List: s.reqs[epList].Load(), Get: s.reqs[epGet].Load(), Create: s.reqs[epCreate].Load(),
			Update: s.reqs[epUpdate].Load(), Status: s.reqs[epStatus].Load(), Delete: s.reqs[epDelete].Load(),
			Other: s.reqs[epOther].Load(),
		},
		PerSecond: map[int64]int64{},
	}
	s.histMu.Lock()
	defer s.histMu.Unlock()
	for k, v := range s.perSecond {
		st.PerSecond[k] = v
	}
	return st
}

// RequestTimes returns the arrival time of every request so far, in
// arrival order, when Options.RecordTimes is set (else nil).
func (s *Server) RequestTimes() []time.Time {
	s.histMu.Lock()
	defer s.histMu.Unlock()
	return append([]time.Time(nil), s.times...)
}

// MaxInWindow returns the largest number of times (sorted ascending) that
// fall within any half-open window [t, t+d).
func MaxInWindow(times []time.Time, d time.Duration) int {
	best, j := 0, 0
	for i := range times {
		for times[i].Sub(times[j]) >= d {
			j++
		}
		best = max(best, i-j+1)
	}
	return best
}

// ConnState counts accepted connections; set it as http.Server.ConnState.
func (s *Server) ConnState(_ net.Conn, state http.ConnState) {
	if state == http.StateNew {
		s.conns.Add(1)
	}
}

// ServeHTTP serves the API under BasePath; anything else is a JSON 404.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.busyMu.Lock()
	s.busy++
	s.busyMu.Unlock()
	defer func() {
		s.busyMu.Lock()
		s.busy--
		s.busyCV.Broadcast()
		s.busyMu.Unlock()
	}()
	now := s.now()
	s.histMu.Lock()
	s.perSecond[now.Unix()]++
	if s.opts.RecordTimes {
		s.times = append(s.times, now)
	}
	s.histMu.Unlock()

	ep, id := route(r)
	s.reqs[ep].Add(1)
	if ep == epOther {
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path)
		return
	}
	tok, msg := s.authenticate(r.Header.Get("Authorization"))
	if tok == nil {
		writeError(w, http.StatusForbidden, msg)
		return
	}
	write := ep != epList && ep != epGet
	if write && !tok.write {
		writeError(w, http.StatusForbidden, "this token lacks the "+ScopeWrite+" scope")
		return
	}
	if !write && !tok.read {
		writeError(w, http.StatusForbidden, "this token lacks the "+ScopeRead+" scope")
		return
	}
	if q := s.windows[tok.tenant]; q != nil && !q.take(w.Header(), now, s.opts.RateHeaders) {
		s.throttled.Add(1)
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusTooManyRequests, "rate limit exceeded, retry later")
		return
	}
	if lim := s.limits[tok.tenant]; lim != nil {
		res := lim.ReserveN(now, 1)
		if d := res.DelayFrom(now); d > 0 {
			res.CancelAt(now)
			s.throttled.Add(1)
			w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(d.Seconds())))))
			writeError(w, http.StatusTooManyRequests, "rate limit exceeded, retry later")
			return
		}
	}
	if s.chance(s.opts.ThrottleRate) {
		s.throttled.Add(1)
		if ra := s.opts.ThrottleRetryAfter; ra > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(ra.Seconds()))))
		}
		writeError(w, http.StatusTooManyRequests, "injected throttling (sandbox fault)")
		return
	}
	if write && r.Body != nil {
		// Read the body now: the client may be gone when the wait ends.
		raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil {
			writeError(w, http.StatusBadRequest, "could not read the request body")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(raw))
	}
	if d := s.latency(); d > 0 {
		var gone <-chan struct{} // nil: a write waits out its latency
		if !write {
			gone = r.Context().Done()
		}
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-gone:
			t.Stop()
			return
		}
	}
	if s.chance(s.opts.FailRate) {
		s.failed.Add(1)
		writeError(w, http.StatusInternalServerError, "injected failure (sandbox --fail-rate)")
		return
	}
	if s.chance(s.opts.DropBeforeRate) {
		s.droppedBefore.Add(1)
		panic(http.ErrAbortHandler)
	}
	drop := s.chance(s.opts.DropRate)
	if ep == epList {
		s.list(w, tok.tenant, drop)
		return
	}
	status, body := s.call(ep, tok.tenant, id, r)
	if drop {
		s.droppedAfter.Add(1)
		panic(http.ErrAbortHandler)
	}
	writeJSON(w, status, body)
}

// route maps a request to an endpoint and the unescaped id it names.
func route(r *http.Request) (endpoint, string) {
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), BasePath+"/customers")
	if !ok || (rest != "" && rest[0] != '/') {
		return epOther, ""
	}
	if rest == "" || rest == "/" {
		switch r.Method {
		case http.MethodGet:
			return epList, ""
		case http.MethodPost:
			return epCreate, ""
		}
		return epOther, ""
	}
	parts := strings.Split(strings.TrimPrefix(rest, "/"), "/")
	id, err := url.PathUnescape(parts[0])
	if err != nil {
		return epOther, ""
	}
	switch {
	case len(parts) == 1 && r.Method == http.MethodGet:
		return epGet, id
	case len(parts) == 1 && r.Method == http.MethodPut:
		return epUpdate, id
	case len(parts) == 1 && r.Method == http.MethodDelete:
		return epDelete, id
	case len(parts) == 2 && parts[1] == "status" && r.Method == http.MethodPut:
		return epStatus, id
	}
	return epOther, ""
}

// authenticate finds the token in constant time over all known tokens.
func (s *Server) authenticate(header string) (*tokenEntry, string) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return nil, "missing API token: send the header Authorization: Bearer <token>"
	}
	h := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	found := -1
	for i := range s.tokens {
		eq := subtle.ConstantTimeCompare(h[:], s.tokens[i].hash[:])
		found = subtle.ConstantTimeSelect(eq, i, found)
	}
	if found < 0 {
		return nil, "invalid or expired API token"
	}
	return &s.tokens[found], ""
}

// WaitIdle blocks until no request is being served, also those whose
// client has gone away: what a test waits for before it counts.
func (s *Server) WaitIdle() {
	s.busyMu.Lock()
	defer s.busyMu.Unlock()
	for s.busy > 0 {
		s.busyCV.Wait()
	}
}

// latency is the wait before a request is served.
func (s *Server) latency() time.Duration {
	d := s.opts.Latency
	if j := s.opts.LatencyJitter; j > 0 {
		s.faultMu.Lock()
		d += time.Duration(s.rng.Int64N(int64(j) + 1))
		s.faultMu.Unlock()
	}
	return d
}

func (s *Server) chance(p float64) bool {
	if p <= 0 {
		return false
	}
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	return s.rng.Float64() < p
}

// maxBody bounds a request body.
const maxBody = 1 << 20

// call runs one non-list endpoint and returns the response.
func (s *Server) call(ep endpoint, tenantName, id string, r *http.Request) (int, []byte) {
	var body map[string]json.RawMessage
	var raw []byte
	if ep == epCreate || ep == epUpdate || ep == epStatus {
		var err error
		raw, err = io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		switch {
		case err != nil:
			return errorBody(http.StatusBadRequest, "could not read the request body")
		case len(raw) > maxBody:
			return errorBody(http.StatusBadRequest, "request body is larger than 1 MiB")
		}
		if err := json.Unmarshal(raw, &body); err != nil {
			if len(strings.TrimSpace(string(raw))) > 0 && strings.TrimSpace(string(raw))[0] != '{' && json.Valid(raw) {
				return errorBody(http.StatusBadRequest, "request body must be a JSON object")
			}
			return errorBody(http.StatusBadRequest, "request body is not valid JSON")
		}
		if body == nil {
			return errorBody(http.StatusBadRequest, "request body must be a JSON object")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenants[tenantName]
	nowMS := s.now().UnixMilli()
	switch ep {
	case epCreate:
		key := r.Header.Get("Idempotency-Key")
		hash := sha256.Sum256(raw)
		if key != "" {
			if e, ok := t.idem[key]; ok {
				if e.bodyHash != hash {
					return errorBody(http.StatusBadRequest, "this Idempotency-Key was already used with a different request body")
				}
				s.replayed.Add(1)
				return http.StatusCreated, e.response
			}
		}
		rec := &record{}
		if problems := apply(rec, body, true); len(problems) > 0 {
			return errorBody(http.StatusBadRequest, strings.Join(problems, "; "))
		}
		s.seq++
		rec.seq, rec.created, rec.updated = s.seq, nowMS, nowMS
		s.assignID(t, rec)
		t.add(rec)
		resp := rec.appendJSON(nil)
		if s.opts.CreateNoID {
			resp = withoutID(resp)
		}
		if key != "" {
			t.remember(key, idemEntry{hash, resp})
		}
		return http.StatusCreated, resp
	case epGet:
		if rec := t.get(id); rec != nil {
			return http.StatusOK, rec.appendJSON(nil)
		}
	case epUpdate, epStatus:
		old := t.get(id)
		if old == nil {
			break
		}
		rec := *old
		if ep == epStatus {
			v, ok := body["status"]
			var st string
			if !ok || json.Unmarshal(v, &st) != nil {
				return errorBody(http.StatusBadRequest, "status is required: one of active, inactive, blocked")
			}
			body = map[string]json.RawMessage{"status": v}
		}
		if problems := apply(&rec, body, false); len(problems) > 0 {
			return errorBody(http.StatusBadRequest, strings.Join(problems, "; "))
		}
		rec.updated = max(nowMS, rec.created)
		t.replace(&rec)
		return http.StatusOK, rec.appendJSON(nil)
	case epDelete:
		if t.remove(id) {
			return http.StatusOK, []byte(`{"success":true}`)
		}
	}
	return errorBody(http.StatusNotFound, "customer not found")
}

// assignID gives r a new id of the server's style that t does not hold.
// Callers hold s.mu.
func (s *Server) assignID(t *tenant, r *record) {
	for {
		r.id, r.numericID = s.newID(), s.opts.IDStyle == IDNumeric
		if t.get(r.id) == nil {
			return
		}
	}
}

// newID returns a new id of the server's style. Callers hold s.mu.
func (s *Server) newID() string {
	switch s.opts.IDStyle {
	case IDObjectID:
		// seconds, a per-server random part, a counter
		var b [12]byte
		binary.BigEndian.PutUint32(b[0:4], uint32(s.now().Unix()))
		copy(b[4:9], s.idRand[:])
		s.idCount++
		b[9], b[10], b[11] = byte(s.idCount>>16), byte(s.idCount>>8), byte(s.idCount)
		return hex.EncodeToString(b[:])
	case IDNumeric:
		if s.numID == 0 {
			s.numID = 100000
		}
		s.numID++
		return strconv.FormatUint(s.numID, 10)
	case IDPrefixed:
		const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		b := []byte("cus_")
		for range 14 {
			b = append(b, alphabet[s.idRNG.IntN(len(alphabet))])
		}
		return string(b)
	}
	var u [16]byte
	binary.LittleEndian.PutUint64(u[:8], s.idRNG.Uint64())
	binary.LittleEndian.PutUint64(u[8:], s.idRNG.Uint64())
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// listPage is how many records a list encodes per lock acquisition and
// per flush.
const listPage = 1000

// list streams the tenant's customers as one JSON array, a page at a
// time, without holding the lock while writing.
func (s *Server) list(w http.ResponseWriter, tenantName string, drop bool) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	dropAfter := -1
	if drop {
		s.mu.Lock()
		n := s.tenants[tenantName].count()
		s.mu.Unlock()
		s.faultMu.Lock()
		dropAfter = 1 + s.rng.IntN(max(1, n))
		s.faultMu.Unlock()
	}
	fl := http.NewResponseController(w)
	recs := make([]*record, 0, listPage)
	buf := make([]byte, 0, 64<<10)
	buf = append(buf, '[')
	var after uint64
	written := 0
	for {
		s.mu.Lock()
		recs, after = s.tenants[tenantName].page(after, recs[:0])
		s.mu.Unlock()
		if len(recs) == 0 {
			break
		}
		for _, rec := range recs {
			if written == dropAfter {
				_, _ = w.Write(buf)
				_ = fl.Flush()
				s.droppedAfter.Add(1)
				panic(http.ErrAbortHandler)
			}
			if written > 0 {
				buf = append(buf, ',')
			}
			if s.opts.ListNoID {
				buf = append(buf, withoutID(rec.appendJSON(nil))...)
			} else {
				buf = rec.appendJSON(buf)
			}
			written++
			if len(buf) >= 60<<10 {
				if _, err := w.Write(buf); err != nil {
					return
				}
				buf = buf[:0]
			}
		}
		if _, err := w.Write(buf); err != nil {
			return
		}
		buf = buf[:0]
		_ = fl.Flush()
	}
	if written == dropAfter || (drop && written == 0) {
		_, _ = w.Write(buf)
		_ = fl.Flush()
		s.droppedAfter.Add(1)
		panic(http.ErrAbortHandler)
	}
	buf = append(buf, ']')
	_, _ = w.Write(buf)
}

func errorBody(status int, msg string) (int, []byte) {
	return status, appendJSON(nil, struct {
		Message string `json:"message"`
	}{msg})
}

func writeError(w http.ResponseWriter, status int, msg string) {
	status, body := errorBody(status, msg)
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// Customers returns a snapshot of a tenant's customers in creation order,
// as a client would decode them (nil for an unknown tenant).
func (s *Server) Customers(tenantName string) []apiclient.Customer {
	recs := s.snapshot(tenantName)
	if recs == nil {
		return nil
	}
	out := make([]apiclient.Customer, 0, len(recs))
	for _, r := range recs {
		var c apiclient.Customer
		if err := json.Unmarshal(r.appendJSON(nil), &c); err != nil {
			panic(fmt.Sprintf("sandbox: encoding customer %s: %v", r.id, err)) // a bug in appendJSON
		}
		out = append(out, c)
	}
	return out
}

// Count returns how many customers a tenant has.
func (s *Server) Count(tenantName string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.tenants[tenantName]; t != nil {
		return t.count()
	}
	return 0
}

func (s *Server) snapshot(tenantName string) []*record {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenants[tenantName]
	if t == nil {
		return nil
	}
	out := make([]*record, 0, t.count())
	for _, r := range t.recs {
		if r != nil {
			out = append(out, r)
		}
	}
	return out
}

// Seed adds n customers to a tenant without going through HTTP, for tests
// and benchmarks. gen(i) describes customer i; empty ID, Status, Type and
// timestamps get the server's values, and firstName/lastName are split from
// Name when both are empty. No validation is done. Safe for concurrent
// use; it holds the lock only while appending.
func (s *Server) Seed(tenantName string, n int, gen func(i int) apiclient.Customer) error {
	s.mu.Lock()
	exists := s.tenants[tenantName] != nil
	s.mu.Unlock()
	if !exists {
		return fmt.Errorf("sandbox: no tenant %q", tenantName)
	}
	const batch = 10_000
	recs := make([]*record, 0, min(n, batch))
	for start := 0; start < n; start += batch {
		recs = recs[:0]
		nowMS := s.now().UnixMilli()
		for i := start; i < min(n, start+batch); i++ {
			recs = append(recs, fromCustomer(gen(i), nowMS))
		}
		s.mu.Lock()
		t := s.tenants[tenantName]
		for _, r := range recs {
			s.seq++
			r.seq = s.seq
			if r.id == "" || t.get(r.id) != nil {
				s.assignID(t, r)
			} else {
				r.numericID = s.opts.IDStyle == IDNumeric && allDigits(r.id)
			}
			t.add(r)
		}
		s.mu.Unlock()
	}
	return nil
}

func fromCustomer(c apiclient.Customer, nowMS int64) *record {
	r := &record{
		id: c.ID, firstName: c.FirstName, lastName: c.LastName, name: c.Name, email: c.Email,
		phone: c.Phone, status: c.Status, typ: c.Type, notes: c.Notes, value: c.Value,
		autoPayment: c.AutoPayment, created: parseTime(c.CreatedAt, nowMS),
	}
	r.updated = max(r.created, parseTime(c.UpdatedAt, r.created))
	if r.status == "" {
		r.status = "active"
	}
	if r.typ == "" {
		r.typ = "individual"
	}
	if r.firstName == "" && r.lastName == "" {
		r.firstName, r.lastName = splitName(r.name)
	}
	return r
}

func parseTime(s string, def int64) int64 {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UnixMilli()
	}
	return def
}

// quotaWindow is a tenant's quota per one-second window (Options.RateHeaders).
type quotaWindow struct {
	quota int
	mu    sync.Mutex
	start time.Time // of the current window
	used  int
}

// take counts a request arriving at now against the window, reporting
// whether the quota allowed it, and sets the headers announcing what is
// left in the given style.
func (q *quotaWindow) take(h http.Header, now time.Time, style string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if start := now.Truncate(time.Second); !start.Equal(q.start) {
		q.start, q.used = start, 0
	}
	ok := q.used < q.quota
	if ok {
		q.used++
	}
	end := q.start.Add(time.Second)
	limit, left := strconv.Itoa(q.quota), strconv.Itoa(q.quota-q.used)
	switch style {
	case RateLimitHeaders:
		h.Set("RateLimit-Limit", limit)
		h.Set("RateLimit-Remaining", left)
		h.Set("RateLimit-Reset", strconv.Itoa(max(1, int(math.Ceil(end.Sub(now).Seconds())))))
		h.Set("RateLimit-Policy", limit+";w=1")
	case XRateLimitHeaders:
		h.Set("X-RateLimit-Limit", limit)
		h.Set("X-RateLimit-Remaining", left)
		h.Set("X-RateLimit-Reset", strconv.FormatInt(end.Unix(), 10))
	}
	return ok
}
