package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRowsSortedBeforeResume: the real command, killed with SIGKILL part
// way (and, in the other case, stopped by --limit), then the file sorted
// by another column and one row edited, then --resume, against a server
// in its own process that finishes the writes of a killed client. The
// tenant then holds one customer per row, each with its row's data: no
// customer twice, none with another row's data. Three kill rounds; the
// seed of the kill times is logged.
func TestRowsSortedBeforeResume(t *testing.T) {
	url := startSandbox(t, "--latency", "20ms", "--latency-jitter", "20ms")
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 3))
	dir := t.TempDir()
	const n = 300
	for round := range 4 {
		limit := round == 3
		tag := fmt.Sprintf("sort%d", round)
		type row struct{ name, email, phone string }
		rows := make([]row, n)
		for i := range rows {
			rows[i] = row{fmt.Sprintf("Sort%d Person%03d", round, i), fmt.Sprintf("%s.p%03d@example.com", tag, i), fmt.Sprintf("+1 555 %04d", (i*7919)%10000)}
		}
		write := func(path string) string {
			lines := []string{"name,email,phone"}
			for _, r := range rows {
				lines = append(lines, r.name+","+r.email+","+r.phone)
			}
			return writeLines(t, path, lines...)
		}
		in := write(filepath.Join(dir, tag+".csv"))
		args := []string{"import", in, "--no-progress", "--rate", "0", "--workers", "8", "--timeout", "1s"}
		what := fmt.Sprintf("round %d", round)
		if limit {
			if out, err := aivabatchCmd(url, append(args, "--limit", "5")...).CombinedOutput(); err != nil && !strings.Contains(string(out), "not_attempted") {
				t.Fatalf("--limit 5: %v\n%s", err, out)
			}
			what += " (--limit 5)"
		} else {
			kill := 300*time.Millisecond + time.Duration(rng.Int64N(int64(900*time.Millisecond)))
			first := aivabatchCmd(url, args...)
			if err := first.Start(); err != nil {
				t.Fatal(err)
			}
			timer := time.AfterFunc(kill, func() { first.Process.Signal(syscall.SIGKILL) })
			first.Wait()
			timer.Stop()
			what += fmt.Sprintf(" (killed after %v)", kill)
		}
		// The customers the first run created: each keeps its id (the
		// resume must not hand one row's customer to another row, even
		// when every row then ends up with some customer of its data).
		firstIDs := map[string]string{}
		for _, c := range tenantCustomers(t, url) {
			if strings.HasPrefix(c.Email, tag+".") {
				firstIDs[c.Email] = c.ID
			}
		}
		// Sorted by phone, and one row edited.
		slices.SortFunc(rows, func(a, b row) int { return strings.Compare(a.phone, b.phone) })
		rows[0].name += " Edited"
		write(in)
		var errOut bytes.Buffer
		resume := aivabatchCmd(url, append(args, "--resume")...)
		resume.Stderr = &errOut
		if err := resume.Run(); err != nil {
			t.Errorf("%s: resume: %v\n%s", what, err, errOut.String())
			continue
		}
		want := map[string]row{}
		for _, r := range rows {
			want[r.email] = r
		}
		got := map[string]int{}
		for _, c := range tenantCustomers(t, url) {
			if !strings.HasPrefix(c.Email, tag+".") {
				continue
			}
			got[c.Email]++
			if r := want[c.Email]; c.Name != r.name || c.Phone != r.phone {
				t.Errorf("%s: customer %s holds %q %q, its row %q %q", what, c.Email, c.Name, c.Phone, r.name, r.phone)
			}
			if id, ok := firstIDs[c.Email]; ok && id != c.ID {
				t.Errorf("%s: %s is now customer %s; the first run created it as %s", what, c.Email, c.ID, id)
			}
		}
		for email := range want {
			if got[email] != 1 {
				t.Errorf("%s: %d customers with %s, want 1", what, got[email], email)
			}
		}
		if len(got) != n {
			t.Errorf("%s: %d customers, want %d", what, len(got), n)
		}
	}
}
