package batch

import (
	"context"
	"strings"
	"sync"

	"aivabatch/apiclient"
)

// reconciler answers "does a customer with this email exist now?" for
// creates whose outcome is unknown. Lookups that arrive while a list is
// running wait for the next one, which then serves all of them: one list
// call for any number of pending rows, and never a list that started
// before the create it must see. Safe for concurrent use.
type reconciler struct {
	client *apiclient.Client

	mu      sync.Mutex
	waiting []*reconReq
	running bool
}

type reconReq struct {
	email string
	ctx   context.Context
	found apiclient.Customer
	ok    bool
	err   error
	done  chan struct{}
}

// lookup blocks until a list that started after the call has been read.
func (r *reconciler) lookup(ctx context.Context, email string) (apiclient.Customer, bool, error) {
	req := &reconReq{email: strings.ToLower(email), ctx: ctx, done: make(chan struct{})}
	r.mu.Lock()
	r.waiting = append(r.waiting, req)
	if !r.running {
		r.running = true
		go r.loop()
	}
	r.mu.Unlock()
	select {
	case <-req.done:
		return req.found, req.ok, req.err
	case <-ctx.Done():
		return apiclient.Customer{}, false, ctx.Err()
	}
}

func (r *reconciler) loop() {
	for {
		r.mu.Lock()
		batch := r.waiting
		r.waiting = nil
		if len(batch) == 0 {
			r.running = false
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()

		want := make(map[string][]*reconReq, len(batch))
		for _, q := range batch {
			want[q.email] = append(want[q.email], q)
		}
		var err error
		for c, lerr := range r.client.ListCustomers(batch[0].ctx) {
			if lerr != nil {
				err = lerr
				break
			}
			if qs, ok := want[strings.ToLower(c.Email)]; ok {
				for _, q := range qs {
					if !q.ok {
						q.found, q.ok = c, true
					}
				}
			}
		}
		for _, q := range batch {
			if err != nil {
				q.ok, q.err = false, err
			}
			close(q.done)
		}
	}
}
