package batch

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"sync"
	"time"

	"aivabatch/apiclient"
)

// Defaults of the resolver: at most one list every reconEvery, sooner when
// reconBatch rows wait (one list serves every in-doubt row); but a list
// that takes d (the list at start counts) is followed by none before
// reconPace·d have passed (unless reconMaxWaiting rows wait), so that
// listing a huge tenant during the run takes at most about a twentieth
// of it: its rows wait on disk meanwhile, and the list at the end
// settles them.
const (
	reconEvery      = 30 * time.Second
	reconBatch      = 1000
	reconPace       = 20
	reconMaxWaiting = 50_000
)

// resolver settles the creates whose outcome is unknown (timeout,
// connection lost, 5xx) without holding up the run: the worker hands the
// row over and goes on with the next one, and one list of the tenant
// serves every row waiting. A list starts at most once every `every`,
// sooner when `batch` rows wait or when the senders are done, and never
// before the create it must see: a row waits for a list that starts after
// it was handed over. A list of a huge tenant takes seconds (about 10 s
// for 1,500,000 customers here): after one (or the list at start), the
// next waits twenty times as long, unless reconMaxWaiting rows wait
// (about 75 MB of rows held: 1 % of 5,000,000 rows), so that at 1 % of
// answers lost the lists do not eat the run. Found by email
// means created with that id; absent means the create is sent again (with
// the same idempotency key), up to --retries times. A large tenant with
// lost answers thus costs one list per batch, not one per lost answer.
type resolver struct {
	im      *importer
	every   time.Duration
	batch   int
	deliver func(*job) // hands a settled row to the report

	mu       sync.Mutex
	waiting  []*job
	resends  int  // re-sent creates not answered yet
	closed   bool // the senders are done: no new row will be handed over
	wake     chan struct{}
	resendCh chan struct{}
}

func newResolver(im *importer, every time.Duration, batch, workers int) *resolver {
	if every <= 0 {
		every = reconEvery
	}
	if batch <= 0 {
		batch = reconBatch
	}
	return &resolver{im: im, every: every, batch: batch, wake: make(chan struct{}, 1), resendCh: make(chan struct{}, max(workers, 1))}
}

func (r *resolver) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// park hands over a row whose create has an unknown outcome.
func (r *resolver) park(j *job) {
	r.mu.Lock()
	r.waiting = append(r.waiting, j)
	full := len(r.waiting) == r.batch || len(r.waiting) >= reconMaxWaiting
	r.mu.Unlock()
	if full {
		r.poke()
	}
}

// close says the senders are done: what waits is listed at once.
func (r *resolver) close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.poke()
}

