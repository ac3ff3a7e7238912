package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"aivabatch/apiclient"
	"aivabatch/apiclient/sandbox"
)

// connFlags are the connection and sending flags of import and export.
type connFlags struct {
	apiURL, tokenFile string
	useSandbox        bool
	workers           int
	rate              float64
	burst             int
	timeout           time.Duration
	retries           int
	maxWait           time.Duration
	verbose           bool
}

func (c *connFlags) register(fs *flag.FlagSet, sending bool) {
	fs.StringVar(&c.apiURL, "api-url", "", "API base URL (env AIVA_API_URL; default "+apiclient.DefaultBaseURL+")")
	fs.StringVar(&c.tokenFile, "token-file", "", "read the API token from this file (default: env AIVA_TOKEN); never pass a token on the command line")
	fs.BoolVar(&c.useSandbox, "sandbox", false, "run against the embedded API emulator (state kept in the user cache dir; no token needed)")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Second, "timeout of one request attempt")
	fs.IntVar(&c.retries, "retries", 5, "retries of a request that failed in a retryable way (429, 502-504, connection errors)")
	fs.DurationVar(&c.maxWait, "max-wait", apiclient.DefaultMaxWait, "the longest wait a server may ask for (Retry-After) before a retry; a longer one fails the request with a message instead of stalling the run")
	fs.BoolVar(&c.verbose, "verbose", false, "log every request and retry decision on stderr (the token is never shown)")
	if sending {
		fs.IntVar(&c.workers, "workers", 4, "concurrent workers")
		fs.Float64Var(&c.rate, "rate", 10, "requests per second over all workers and calls (0 = unlimited)")
		fs.IntVar(&c.burst, "burst", 1, "requests that may go out at once above the rate")
	} else {
		c.workers = 1
	}
}

// connection is a ready client, and the embedded sandbox when --sandbox.
type connection struct {
	client   *apiclient.Client
	flagHint string // flags to repeat in a suggested command
	// stop ends the embedded sandbox and saves its customers; its error
	// is warned of on log (the next --sandbox run would not see them).
	stop func() error
	log  *slog.Logger
	// remember writes the rate learned in this run (ratememory.go); nil
	// with --sandbox, whose URL changes every run.
	remember func()
}

func (c *connection) close() error {
	if c.remember != nil {
		c.remember()
		c.remember = nil
	}
	if c.stop != nil {
		if err := c.stop(); err != nil {
			notice(c.log, slog.LevelWarn, fmt.Sprintf("the sandbox could not save its customers (%v): the next --sandbox run starts from what it held before this one", err))
			return err
		}
	}
	return nil
}

// recallRate starts lim just under the rate learned against the API with
// this token in an earlier run, if any, and arranges for conn.close to
// remember what this run learned. With --verbose it says where the
// starting rate came from.
func (c *connFlags) recallRate(stdio *IO, conn *connection, lim *apiclient.Limiter, api, token string) {
	path := rateMemoryPath(stdio)
	if path == "" {
		return
	}
	debug := func(string) {}
	if c.verbose {
		lg := stdio.log()
		debug = func(line string) { lg.Debug(line) }
	}
	configured := "--rate " + strconv.FormatFloat(c.rate, 'g', -1, 64) + " req/s"
	if c.rate == 0 {
		configured = "no set rate (unlimited)"
	}
	if learned, age, ok := recallRate(path, api, token, time.Now()); !ok {
		debug(fmt.Sprintf("rate: starting at %s: nothing learned against this API with this token in the last %.0f hours (%s)", configured, rateMemoryFor.Hours(), path))
	} else if lim.StartFrom(learned); lim.Stats().Rate < learned {
		debug(fmt.Sprintf("rate: starting at %.1f req/s, just under the %.1f req/s learned against this API with this token %s ago (%s); %s caps it", lim.Stats().Rate, learned, age.Round(time.Minute), path, configured))
	} else {
		debug(fmt.Sprintf("rate: starting at %s, below the %.1f req/s learned against this API with this token %s ago (%s)", configured, learned, age.Round(time.Minute), path))
	}
	conn.remember = func() {
		r, ok := lim.Learned()
		if !ok {
			return
		}
		if err := rememberRate(path, api, token, r, time.Now()); err != nil {
			debug(fmt.Sprintf("rate: could not remember the learned %.1f req/s: %v", r, err))
			return
		}
		debug(fmt.Sprintf("rate: remembered %.1f req/s for the next run against this API with this token (%s)", r, path))
	}
}

// sandboxDataFile is where --sandbox keeps its customers between runs.
func sandboxDataFile(stdio *IO) (string, error) {
	if stdio.CacheDir == nil {
		return "", errors.New("no user cache dir for the sandbox state")
	}
	dir, err := stdio.CacheDir()
	if err != nil {
		return "", fmt.Errorf("no user cache dir for the sandbox state (%v); set XDG_CACHE_HOME or HOME", err)
	}
	return filepath.Join(dir, "aivabatch", "sandbox.json"), nil
}

