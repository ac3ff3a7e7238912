package batch

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"aivabatch/batch/customer"
	"aivabatch/formats"
)

// A row's key is what --resume finds its previous outcome by: the id,
// else the normalised (trimmed, lower-case) email, else a hash of its
// cells. Never its position: rows inserted, deleted, sorted or edited
// between runs keep their key, so one row's outcome never goes to
// another row.
func rowKey(rec *customer.Record, hash string) string {
	switch {
	case rec.ID != "":
		return "i:" + rec.ID
	case rec.EmailKey != "":
		return "e:" + rec.EmailKey
	}
	return hashKey(hash)
}

// hashKey is the key of a row with neither id nor email, and the key an
// entry of an older journal (which recorded rows by position) is found
// by: its cells' hash.
func hashKey(hash string) string { return "h:" + hash }

// keyHash is the 64-bit hash a key is held by in memory. Two different
// keys colliding (about one chance in 10^7 for two million-row files)
// would give one row the other's outcome.
func keyHash(key string) uint64 {
	h := fnv.New64a()
	io.WriteString(h, key)
	return h.Sum64()
}

// entryKey is the key an entry of the journal is held by: the key it
// was written with, or, in a journal of an older version, its cells'
// hash, else the email a create intent sends or the id an update or
// delete intent names ("" when it has none of them).
func entryKey(e journalEntry) string {
	switch {
	case e.Key != "":
		return e.Key
	case e.Hash != "":
		return hashKey(e.Hash)
	case e.Intent == intentCreate && e.Email != "":
		return "e:" + customer.EmailKey(strings.TrimSpace(e.Email))
	case e.Intent != "" && e.ID != "":
		return "i:" + e.ID
	}
	return ""
}

// reportKeyer works out the key of a previous report's row from its cells,
// the way the validator reads them from the input: the id and email
// columns are found by their header.
type reportKeyer struct {
	m    *customer.Mapping
	json bool
}

func (k reportKeyer) cell(s string) string {
	if k.json {
		return strings.TrimSpace(s)
	}
	return customer.CellText(s)
}

// keyFunc returns the key of a row of a report with header h (the
// report's own columns first), given its cells' hash.
func (k reportKeyer) keyFunc(h []string) func(cells []string, hash string) string {
	col := func(f customer.Field) int {
		if k.m == nil {
			return -1
		}
		i, ok := k.m.Index[f]
		if !ok || i >= len(k.m.Header) {
			return -1
		}
		name := strings.TrimSpace(k.m.Header[i])
		for j := len(ReportColumns); j < len(h); j++ {
			if strings.EqualFold(strings.TrimSpace(h[j]), name) {
				return j
			}
		}
		return -1
	}
	idCol, emailCol := col(customer.FieldID), col(customer.FieldEmail)
	return func(cells []string, hash string) string {
		if idCol >= 0 && idCol < len(cells) {
			if id := k.cell(cells[idCol]); id != "" {
				return "i:" + id
			}
		}
		if emailCol >= 0 && emailCol < len(cells) {
			if e := k.cell(cells[emailCol]); e != "" {
				return "e:" + customer.EmailKey(e)
			}
		}
		return hashKey(hash)
	}
}

// previous is what the runs before a --resume left at the report path:
// the confirmed outcome of each row, the rows in doubt (an intent written,
// no outcome after it), and when the journal was last written. Both are
// held by the row's key.
type previous struct {
	done  doneTable
	doubt map[uint64]journalEntry
	// creates counts the in-doubt creates: the rows whose POST may still
	// be landing on the server.
	creates int
	// lastWrite is the journal's modification time: the last moment the
	// interrupted run sent anything.
	lastWrite time.Time
	// timeout is the interrupted run's request timeout (0: not recorded).
	timeout time.Duration
	// damaged counts the journal lines that could not be read (a torn or
	// cut journal): what they said is unknown, so the resume waits
	// --settle as if creates were in flight.
	damaged int
	// warnings are told to the user (ImportConfig.Notice).
	warnings []string
}

