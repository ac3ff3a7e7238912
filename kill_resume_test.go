package main

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"aivabatch/apiclient/sandbox"
	"aivabatch/formats"
)

// TestKillThenResumeAtOnce is the sequence a supervisor types: an import
// killed with SIGKILL at a random moment of its sending, and `--resume`
// started the instant it died, against a server (`aivabatch sandbox` in
// its own process) that goes on with the writes whose client is gone.
// Ten rounds (two with -short), all at once, each with its own file and
// emails; after each the tenant holds exactly one customer per row and
// the report has every row once. A round is killed once its k-th create
// is on its way (counted from the --verbose log, so that the moment is
// one of sending however slow the machine, and creates are in flight),
// k drawn from a seed that the test logs: -kill-seed N replays them.
func TestKillThenResumeAtOnce(t *testing.T) {
	t.Parallel()
	url := startSandbox(t, "--latency", "100ms", "--latency-jitter", "100ms")
	rounds, n := 10, 500
	if testing.Short() {
		rounds = 2
	}
	seed := *killSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("kill moments from -kill-seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	kills := make([]int, rounds) // creates sent before the kill
	for i := range kills {
		kills[i] = 1 + rng.IntN(n*4/5)
	}
	dir := t.TempDir()
	var (
		mu     sync.Mutex
		waited int
		wg     sync.WaitGroup
	)
	for r := range rounds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			what := fmt.Sprintf("round %d (killed after %d creates, -kill-seed %d)", r, kills[r], seed)
			lines := []string{"name,email"}
			for i := 1; i <= n; i++ {
				lines = append(lines, fmt.Sprintf("Round%d Person%d,r%d.p%d@example.com", r, i, r, i))
			}
			in := writeLines(t, filepath.Join(dir, fmt.Sprintf("round%d.csv", r)), lines...)
			args := []string{in, "--no-progress", "--rate", "0", "--workers", "16", "--timeout", "2s"}

			first, _, done := startImport(t, url, args, kills[r], nil)
			first.Process.Signal(syscall.SIGKILL)
			first.Wait()
			<-done

			// At once, as a script or supervisor restarting the job does.
			var errOut bytes.Buffer
			resume := aivabatchCmd(url, append([]string{"import", "--resume"}, args...)...)
			resume.Stderr = &errOut
			if err := resume.Run(); err != nil {
				t.Errorf("%s: resume: %v\n%s", what, err, errOut.String())
				return
			}
			if strings.Contains(errOut.String(), "in flight; waiting") {
				mu.Lock()
				waited++
				mu.Unlock()
			}
			checkOnePerRow(t, what, url, fmt.Sprintf("r%d.", r), n, strings.TrimSuffix(in, ".csv")+".report.csv")
		}()
	}
	wg.Wait()
	if waited == 0 {
		t.Errorf("no round met a create in flight at the kill: the test did not try the window it is for (kills after %v creates, -kill-seed %d)", kills, seed)
	}
}

var killSeed = flag.Uint64("kill-seed", 0, "the seed of TestKillThenResumeAtOnce's kill moments (0: from the clock; the test logs the one it used)")

func aivabatchCmd(url string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "AIVABATCH_AS_MAIN=1", "AIVA_API_URL="+url, "AIVA_TOKEN="+sandbox.TokenReadWrite)
	return cmd
}

// checkOnePerRow: the tenant holds one customer for each of the n emails
// starting with prefix, and the report lists rows 2..n+1 once each, as
// created or skipped with a customer id.
func checkOnePerRow(t *testing.T, what, url, prefix string, n int, report string) {
	t.Helper()
	perEmail := map[string]int{}
	for _, c := range tenantCustomers(t, url) {
		if strings.HasPrefix(c.Email, prefix) {
			perEmail[c.Email]++
		}
	}
	dups := 0
	for _, k := range perEmail {
		dups += k - 1
	}
	if len(perEmail) != n || dups != 0 {
		t.Errorf("%s: the tenant holds %d of %d customers and %d duplicates", what, len(perEmail), n, dups)
	}
	r, err := formats.OpenReader(report, formats.ReaderOptions{})
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	defer r.Close()
	rows := map[string]bool{}
	for {
		row, err := r.Next()
		if err != nil {
			break
		}
		if rows[row.Cells[0]] {
			t.Errorf("%s: row %s twice in the report", what, row.Cells[0])
		}
		rows[row.Cells[0]] = true
		if res := row.Cells[1]; (res != "created" && res != "skipped") || row.Cells[2] == "" {
			t.Errorf("%s: row %s: %s %q %s", what, row.Cells[0], res, row.Cells[2], row.Cells[4])
		}
	}
	if len(rows) != n {
		t.Errorf("%s: the report has %d rows, want %d", what, len(rows), n)
	}
}
