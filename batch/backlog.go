package batch

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
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
	ow      *offsetWriter
	w       *bufio.Writer
	size    int64 // bytes appended (flushed or not)
	flushed int64
	roff    int64  // next byte to read
	rbuf    []byte // read ahead, from roff - len(rbuf)
	entries []backlogEntry
	head    int
	undo    bool // keep what the undo file needs (plan.cur)
}

type backlogEntry struct {
	seq  int
	disk bool // a finished row in the file; else a row in doubt
}

// spilledJob is what record needs of a finished job.
type spilledJob struct {
	Seq        int
	Out        Outcome
	Key, Hash  string
	PlanResult Result              `json:",omitempty"`
	Journaled  bool                `json:",omitempty"`
	LeftOut    bool                `json:",omitempty"`
	Cur        *apiclient.Customer `json:",omitempty"`
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
			b.ow.off, b.size, b.flushed, b.roff, b.rbuf = 0, 0, 0, 0, b.rbuf[:0]
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
		b.f, b.ow = f, &offsetWriter{f: f}
		b.w = bufio.NewWriterSize(b.ow, 64<<10)
	}
	s := spilledJob{Seq: j.seq, Out: j.out, Key: j.key, Hash: j.hash, PlanResult: j.plan.result, Journaled: j.journaled, LeftOut: j.leftOut}
	if b.undo {
		s.Cur = j.plan.cur
	}
	data, err := json.Marshal(&s)
	if err != nil {
		return err
	}
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
	var s spilledJob
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("reading back rows held behind a row in doubt: %w", err)
	}
	b.pop()
	return &job{seq: s.Seq, out: s.Out, key: s.Key, hash: s.Hash, journaled: s.Journaled, leftOut: s.LeftOut,
		plan: plan{result: s.PlanResult, cur: s.Cur}}, nil
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