// inDoubt returns the intent with no outcome after it of the row with
// key (or, for an older journal, with the cells' hash), if any.
func (p *previous) inDoubt(key, hash string) (journalEntry, bool) {
	if p == nil {
		return journalEntry{}, false
	}
	if e, ok := p.doubt[keyHash(key)]; ok {
		return e, true
	}
	if hash != "" {
		if e, ok := p.doubt[keyHash(hashKey(hash))]; ok && e.Key == "" {
			return e, true
		}
	}
	return journalEntry{}, false
}

// get returns the confirmed outcome of the row with key, or, for an
// entry of an older journal or report, with the cells' hash.
func (p *previous) get(key, hash string) (journalEntry, bool) {
	if p == nil {
		return journalEntry{}, false
	}
	if e, ok := p.done.get(keyHash(key)); ok {
		return e, true
	}
	if hash != "" && !strings.HasPrefix(key, "h:") {
		return p.done.get(keyHash(hashKey(hash)))
	}
	return journalEntry{}, false
}

// loadPrevious reads the outcomes of the previous runs from the report at
// path and from its journal (the journal wins: it is written as outcomes
// are confirmed, the report in input order). Neither existing is not an
// error: there is simply nothing to skip. k reads the keys of the
// report's rows; read are the options the report is read with.
func loadPrevious(report string, k reportKeyer, read formats.ReaderOptions) (*previous, error) {
	p := &previous{doubt: make(map[uint64]journalEntry)}
	f, err := os.Open(JournalPath(report))
	if errors.Is(err, os.ErrNotExist) {
		// A finished run: its report holds every outcome.
		err := loadReport(report, &p.done, k, read)
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
	_ = loadReport(report, &p.done, k, read)
	var (
		maxTimeout   time.Duration
		damagedSince bool // a line after the last header could not be read
		firstBad     int
	)
	r := bufio.NewReaderSize(f, 64<<10)
	for line := 1; ; line++ {
		b, rerr := r.ReadSlice('\n')
		if errors.Is(rerr, bufio.ErrBufferFull) {
			// Longer than any line the tool writes: garbage.
			for errors.Is(rerr, bufio.ErrBufferFull) {
				_, rerr = r.ReadSlice('\n')
			}
			b = []byte{0}
		}
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return nil, rerr
		}
		var e journalEntry
		switch {
		case len(bytes.TrimSpace(b)) == 0:
		case json.Unmarshal(b, &e) != nil:
			// A line that cannot be read (a torn last line after a kill
			// -9 mid-write, a journal cut or damaged) is skipped: what it
			// said is unknown, so its row is looked up by email like
			// every create without a confirmed outcome.
			p.damaged++
			damagedSince = true
			if firstBad == 0 {
				firstBad = line
			}
		case e.Run != "":
			p.timeout = time.Duration(e.TimeoutMS) * time.Millisecond
			maxTimeout = max(maxTimeout, p.timeout)
			damagedSince = false
		case entryKey(e) == "":
		case e.Intent != "":
			p.doubt[keyHash(entryKey(e))] = e
		case confirmed(e.Result):
			p.done.add(keyHash(entryKey(e)), e)
			p.settled(e)
		case e.Result == ResultFailed:
			// Refused for certain (a 4xx on the first attempt): the
			// server holds nothing of it.
			p.settled(e)
		}
		if rerr != nil {
			break
		}
	}
	p.done.finish()
	for _, e := range p.doubt {
		if e.Intent == intentCreate {
			p.creates++
		}
	}
	if p.damaged > 0 {
		if damagedSince {
			// The line lost may have been the header of the last run:
			// settle for the longest timeout the journal records.
			p.timeout = maxTimeout
		}
		what := fmt.Sprintf("%d lines could not be read (the first is line %d); they are", p.damaged, firstBad)
		if p.damaged == 1 {
			what = fmt.Sprintf("line %d could not be read; it is", firstBad)
		}
		p.warnings = append(p.warnings, fmt.Sprintf("the journal %s is damaged: %s skipped, and every create without a confirmed outcome is looked up by email before it is sent again",
			JournalPath(report), what))
	}
	return p, nil
}

