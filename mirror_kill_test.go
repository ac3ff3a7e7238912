package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"

	"aivabatch/apiclient/sandbox"
	"aivabatch/formats"
)

// TestMirrorKilledThenResumed: a mirror is killed with SIGKILL while its
// deletes are under way, against a server in its own process that goes
// on with the deletes whose client is gone. The file then gets back two
// of the customers it had dropped that are still there, and the
// resume is started at once: the tenant ends holding exactly the file's
// customers (the two are never deleted), and the report lists each
// customer deleted by either run once.
func TestMirrorKilledThenResumed(t *testing.T) {
	t.Parallel()
	url := startSandbox(t, "--latency", "40ms", "--latency-jitter", "40ms")
	dir := t.TempDir()
	const n = 100
	file := func(keep func(i int) bool) string {
		lines := []string{"name,email"}
		for i := range n {
			if keep(i) {
				lines = append(lines, fmt.Sprintf("Kept %d,k%d@example.com", i, i))
			}
		}
		return writeLines(t, filepath.Join(dir, "in.csv"), lines...)
	}
	in := file(func(int) bool { return true })
	if code, out := runCLI(t, url, "import", in, "--no-progress", "--rate", "0", "--workers", "16"); code != exitOK {
		t.Fatalf("seeding: exit %d\n%s", code, out)
	}
	idOf := map[string]string{}
	for _, c := range tenantCustomers(t, url) {
		idOf[c.Email] = c.ID
	}
	os.Remove(strings.TrimSuffix(in, ".csv") + ".report.csv")
	os.Remove(strings.TrimSuffix(in, ".csv") + ".report.csv.runs")
	dropped := func(i int) bool { return i%3 == 0 } // 34 customers
	file(func(i int) bool { return !dropped(i) })
	args := []string{in, "--no-progress", "--rate", "0", "--workers", "4", "--timeout", "2s", "--delete-missing", "--max-delete", "34", "--undo", filepath.Join(dir, "undo.csv")}

	cmd := exec.Command(os.Args[0], append([]string{"import", "--verbose"}, args...)...)
	cmd.Env = append(os.Environ(), "AIVABATCH_AS_MAIN=1", "AIVA_API_URL="+url, "AIVA_TOKEN="+sandbox.TokenReadWrite)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	sc := bufio.NewScanner(stderr)
	for sent := 0; sent < 10 && sc.Scan(); {
		log.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "DELETE http") {
			sent++
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
	}
	cmd.Wait()

	left := map[string]bool{}
	for _, c := range tenantCustomers(t, url) {
		left[c.Email] = true
	}
	// Two dropped customers the killed run sent no delete for (one in
	// flight may still land) go back into the file.
	var back []int
	for i := range n {
		email := fmt.Sprintf("k%d@example.com", i)
		if dropped(i) && left[email] && !strings.Contains(log.String(), "/customers/"+idOf[email]+" ") && len(back) < 2 {
			back = append(back, i)
		}
	}
	if len(back) != 2 || len(left) == n {
		t.Fatalf("killed after 10 deletes were sent: %d customers left, %d dropped ones; log:\n%s", len(left), len(back), log.String())
	}
	keep := func(i int) bool { return !dropped(i) || slices.Contains(back, i) }
	file(keep)

	code, out := runCLI(t, url, append([]string{"import", "--resume"}, args...)...)
	if code != exitOK {
		t.Fatalf("resume: exit %d\n%s", code, out)
	}
	var got, want []string
	for _, c := range tenantCustomers(t, url) {
		got = append(got, c.Email)
	}
	for i := range n {
		if keep(i) {
			want = append(want, fmt.Sprintf("k%d@example.com", i))
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Fatalf("after the resume the tenant holds %d customers, want the file's %d\n%s", len(got), len(want), out)
	}
	r, err := formats.OpenReader(strings.TrimSuffix(in, ".csv")+".report.csv", formats.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	deleted := map[string]int{}
	for {
		row, err := r.Next()
		if err != nil {
			break
		}
		if row.Cells[1] == "deleted" {
			deleted[row.Cells[7]]++
		}
	}
	for i := range n {
		email := fmt.Sprintf("k%d@example.com", i)
		if w := dropped(i) && !keep(i); deleted[email] != map[bool]int{true: 1}[w] {
			t.Errorf("%s: listed as deleted %d times (dropped %v)", email, deleted[email], w)
		}
	}
}
