package batch

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"time"

	"aivabatch/formats"
)

// previous is what the runs before a --resume left at the report path:
// the confirmed outcome of each row, the rows in doubt (an intent written,
// no outcome after it), and when the journal was last written.
type previous struct {
	done  doneTable
	doubt map[int]journalEntry
	// creates counts the in-doubt creates: the rows whose POST may still
	// be landing on the server.
	creates int
	// lastWrite is the journal's modification time: the last moment the
	// interrupted run sent anything.
	lastWrite time.Time
	// timeout is the interrupted run's request timeout (0: not recorded).
	timeout time.Duration
	// intents says the journal records intents. Without (a finished
	// report, or a journal of an older version) every create without a
	// confirmed outcome may have happened, and is looked up by email.
	intents bool
}

// inDoubt returns the row's intent with no outcome after it, if any.
func (p *previous) inDoubt(row int) (journalEntry, bool) {
	if p == nil {
		return journalEntry{}, false
	}
	e, ok := p.doubt[row]
	return e, ok
}

// loadPrevious reads the outcomes of the previous runs from the report at
// path and from its journal (the journal wins: it is written as outcomes
// are confirmed, the report in input order). Neither existing is not an
// error: there is simply nothing to skip.
func loadPrevious(report string) (*previous, error) {
	p := &previous{doubt: make(map[int]journalEntry)}
	f, err := os.Open(JournalPath(report))
	if errors.Is(err, os.ErrNotExist) {
		// A finished run: its report holds every outcome.
		err := loadReport(report, &p.done)
		p.done.finish()
		return p, err
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil {
		p.lastWrite = st.ModTime()
	}
	// A run that was killed: its report may be empty or torn part way;
	// take what can be read of it, the journal holds the rest.
	_ = loadReport(report, &p.done)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var e journalEntry
		// A torn last line (kill -9 mid-write) is ignored: an intent is
		// handed to the OS whole before its request leaves, so only an
		// outcome can be torn, and its intent then stands.
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			continue
		}
		switch {
		case e.Run != "":
			p.intents = true
			p.timeout = time.Duration(e.TimeoutMS) * time.Millisecond
		case e.Row <= 0:
		case e.Intent != "":
			p.doubt[e.Row] = e
		case confirmed(e.Result):
			p.done.add(e)
			delete(p.doubt, e.Row)
		case e.Result == ResultFailed:
			// Refused for certain (a 4xx on the first attempt): the
			// server holds nothing of it.
			delete(p.doubt, e.Row)
		}
	}
	p.done.finish()
	for _, e := range p.doubt {
		if e.Intent == intentCreate {
			p.creates++
		}
	}
	return p, sc.Err()
}

// Intents, as the journal spells them.
const (
	intentCreate = "create"
	intentUpdate = "update"
	intentDelete = "delete"
)

func loadReport(path string, done *doneTable) error {
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
		done.add(journalEntry{Row: n, Result: res, ID: row.Cells[2], Hash: cellsHash(row.Cells[len(ReportColumns):])})
	}
}

// doneTable holds the confirmed outcomes of a previous run compactly, for
// a resume of a million-row file in bounded memory: 24 bytes a row plus
// the id's bytes in one arena, sorted by row once loading is done (a map
// of journalEntry costs about six times that).
type doneTable struct {
	rows []doneRow
	ids  []byte
}

type doneRow struct {
	row   int32
	res   uint8 // index into doneResults
	idOff uint32
	idLen uint32
	hash  uint64
}

var doneResults = []Result{ResultCreated, ResultUpdated, ResultUnchanged, ResultDeleted}

func (t *doneTable) add(e journalEntry) {
	res := slices.Index(doneResults, e.Result)
	if res < 0 || e.Row <= 0 || e.Row > 1<<31-1 {
		return
	}
	h, _ := strconv.ParseUint(e.Hash, 16, 64)
	t.rows = append(t.rows, doneRow{row: int32(e.Row), res: uint8(res), idOff: uint32(len(t.ids)), idLen: uint32(len(e.ID)), hash: h})
	t.ids = append(t.ids, e.ID...)
}

// finish sorts by row; of several outcomes of one row the last added
// (the latest written) stays.
func (t *doneTable) finish() {
	slices.SortStableFunc(t.rows, func(a, b doneRow) int { return int(a.row) - int(b.row) })
	out := t.rows[:0]
	for i, r := range t.rows {
		if i+1 < len(t.rows) && t.rows[i+1].row == r.row {
			continue
		}
		out = append(out, r)
	}
	t.rows = slices.Clip(out)
}

// get returns the row's confirmed outcome.
func (t *doneTable) get(row int) (journalEntry, bool) {
	i, ok := slices.BinarySearchFunc(t.rows, row, func(r doneRow, row int) int { return int(r.row) - row })
	if !ok {
		return journalEntry{}, false
	}
	r := t.rows[i]
	return journalEntry{
		Row:    row,
		Result: doneResults[r.res],
		ID:     string(t.ids[r.idOff : r.idOff+r.idLen]),
		Hash:   strconv.FormatUint(r.hash, 16),
	}, true
}