// settled drops the intent an outcome settles: the row's key, and for an
// entry of a newer version also its cells' hash, which the intent of an
// older version's journal is held by.
func (p *previous) settled(e journalEntry) {
	delete(p.doubt, keyHash(entryKey(e)))
	if e.Key != "" && e.Hash != "" {
		if d, ok := p.doubt[keyHash(hashKey(e.Hash))]; ok && d.Key == "" {
			delete(p.doubt, keyHash(hashKey(e.Hash)))
		}
	}
}

// Intents, as the journal spells them.
const (
	intentCreate = "create"
	intentUpdate = "update"
	intentDelete = "delete"
)

func loadReport(path string, done *doneTable, k reportKeyer, read formats.ReaderOptions) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	r, err := formats.OpenReader(path, read)
	if err != nil {
		return &FileError{Option: OptResume, Problem: FileUnreadable, Path: path, Err: err}
	}
	defer r.Close()
	h := r.Header()
	if len(h) < len(ReportColumns) || h[0] != "_row" || h[1] != "_result" || h[2] != "_customer_id" {
		return &FileError{Option: OptResume, Problem: FileNotOurs, Path: path}
	}
	keyOf := k.keyFunc(h)
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return &FileError{Option: OptResume, Problem: FileBroken, Path: path, Err: err}
		}
		if row.Err != nil || len(row.Cells) < len(ReportColumns) {
			continue // a torn last line
		}
		res := Result(row.Cells[1])
		if !confirmed(res) && res != ResultSkipped {
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
		hash := cellsHash(row.Cells[len(ReportColumns):])
		key := keyOf(row.Cells, hash)
		done.add(keyHash(key), journalEntry{Result: res, ID: row.Cells[2], Hash: hash, Key: key})
	}
}

// doneTable holds the confirmed outcomes of a previous run compactly, for
// a resume of a million-row file in bounded memory: 24 bytes a row plus
// the id's bytes in one arena, sorted by key once loading is done (a map
// of journalEntry costs about six times that).
type doneTable struct {
	rows []doneRow
	ids  []byte
}

type doneRow struct {
	key   uint64 // keyHash of the row's key
	hash  uint64
	idOff uint32
	idLen uint16
	res   uint8 // index into doneResults
}

var doneResults = []Result{ResultCreated, ResultUpdated, ResultUnchanged, ResultDeleted}

func (t *doneTable) add(key uint64, e journalEntry) {
	res := slices.Index(doneResults, e.Result)
	if res < 0 || len(e.ID) > 1<<16-1 || len(t.ids)+len(e.ID) > 1<<32-1 {
		// Not held: the row is then looked up by email, as in doubt.
		return
	}
	h, _ := strconv.ParseUint(e.Hash, 16, 64)
	t.rows = append(t.rows, doneRow{key: key, res: uint8(res), idOff: uint32(len(t.ids)), idLen: uint16(len(e.ID)), hash: h})
	t.ids = append(t.ids, e.ID...)
}

// finish sorts by key; of several outcomes of one key the last added
// (the latest written) stays.
func (t *doneTable) finish() {
	slices.SortStableFunc(t.rows, func(a, b doneRow) int { return cmp.Compare(a.key, b.key) })
	out := t.rows[:0]
	for i, r := range t.rows {
		if i+1 < len(t.rows) && t.rows[i+1].key == r.key {
			continue
		}
		out = append(out, r)
	}
	t.rows = slices.Clip(out)
}

// get returns the confirmed outcome held by key.
func (t *doneTable) get(key uint64) (journalEntry, bool) {
	i, ok := slices.BinarySearchFunc(t.rows, key, func(r doneRow, k uint64) int {
		switch {
		case r.key < k:
			return -1
		case r.key > k:
			return 1
		}
		return 0
	})
	if !ok {
		return journalEntry{}, false
	}
	r := t.rows[i]
	return journalEntry{
		Result: doneResults[r.res],
		ID:     string(t.ids[r.idOff : r.idOff+uint32(r.idLen)]),
		Hash:   strconv.FormatUint(r.hash, 16),
	}, true
}
