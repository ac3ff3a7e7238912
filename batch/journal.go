package batch

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"aivabatch/formats"
)

// JournalPath is where the journal of a report lives: beside it.
func JournalPath(report string) string { return report + ".journal" }

// journalEntry is one confirmed outcome, one JSON object per line.
type journalEntry struct {
	Row    int    `json:"row"`
	Result Result `json:"result"`
	ID     string `json:"id,omitempty"`
	Hash   string `json:"hash"`
}

// journal appends confirmed outcomes and flushes them at least once a
// second, so that a kill -9 loses at most the last second (which --resume
// reconciles by email). Safe for concurrent use.
type journal struct {
	mu   sync.Mutex
	f    *os.File
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
	err  error
}

func openJournal(path string) (*journal, error) {
	f, err := formats.CreateFile(path)
	if err != nil {
		return nil, inputErr("cannot create the journal: %v", err)
	}
	j := &journal{f: f, w: bufio.NewWriterSize(f, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go j.flusher()
	return j, nil
}

func (j *journal) flusher() {
	defer close(j.done)
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			j.mu.Lock()
			if err := j.w.Flush(); err != nil && j.err == nil {
				j.err = err
			}
			j.mu.Unlock()
		case <-j.stop:
			return
		}
	}
}

func (j *journal) add(e journalEntry) error {
	b, _ := json.Marshal(e)
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return j.err
	}
	j.w.Write(b)
	return j.w.WriteByte('\n')
}

// close flushes and closes; remove deletes the file too (the finished
// report then holds everything).
func (j *journal) close(remove bool) error {
	close(j.stop)
	<-j.done
	j.mu.Lock()
	defer j.mu.Unlock()
	err := j.w.Flush()
	if cerr := j.f.Close(); err == nil {
		err = cerr
	}
	if err == nil && j.err != nil {
		err = j.err
	}
	if remove && err == nil {
		err = os.Remove(j.f.Name())
	}
	return err
}

// cellsHash identifies a row's cells so that --resume can tell a row that
// was edited since the previous run.
func cellsHash(cells []string) string {
	return cellsHashOf(cells, nil)
}

// cellsHashOf hashes the cells at the indexes in keep (all when nil): the
// input columns the report repeats.
func cellsHashOf(cells []string, keep []int) string {
	h := fnv.New64a()
	add := func(c string) {
		io.WriteString(h, c)
		h.Write([]byte{0x1f})
	}
	if keep == nil {
		for _, c := range cells {
			add(c)
		}
	} else {
		for _, i := range keep {
			if i < len(cells) {
				add(cells[i])
			} else {
				add("")
			}
		}
	}
	return strconv.FormatUint(h.Sum64(), 16)
}

// confirmed reports whether a result means the API holds the row's effect.
func confirmed(r Result) bool {
	switch r {
	case ResultCreated, ResultUpdated, ResultUnchanged, ResultDeleted:
		return true
	}
	return false
}

// loadPrevious reads the confirmed outcomes of a previous run from the
// report at path and from its journal (the journal wins: it is written as
// outcomes are confirmed, the report in input order). Neither existing is
// not an error: there is simply nothing to skip.
func loadPrevious(report string, ropts formats.ReaderOptions) (map[int]journalEntry, error) {
	prev := make(map[int]journalEntry)
	f, err := os.Open(JournalPath(report))
	if errors.Is(err, os.ErrNotExist) {
		// A finished run: its report holds every outcome.
		return prev, loadReport(report, prev)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// A run that was killed: its report may be empty or torn part way;
	// take what can be read of it, the journal holds the rest.
	_ = loadReport(report, prev)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var e journalEntry
		// A torn last line (kill -9 mid-write) is ignored: that outcome is
		// reconciled by email like any unconfirmed create.
		if json.Unmarshal(sc.Bytes(), &e) == nil && e.Row > 0 && confirmed(e.Result) {
			prev[e.Row] = e
		}
	}
	return prev, sc.Err()
}

func loadReport(path string, prev map[int]journalEntry) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	r, err := formats.OpenReader(path, formats.ReaderOptions{})
	if err != nil {
		return fmt.Errorf("--resume: cannot read the previous report %s: %w", path, err)
	}
	defer r.Close()
	h := r.Header()
	if len(h) < len(ReportColumns) || h[0] != "_row" || h[1] != "_result" || h[2] != "_customer_id" {
		return fmt.Errorf("--resume: %s is not an aivabatch report (its first columns are not _row,_result,_customer_id); pass the right --report", path)
	}
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("--resume: reading %s: %w", path, err)
		}
		if row.Err != nil || len(row.Cells) < len(ReportColumns) {
			continue // a torn last line
		}
		n, err := strconv.Atoi(row.Cells[0])
		res := Result(row.Cells[1])
		if err != nil || !confirmed(res) && res != ResultSkipped {
			continue
		}
		if res == ResultSkipped {
			// Carried over from an earlier run; its journal line, if any,
			// holds the underlying result. Without one, keep it as a
			// confirmed outcome so it is not sent again.
			res = ResultUnchanged
			if row.Cells[2] == "" {
				continue
			}
		}
		prev[n] = journalEntry{Row: n, Result: res, ID: row.Cells[2], Hash: cellsHash(row.Cells[len(ReportColumns):])}
	}
}

// createdInReport counts the rows an earlier complete report at path says
// were created (0 when there is no readable report).
func createdInReport(path string) int {
	if _, err := os.Stat(path); err != nil {
		return 0
	}
	r, err := formats.OpenReader(path, formats.ReaderOptions{})
	if err != nil {
		return 0
	}
	defer r.Close()
	if h := r.Header(); len(h) < 2 || h[0] != "_row" || h[1] != "_result" {
		return 0
	}
	n := 0
	for {
		row, err := r.Next()
		if err != nil {
			return n
		}
		if len(row.Cells) > 1 && row.Cells[1] == string(ResultCreated) {
			n++
		}
	}
}