// run lists and settles until the senders are done and no row waits, or
// ctx ends (the report failed: nothing more is recorded). spawn runs a
// re-send in the caller's errgroup.
func (r *resolver) run(ctx context.Context, spawn func(func())) {
	last := time.Now() // the last list's start
	// The last list's end plus reconPace times its length; the list at
	// start tells what a list of this tenant costs.
	rest := last.Add(reconPace * r.im.listTook)
	t := time.NewTimer(r.every)
	defer t.Stop()
	for {
		r.mu.Lock()
		n, closed, resends := len(r.waiting), r.closed, r.resends
		r.mu.Unlock()
		if n == 0 && closed && resends == 0 {
			return
		}
		now := time.Now()
		due := (n >= r.batch || now.Sub(last) >= r.every) && !now.Before(rest)
		if n > 0 && (due || closed || n >= reconMaxWaiting) {
			r.mu.Lock()
			batch := r.waiting
			r.waiting = nil
			r.mu.Unlock()
			last = now
			r.settle(batch, spawn)
			end := time.Now()
			rest = end.Add(reconPace * end.Sub(last))
			continue
		}
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		wake := last.Add(r.every)
		if n >= r.batch || wake.Before(rest) {
			wake = rest
		}
		t.Reset(max(time.Until(wake), time.Millisecond))
		select {
		case <-r.wake:
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}

// settle lists the tenant once for the rows of batch.
func (r *resolver) settle(batch []*job, spawn func(func())) {
	im := r.im
	want := make(map[string][]*job, len(batch))
	for _, j := range batch {
		want[j.rec.EmailKey] = append(want[j.rec.EmailKey], j) // EmailKey is lower case
	}
	found := make(map[*job]apiclient.Customer, len(batch))
	// Only the id and email of each customer are needed: ListKeys
	// decodes nothing else: 1.4 to 1.5 times as fast on a large tenant.
	err := listWithRetry(im.reqCtx, im.cfg.Client.ListKeys, im.cfg.Retries+1, func() { clear(found) }, func(c *apiclient.Customer) {
		js := want[strings.ToLower(c.Email)]
		if len(js) == 0 || c.ID != "" && im.idx != nil && im.idx.id(c.ID) != nil {
			// A customer of the list at start is no create of this run
			// (under --match none another customer may share the email).
			return
		}
		for _, j := range js {
			if _, ok := found[j]; !ok {
				found[j] = *c
			}
		}
	})
	for _, j := range batch {
		o := &j.out
		switch c, ok := found[j]; {
		case err != nil:
			im.failed(o, fmt.Errorf("%w; checking by email also failed (%v): run again with %s, which looks it up by email before sending it again", j.lost, err, im.cfg.option(OptResume)), "outcome unknown: ")
		case ok && c.ID == "":
			im.noID(o, &NoIDError{What: "the customer list", Email: c.Email})
		case ok && im.idx == nil:
			// No list at start (--match none, a token that cannot list):
			// the customer found may be an older one with this email.
			im.failed(o, j.lost, fmt.Sprintf("outcome unknown (the tenant holds customer %s with this email, which may be this row's create or a customer it held before: without the list at start they cannot be told apart, so nothing was sent again; check that customer, and import the row again if it is not this row's): ", c.ID))
		case ok:
			o.Result, o.CustomerID, o.Error, o.HTTPStatus = ResultCreated, c.ID, "", 0
			o.Changes = "confirmed by email after a lost response"
		case j.attempts >= max(im.cfg.Retries, 1) || im.noMoreSends():
			im.failed(o, j.lost, "not created (a check by email found no such customer, so importing the row again is safe): ")
		default:
			r.resend(j, spawn)
			continue
		}
		r.deliver(j)
	}
}

// resend sends the create again, at most as many at once as there are
// workers; an unknown outcome hands it back.
func (r *resolver) resend(j *job, spawn func(func())) {
	r.mu.Lock()
	r.resends++
	r.mu.Unlock()
	r.resendCh <- struct{}{}
	spawn(func() {
		r.im.createOnce(j)
		<-r.resendCh
		if j.lost != nil {
			r.park(j)
		} else {
			r.deliver(j)
		}
		r.mu.Lock()
		r.resends--
		r.mu.Unlock()
		r.poke()
	})
}

// listWithRetry reads the whole customer list through list
// (ListCustomers, or ListKeys when id and email are all that is needed),
// starting over (after
// calling reset) when the stream breaks part way: the client retries a
// list only until its first customer arrived. Only transport failures are
// retried, at most attempts times in all.
func listWithRetry(ctx context.Context, list func(context.Context) iter.Seq2[apiclient.Customer, error], attempts int, reset func(), each func(*apiclient.Customer)) error {
	var err error
	for try := 0; try < max(attempts, 1); try++ {
		if try > 0 {
			reset()
		}
		err = nil
		for cu, lerr := range list(ctx) {
			if lerr != nil {
				err = lerr
				break
			}
			each(&cu)
		}
		if err == nil || !errors.Is(err, apiclient.ErrTransport) || ctx.Err() != nil {
			return err
		}
	}
	return err
}
