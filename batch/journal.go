package batch

import (
	"bufio"
	"encoding/json"
	"hash/fnv"
	"io"
	"os"
	"strconv"
	"sync"
	"time"
)

// JournalPath is where the journal of a report lives: beside it.
func JournalPath(report string) string { return report + ".journal" }

// PendingJournal returns the journal of report when it is there, which
// means the run that wrote it did not finish; "" when there is none.
func PendingJournal(report string) string {
	if jp := JournalPath(report); fileExists(jp) {
		return jp
	}
	return ""
}

// journalEntry is one line of the journal, one JSON object per line. A
// run opens with a header line (Run, TimeoutMS); then come intents (Intent
// set: the row's call is about to leave) and outcomes (Result set). The
// journal is appended to across a run and the runs that resume it, and
// removed when a run finishes (the report then holds every outcome).
//
// Entries are found again by Key (see rowKey), never by Row: the row
// number is kept for a person reading the journal. A journal of an older
// version has no keys; its entries are found by Hash.
type journalEntry struct {
	Row    int    `json:"row,omitempty"`
	Key    string `json:"key,omitempty"`
	Result Result `json:"result,omitempty"`
	ID     string `json:"id,omitempty"`
	Hash   string `json:"hash,omitempty"`
	// Intent is "create", "update" or "delete": written, and handed to
	// the OS, before the request leaves.
	Intent string `json:"intent,omitempty"`
	// Email is the email key a create intent sends, for resolving it.
	Email string `json:"email,omitempty"`
	// Older, for a create intent under --match none, is the ids of the
	// customers that held Email before it was sent (nil: not known), so
	// that a resume never takes one of them for this create.
	Older *[]string `json:"older,omitempty"`
	// Was is the customer a mirror delete intent removes, as it was: a
	// resume reports it, and writes its undo line, from this.
	Was *plainCustomer `json:"was,omitempty"`
	// Run and TimeoutMS open a run: its id and its request timeout.
	Run       string `json:"run,omitempty"`
	TimeoutMS int64  `json:"timeout_ms,omitempty"`
}

// journal appends outcomes and flushes them at least once a second, so
// that a kill -9 loses at most the last second (which --resume reconciles
// by email); intents are handed to the OS at once. Safe for concurrent
// use.
type journal struct {
	mu   sync.Mutex
	f    *os.File
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
	err  error
	// beforeFlush, when set, runs before each flush (the undo file goes
	// to the OS first: see undoWriter); when it fails, nothing is
	// flushed (flushLocked).
	beforeFlush func() error
}

// openJournal opens the journal at path for appending (a resumed run
// keeps what the runs before it wrote) and writes the run's header. A
// journal that does not end with a line break (a kill -9 or a full disk
// mid-line) gets one first, so that the header is a line of its own and
// not glued to the fragment, where no resume could read it.
func openJournal(path string, header journalEntry) (*journal, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = endLine(f)
	}
	if err != nil {
		if f != nil {
			f.Close()
		}
		return nil, inputErr("cannot create the journal: %v", err)
	}
	j := &journal{f: f, w: bufio.NewWriterSize(f, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	if err := j.intent(header); err != nil {
		f.Close()
		return nil, inputErr("cannot write the journal %s: %v", path, err)
	}
	go j.flusher()
	return j, nil
}

// endLine appends a line break to f when its last byte is not one.
func endLine(f *os.File) error {
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return err
	}
	var last [1]byte
	if _, err := f.ReadAt(last[:], st.Size()-1); err != nil {
		return err
	}
	if last[0] == '\n' {
		return nil
	}
	_, err = f.Write([]byte{'\n'})
	return err
}

func (j *journal) flusher() {
	defer close(j.done)
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			j.mu.Lock()
			if err := j.flushLocked(); err != nil && j.err == nil {
				j.err = err
			}
			j.mu.Unlock()
		case <-j.stop:
			return
		}
	}
}

// add appends an outcome; the flusher hands it to the OS within 0.5 s.
func (j *journal) add(e journalEntry) error {
	return j.write(e, false)
}

// intent appends e and hands it to the OS before returning: a kill -9
// right after cannot lose it.
func (j *journal) intent(e journalEntry) error {
	return j.write(e, true)
}

func (j *journal) write(e journalEntry, flush bool) error {
	b, _ := json.Marshal(e)
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return j.err
	}
	if j.w.Available() < len(b)+1 {
		// bufio would flush on its own: the undo file goes first.
		if err := j.flushLocked(); err != nil {
			j.err = err
			return err
		}
	}
	j.w.Write(b)
	if err := j.w.WriteByte('\n'); err != nil {
		j.err = err
		return err
	}
	if flush {
		if err := j.flushLocked(); err != nil {
			j.err = err
			return err
		}
	}
	return nil
}

// undoWriteError is a journal flush held back because the undo file,
// which goes first, could not be written.
type undoWriteError struct{ err error }

func (e *undoWriteError) Error() string {
	return "the undo file, written before the journal, could not be written: " + e.err.Error()
}

func (e *undoWriteError) Unwrap() error { return e.err }

// flushLocked hands the buffered lines to the OS, the undo file's
// first. When the undo file cannot be written, the journal's lines stay
// unwritten and the error is an *undoWriteError: a journaled outcome
// whose undo line was lost would make a resume skip that row, and its
// undo line would be missing for good, while a lost journal line is
// only a row in doubt, which a resume settles by email.
func (j *journal) flushLocked() error {
	if j.beforeFlush != nil {
		if err := j.beforeFlush(); err != nil {
			return &undoWriteError{err}
		}
	}
	return j.w.Flush()
}

// close flushes and closes; remove deletes the file too (the finished
// report then holds everything).
func (j *journal) close(remove bool) error {
	close(j.stop)
	<-j.done
	j.mu.Lock()
	defer j.mu.Unlock()
	err := j.flushLocked()
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
