package batch

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"aivabatch/apiclient"
)

// backlog keeps, in input order, the rows that finished behind a row in
// doubt (a create waiting for the resolver's next list, up to 30 s): the
// report is written in input order, and holding those rows in memory
// would grow with the run's pace. Finished rows go to an unlinked
// temporary file; a row in doubt is a mark (its job stays with the
// resolver). Only the report goroutine uses it.
type backlog struct {
	f       *os.File
	ow      *io.OffsetWriter
	w       *bufio.Writer
	size    int64 // bytes appended (flushed or not)
	flushed int64
	roff    int64  // next byte to read
	rbuf    []byte // read ahead, from roff - len(rbuf)
	entries []backlogEntry
	head    int
	undo    bool // keep what the undo file needs (plan.cur)
	enc     []byte
}

type backlogEntry struct {
	seq  int
	disk bool // a finished row in the file; else a row in doubt
}

// A finished row is held as what record needs of it: the outcome, its key
// and hash, what the plan settled, and (for the undo file) the customer
// it found. Strings and numbers are length- or varint-prefixed: JSON
// cost several times as much for every row behind a row in doubt.
func appendJob(buf []byte, j *job, undo bool) ([]byte, error) {
	str := func(s string) {
		buf = binary.AppendUvarint(buf, uint64(len(s)))
		buf = append(buf, s...)
	}
	o := &j.out
	buf = binary.AppendVarint(buf, int64(j.seq))
	buf = binary.AppendVarint(buf, int64(o.Num))
	buf = binary.AppendUvarint(buf, uint64(len(o.Cells)))
	for _, c := range o.Cells {
		str(c)
	}
	str(string(o.Result))
	str(o.CustomerID)
	buf = binary.AppendVarint(buf, int64(o.HTTPStatus))
	str(o.Error)
	str(o.Changes)
	str(o.From)
	str(j.key)
	str(j.hash)
	str(string(j.plan.result))
	var flags byte
	if j.journaled {
		flags |= 1
	}
	if j.leftOut {
		flags |= 2
	}
	if j.undone {
		flags |= 8 // its undo row is written: not again when it is reported
	}
	var cur []byte
	if undo && j.plan.cur != nil {
		flags |= 4
		var err error
		if cur, err = json.Marshal(j.plan.cur); err != nil {
			return nil, err
		}
	}
	buf = append(buf, flags)
	if flags&4 != 0 {
		str(string(cur))
	}
	return buf, nil
}

// readJob decodes what appendJob wrote.
func readJob(b []byte) (*job, error) {
	bad := errors.New("reading back rows held behind a row in doubt: the file is damaged")
	num := func() int64 {
		v, n := binary.Varint(b)
		if n <= 0 {
			b = nil
			return 0
		}
		b = b[n:]
		return v
	}
	str := func() string {
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			b = nil
			return ""
		}
		s := string(b[n : n+int(l)])
		b = b[n+int(l):]
		return s
	}
	j := &job{seq: int(num())}
	o := &j.out
	o.Num = int(num())
	nc, n := binary.Uvarint(b)
	if n <= 0 || nc > uint64(len(b)) {
		return nil, bad
	}
	b = b[n:]
	o.Cells = make([]string, nc)
	for i := range o.Cells {
		o.Cells[i] = str()
	}
	o.Result = Result(str())
	o.CustomerID = str()
	o.HTTPStatus = int(num())
	o.Error, o.Changes, o.From = str(), str(), str()
	j.key, j.hash = str(), str()
	j.plan.result = Result(str())
	if len(b) == 0 {
		return nil, bad
	}
	flags := b[0]
	b = b[1:]
	j.journaled, j.leftOut, j.undone = flags&1 != 0, flags&2 != 0, flags&8 != 0
	if flags&4 != 0 {
		cur := str()
		if b == nil {
			return nil, bad
		}
		j.plan.cur = new(apiclient.Customer)
		if err := json.Unmarshal([]byte(cur), j.plan.cur); err != nil {
			return nil, bad
		}
	}
	if b == nil {
		return nil, bad
	}
	return j, nil
}

func (b *backlog) empty() bool { return b.head == len(b.entries) }

// front is the first entry; only when !empty.
func (b *backlog) front() backlogEntry { return b.entries[b.head] }

func (b *backlog) pop() {
	b.head++
	if b.empty() {
		// All read: start the file and the list over.
		b.entries, b.head = b.entries[:0], 0
		if b.f != nil && b.size > 0 {
			b.f.Truncate(0)
			b.ow.Seek(0, io.SeekStart)
			b.size, b.flushed, b.roff, b.rbuf = 0, 0, 0, b.rbuf[:0]
		}
	}
}

// pushDoubt marks the place of a row in doubt.
func (b *backlog) pushDoubt(seq int) { b.entries = append(b.entries, backlogEntry{seq: seq}) }

// pushJob appends a finished row.
func (b *backlog) pushJob(j *job) error {
	if b.f == nil {
		f, err := os.CreateTemp("", "aivabatch-backlog-*")
		if err != nil {
			return fmt.Errorf("holding rows behind a row in doubt: %w", err)
		}
		// Unlinked at once: it vanishes with the process, even on kill -9.
		os.Remove(f.Name())
		b.f, b.ow = f, io.NewOffsetWriter(f, 0)
		b.w = bufio.NewWriterSize(b.ow, 64<<10)
	}
	data, err := appendJob(b.enc[:0], j, b.undo)
	if err != nil {
		return err
	}
	b.enc = data
	var n [4]byte
	binary.LittleEndian.PutUint32(n[:], uint32(len(data)))
	b.w.Write(n[:])
	if _, err := b.w.Write(data); err != nil {
		return fmt.Errorf("holding rows behind a row in doubt: %w", err)
	}
	b.size += int64(4 + len(data))
	b.entries = append(b.entries, backlogEntry{seq: j.seq, disk: true})
	return nil
}

// popJob reads the first entry, a finished row, back.
func (b *backlog) popJob() (*job, error) {
	n, err := b.read(4)
	if err != nil {
		return nil, err
	}
	data, err := b.read(int(binary.LittleEndian.Uint32(n)))
	if err != nil {
		return nil, err
	}
	j, err := readJob(data)
	if err != nil {
		return nil, err
	}
	b.pop()
	return j, nil
}

// read returns the next n bytes of the file (valid until the next read).
func (b *backlog) read(n int) ([]byte, error) {
	if len(b.rbuf) < n {
		if b.flushed < b.size {
			if err := b.w.Flush(); err != nil {
				return nil, fmt.Errorf("holding rows behind a row in doubt: %w", err)
			}
			b.flushed = b.size
		}
		want := max(n, 64<<10)
		buf := make([]byte, len(b.rbuf), max(want, cap(b.rbuf)))
		copy(buf, b.rbuf)
		m := min(int64(want-len(buf)), b.flushed-b.roff)
		if m > 0 {
			k, err := b.f.ReadAt(buf[len(buf):len(buf)+int(m)], b.roff)
			if err != nil && k < int(m) {
				return nil, fmt.Errorf("reading back rows held behind a row in doubt: %w", err)
			}
			buf = buf[:len(buf)+k]
			b.roff += int64(k)
		}
		b.rbuf = buf
		if len(b.rbuf) < n {
			return nil, fmt.Errorf("reading back rows held behind a row in doubt: the file ends early")
		}
	}
	out := b.rbuf[:n]
	b.rbuf = b.rbuf[n:]
	return out, nil
}

func (b *backlog) close() {
	if b.f != nil {
		b.f.Close()
		b.f = nil
	}
}