func (c *connFlags) connect(ctx context.Context, stdio *IO) (*connection, error) {
	if c.retries < 0 {
		return nil, usagef("--retries must be 0 or more")
	}
	if c.maxWait <= 0 {
		return nil, usagef("--max-wait must be more than 0, e.g. 5m")
	}
	if c.timeout <= 0 {
		return nil, usagef("--timeout must be more than 0, e.g. 30s")
	}
	if c.rate < 0 || c.burst < 1 && c.rate > 0 {
		return nil, usagef("--rate must be 0 or more and --burst at least 1")
	}
	opts := apiclient.Options{
		Retries:      c.retries,
		Timeout:      c.timeout,
		MaxWait:      c.maxWait,
		OptionName:   apiclientFlag,
		UserAgent:    "aivabatch/" + version,
		MaxIdleConns: c.workers + 1,
		Limiter:      apiclient.NewLimiter(c.rate, max(c.burst, 1)),
	}
	if c.verbose {
		lg := stdio.log()
		opts.Verbose = func(line string) { lg.Debug(line) }
	}
	conn := &connection{}
	if c.useSandbox {
		if c.apiURL != "" || c.tokenFile != "" {
			return nil, usagef("--sandbox runs the embedded emulator: drop --api-url and --token-file")
		}
		data, err := sandboxDataFile(stdio)
		if err != nil {
			return nil, usagef("%v", err)
		}
		if err := os.MkdirAll(filepath.Dir(data), 0o700); err != nil {
			return nil, usagef("sandbox state: %v", err)
		}
		// AIVA_SANDBOX_ID_STYLE picks the shape of the ids the embedded
		// emulator makes (tests run the whole tool against each).
		srv, err := sandbox.New(sandbox.Options{DataFile: data, IDStyle: stdio.Getenv("AIVA_SANDBOX_ID_STYLE")})
		if err != nil {
			return nil, usagef("sandbox state %s: %v (aivabatch sandbox --reset clears it)", data, err)
		}
		sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		base, done, err := srv.Start(sctx, "127.0.0.1:0")
		if err != nil {
			cancel()
			return nil, err
		}
		conn.stop = func() error { cancel(); return <-done }
		conn.log = stdio.log()
		conn.flagHint = " --sandbox"
		opts.BaseURL, opts.Token = base, sandbox.TokenReadWrite
	} else {
		opts.BaseURL = c.apiURL
		if opts.BaseURL == "" {
			opts.BaseURL = stdio.Getenv("AIVA_API_URL")
		}
		if opts.BaseURL == "" {
			opts.BaseURL = apiclient.DefaultBaseURL
		}
		tok, err := c.token(stdio)
		if err != nil {
			return nil, err
		}
		opts.Token = tok
		c.recallRate(stdio, conn, opts.Limiter, strings.TrimRight(opts.BaseURL, "/"), tok)
	}
	client, err := apiclient.New(opts)
	if err != nil {
		conn.close()
		return nil, usagef("%v", err)
	}
	conn.client = client
	return conn, nil
}

// tokenShape matches what an Aivapad token looks like (aiva_ and a long
// run of letters, digits and _ or -), with what follows after a dot.
var tokenShape = regexp.MustCompile(`aiva_[A-Za-z0-9_-]{12,}(\.[A-Za-z0-9]+)?`)

// looksLikeToken reports whether s holds something shaped like a token
// with no extension (a file name such as aiva_rw_….txt is a path): the
// test of a value given where a path goes.
func looksLikeToken(s string) bool {
	for _, m := range tokenShape.FindAllStringSubmatch(s, -1) {
		if m[1] == "" {
			return true
		}
	}
	return false
}

// redactTokens hides every token-shaped word of s, dots or not (a token
// in a host name, http://aiva_….example.com, or a file name), for
// messages that echo what the user typed.
func redactTokens(s string) string { return apiclient.RedactTokens(s) }

func (c *connFlags) token(stdio *IO) (string, error) {
	if c.tokenFile != "" {
		b, err := os.ReadFile(c.tokenFile)
		if err != nil {
			if looksLikeToken(c.tokenFile) {
				// Never repeat it: it is probably the token itself.
				return "", usagef("--token-file takes a path to a file holding the token, not the token itself; put the token in a file readable only by you and pass its path, or set AIVA_TOKEN")
			}
			if errors.Is(err, os.ErrNotExist) {
				return "", usagef("--token-file %s does not exist; pass the path of a file holding the token, or set AIVA_TOKEN", c.tokenFile)
			}
			return "", usagef("--token-file: %v", err)
		}
		// A file saved by Notepad starts with a UTF-8 BOM and ends its
		// line with CRLF: neither is part of the token.
		tok := strings.TrimSpace(strings.TrimPrefix(string(b), "\ufeff"))
		if tok == "" {
			return "", usagef("--token-file %s is empty", c.tokenFile)
		}
		return tok, nil
	}
	if tok := strings.TrimSpace(stdio.Getenv("AIVA_TOKEN")); tok != "" {
		return tok, nil
	}
	return "", usagef("no API token: set AIVA_TOKEN or pass --token-file PATH (or try the local emulator with --sandbox)")
}
