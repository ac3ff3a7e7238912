package batch

import (
	"context"
	"errors"
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
	client   *apiclient.Client
	attempts int

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
		err := listWithRetry(batch[0].ctx, r.client, r.attempts, func() {
			for _, q := range batch {
				q.ok = false
			}
		}, func(c *apiclient.Customer) {
			if qs, ok := want[strings.ToLower(c.Email)]; ok {
				for _, q := range qs {
					if !q.ok {
						q.found, q.ok = *c, true
					}
				}
			}
		})
		for _, q := range batch {
			if err != nil {
				q.ok, q.err = false, err
			}
			close(q.done)
		}
	}
}

// listWithRetry reads the whole customer list, starting over (after
// calling reset) when the stream breaks part way: the client retries a
// list only until its first customer arrived. Only transport failures are
// retried, at most attempts times in all.
func listWithRetry(ctx context.Context, c *apiclient.Client, attempts int, reset func(), each func(*apiclient.Customer)) error {
	var err error
	for try := 0; try < max(attempts, 1); try++ {
		if try > 0 {
			reset()
		}
		err = nil
		for cu, lerr := range c.ListCustomers(ctx) {
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
