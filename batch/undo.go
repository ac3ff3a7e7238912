package batch

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	"aivabatch/apiclient"
	"aivabatch/formats"
)

// undoColumns are the columns of the undo file: an import file.
var undoColumns = []string{"action", "id", "name", "firstName", "lastName", "email", "phone", "status", "type", "value", "autoPayment", "notes"}

// undoWriter writes, as the run goes, an import file that reverses it: a
// delete for every customer created, an update with the previous profile
// for every customer updated, a create for every customer deleted. Import
// it with --blank clear so that fields that were empty before are emptied
// again.
//
// A row is written by the worker that learnt the outcome, before the
// outcome goes to the journal, and the journal hands the undo file to
// the OS before itself (journal.beforeFlush): whatever the journal holds
// after a kill -9, the undo file holds too. A --resume appends to the
// file (a torn last line is cut first), so the undo file of a run and its
// resumes reverses all of them. Safe for concurrent use.
type undoWriter struct {
	mu   sync.Mutex
	path string
	f    *os.File
	csv  *csv.Writer // CSV and TSV
	json *json.Encoder
	buf  *bytes.Buffer // NDJSON lines not yet written
	err  error         // the first write that failed: every later one fails too
}

// openUndo opens the undo file at path: created (or emptied) for a new
// run, appended to by a resume. Only text formats that can be appended
// to line by line are taken.
func openUndo(path string, resume bool) (*undoWriter, error) {
	format, err := formats.DetectFormat(path)
	if err != nil {
		return nil, &InputError{Err: &FileError{Option: OptUndo, Problem: FileWrongFormat, Path: path, Err: err}}
	}
	if formats.IsGzip(path) || format == formats.FormatXLSX {
		return nil, &InputError{Err: &FileError{Option: OptUndo, Problem: FileNotAppendable, Path: path}}
	}
	u := &undoWriter{path: path}
	header := true
	if resume {
		f, appended, err := reopenUndo(path, format)
		if err != nil {
			return nil, err
		}
		u.f, header = f, !appended
	} else if u.f, err = formats.CreateFile(path); err != nil {
		return nil, inputErr("cannot create the undo file: %v", err)
	}
	if format == formats.FormatNDJSON {
		u.buf = &bytes.Buffer{}
		u.json = json.NewEncoder(u.buf)
		u.json.SetEscapeHTML(false)
	} else {
		u.csv = csv.NewWriter(u.f)
		if format == formats.FormatTSV {
			u.csv.Comma = '\t'
		}
		if header {
			u.csv.Write(undoColumns)
		}
	}
	if err := u.flush(); err != nil {
		u.f.Close()
		return nil, inputErr("cannot write the undo file %s: %v", path, err)
	}
	return u, nil
}

// reopenUndo opens an existing undo file for appending, after checking
// that it is one (its header) and cutting a torn last line (a kill -9
// in the middle of a write; that row's outcome is not in the journal
// either, so the resume writes it again). appended is false when there
// was no file, or an empty one: then the header is still to be written.
func reopenUndo(path, format string) (f *os.File, appended bool, err error) {
	f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err != nil {
		if f != nil {
			f.Close()
		}
		return nil, false, inputErr("cannot open the undo file to append to it: %v", err)
	}
	fail := func(err error) (*os.File, bool, error) {
		f.Close()
		return nil, false, err
	}
	st, err := f.Stat()
	if err != nil {
		return fail(inputErr("cannot read the undo file %s: %v", path, err))
	}
	size := st.Size()
	if size == 0 {
		return f, false, nil
	}
	if format != formats.FormatNDJSON {
		first := make([]byte, 512)
		n, _ := f.ReadAt(first, 0)
		line, _, _ := strings.Cut(string(first[:n]), "\n")
		want := strings.Join(undoColumns, ",")
		if format == formats.FormatTSV {
			want = strings.Join(undoColumns, "\t")
		}
		if strings.TrimSuffix(line, "\r") != want {
			return fail(&InputError{Err: &FileError{Option: OptUndo, Problem: FileNotOurs, Path: path, Detail: want}})
		}
	}
	// Cut back to the last line end.
	end := size
	tail := make([]byte, 64<<10)
	for end > 0 {
		off := max(0, end-int64(len(tail)))
		n, err := f.ReadAt(tail[:end-off], off)
		if err != nil && !errors.Is(err, io.EOF) {
			return fail(inputErr("cannot read the undo file %s: %v", path, err))
		}
		if i := bytes.LastIndexByte(tail[:n], '\n'); i >= 0 {
			end = off + int64(i) + 1
			break
		}
		end = off
	}
	if end != size {
		if err := f.Truncate(end); err != nil {
			return fail(inputErr("cannot repair the undo file %s: %v", path, err))
		}
	}
	if _, err := f.Seek(end, io.SeekStart); err != nil {
		return fail(inputErr("cannot append to the undo file %s: %v", path, err))
	}
	return f, end > 0, nil
}

// add writes the row that reverses o, if any. The error is sticky.
func (u *undoWriter) add(o *Outcome, p *plan) error {
	var row []string
	switch o.Result {
	case ResultCreated:
		if o.CustomerID == "" {
			return nil
		}
		row = []string{"delete", o.CustomerID, "", "", "", "", "", "", "", "", "", ""}
	case ResultUpdated:
		if p.cur == nil {
			return nil
		}
		row = profileRow("update", p.cur.ID, p.cur)
	case ResultDeleted:
		if p.cur == nil {
			return nil
		}
		row = profileRow("create", "", p.cur)
	default:
		return nil
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.err != nil {
		return u.err
	}
	if u.csv != nil {
		u.err = u.csv.Write(row)
		return u.err
	}
	u.buf.WriteByte('{')
	for i, c := range row {
		if i > 0 {
			u.buf.WriteByte(',')
		}
		u.json.Encode(undoColumns[i])
		u.buf.Truncate(u.buf.Len() - 1)
		u.buf.WriteByte(':')
		u.json.Encode(c)
		u.buf.Truncate(u.buf.Len() - 1)
	}
	u.buf.WriteString("}\n")
	return nil
}

func profileRow(action, id string, c *apiclient.Customer) []string {
	return []string{action, id, c.Name, c.FirstName, c.LastName, c.Email, c.Phone, c.Status, c.Type,
		strconv.FormatFloat(c.Value, 'f', -1, 64), strconv.FormatBool(c.AutoPayment), c.Notes}
}

// flush hands the rows written so far to the OS.
func (u *undoWriter) flush() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.flushLocked()
}

func (u *undoWriter) flushLocked() error {
	if u.err != nil {
		return u.err
	}
	if u.csv != nil {
		u.csv.Flush()
		u.err = u.csv.Error()
	} else if u.buf.Len() > 0 {
		_, u.err = u.f.Write(u.buf.Bytes())
		u.buf.Reset()
	}
	return u.err
}

// failed returns the first write error, if any.
func (u *undoWriter) failed() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.err
}

// close flushes, syncs the file and its directory to the disk (a power
// cut after the run must not lose what reverses it), and closes.
func (u *undoWriter) close() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	err := u.flushLocked()
	if cerr := syncClose(u.f); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncDirOf(u.path)
	}
	return err
}

// setBeforeFlush makes the journal call f before each time it hands its
// lines to the OS.
func (j *journal) setBeforeFlush(f func() error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.beforeFlush = f
}
