package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"aivabatch/apiclient/sandbox"
	"aivabatch/batch"
)

const sandboxExample = `  aivabatch sandbox --addr 127.0.0.1:8080
  AIVA_API_URL=http://127.0.0.1:8080/api/external/v1 AIVA_TOKEN=<printed token> aivabatch import customers.csv
  Serves the Customers API on loopback with fixed tokens; Ctrl-C saves the state and exits.`

func runSandbox(ctx context.Context, cmd *Command, stdio *IO, args []string) (*batch.Summary, error) {
	return nil, serveSandbox(ctx, cmd, stdio, args)
}

func serveSandbox(ctx context.Context, cmd *Command, stdio *IO, args []string) error {
	var (
		addr, data, idStyle           string
		reset, listNoID, createNoID   bool
		rateHeaders                   bool
		throttleRate                  float64
		retryAfter                    time.Duration
		latency, jitter               time.Duration
		rateBurst                     int
		failRate, rateLimit, dropRate float64
	)
	def, derr := sandboxDataFile(stdio)
	c := cmd.flags(stdio)
	c.fs.StringVar(&addr, "addr", "127.0.0.1:8080", "loopback address to listen on (port 0 picks a free one)")
	c.fs.StringVar(&data, "data", def, "state file (the same one import/export --sandbox use)")
	c.fs.BoolVar(&reset, "reset", false, "start empty: delete the state file first")
	c.fs.DurationVar(&latency, "latency", 0, "added to every request (e.g. 20ms)")
	c.fs.DurationVar(&jitter, "latency-jitter", 0, "a further random latency of up to this much per request (e.g. 400ms: latency to latency+400ms)")
	c.fs.StringVar(&idStyle, "id-style", sandbox.IDUUID, "shape of new ids: "+strings.Join(sandbox.IDStyles, ", ")+" (clients must assume none)")
	c.fs.BoolVar(&listNoID, "fault-list-no-id", false, "fault: send the list's customers without \"id\" and \"_id\"")
	c.fs.BoolVar(&createNoID, "fault-create-no-id", false, "fault: answer creates 201 without \"id\" and \"_id\"")
	c.fs.Float64Var(&throttleRate, "fault-throttle-rate", 0, "fault: share of requests answered 429 whatever the rate (0..1), with --fault-retry-after")
	c.fs.DurationVar(&retryAfter, "fault-retry-after", 0, "the Retry-After of --fault-throttle-rate's 429s (e.g. 24h)")
	c.fs.IntVar(&rateBurst, "rate-burst", 0, "requests the --rate-limit bucket holds (0 = one second's worth)")
	c.fs.Float64Var(&failRate, "fail-rate", 0, "share of requests answered 500 (0..1)")
	c.fs.Float64Var(&rateLimit, "rate-limit", 0, "requests per second per tenant beyond which 429 with Retry-After is sent (0 = none)")
	c.fs.BoolVar(&rateHeaders, "rate-limit-headers", false, "make --rate-limit a quota per 1-second window announced in RateLimit-Limit, -Remaining, -Reset and RateLimit-Policy headers")
	c.fs.Float64Var(&dropRate, "drop-rate", 0, "share of requests whose connection is closed after the write is committed (0..1)")
	pos, err := c.parse(args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("sandbox takes no arguments")
	}
	headerStyle := ""
	if rateHeaders {
		if rateLimit <= 0 {
			return usagef("--rate-limit-headers announces --rate-limit: give --rate-limit N too")
		}
		headerStyle = sandbox.RateLimitHeaders
	}
	if !slices.Contains(sandbox.IDStyles, idStyle) {
		return usagef("--id-style %q: want one of %s", idStyle, strings.Join(sandbox.IDStyles, ", "))
	}
	if data == "" && derr != nil {
		return usagef("%v; pass --data FILE", derr)
	}
	for name, p := range map[string]float64{"--fail-rate": failRate, "--drop-rate": dropRate, "--fault-throttle-rate": throttleRate} {
		if p < 0 || p > 1 {
			return usagef("%s must be between 0 and 1", name)
		}
	}
	stdio.setNotice(signalNotice{
		first:  "interrupted; saving the sandbox state and stopping (press Ctrl-C again to stop at once)",
		second: "stopped at once without saving: the changes since the sandbox started are lost, " + data + " is as it was",
	})
	if reset {
		if err := os.Remove(data); err != nil && !errors.Is(err, os.ErrNotExist) {
			return usagef("--reset: %v", err)
		}
	}
	os.MkdirAll(filepath.Dir(data), 0o700)
	srv, err := sandbox.New(sandbox.Options{DataFile: data, IDStyle: idStyle, Latency: latency, LatencyJitter: jitter, RateBurst: rateBurst, RateHeaders: headerStyle, FailRate: failRate, RateLimit: rateLimit, DropRate: dropRate,
		ListNoID: listNoID, CreateNoID: createNoID, ThrottleRate: throttleRate, ThrottleRetryAfter: retryAfter})
	if err != nil {
		return usagef("sandbox state %s: %v (--reset starts empty)", data, err)
	}
	base, done, err := srv.Start(ctx, addr)
	if err != nil {
		return usagef("%v", err)
	}
	fmt.Fprintf(stdio.Out, "Aivapad Customers API sandbox\n  base URL:          %s\n  read-write token:  %s\n  read-only token:   %s\n  state:             %s (%d customers)\n\n",
		base, sandbox.TokenReadWrite, sandbox.TokenReadOnly, data, srv.Count(sandbox.TenantDemo))
	fmt.Fprintf(stdio.Out, "Try:\n  curl -H 'Authorization: Bearer %s' %s/customers\n  AIVA_API_URL=%s AIVA_TOKEN=%s aivabatch import samples/customers.csv\n\nCtrl-C saves the state and stops.\n",
		sandbox.TokenReadWrite, base, base, sandbox.TokenReadWrite)
	err = <-done
	if err != nil {
		return &batch.AbortedError{Reason: "sandbox: " + err.Error()}
	}
	fmt.Fprintf(stdio.ErrOut, "sandbox stopped; state saved to %s\n", data)
	return nil
}
