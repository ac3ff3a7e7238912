package batch

import (
	"bufio"
	"encoding/binary"
	"hash/maphash"
	"os"
	"slices"
)

// seenSet remembers keys (emails, ids) with the first row that had them,
// in memory that does not grow with the number of rows: a fixed Bloom
// filter answers "never seen" for almost every new key, recent keys sit in
// a bounded map, and older ones are spilled to sorted runs in an unlinked
// temporary file that is consulted only when the filter says "maybe".
//
// Keys are compared by a 64-bit hash; two different keys colliding (about
// one chance in 10^7 for a ten-million-row file) would be reported as a
// duplicate.
type seenSet struct {
	seed  maphash.Seed
	bloom []uint64
	mem   seenTable
	file  *os.File
	runs  []seenRun
	size  int64
	buf   []byte
}

type seenRun struct {
	off    int64    // where the run starts in file
	n      int      // entries
	sparse []uint64 // hash of every sparseStep-th entry
}

const (
	bloomWords = 1 << 20 // 8 MiB; ~1e-4 false positives at two million keys
	bloomK     = 5       // bits per key, all in one 64-bit word: one cache miss
	memLimit   = 1 << 16 // keys held in the map before a spill (~2 MiB)
	sparseStep = 128
	entrySize  = 12
)

func newSeenSet() *seenSet {
	return &seenSet{seed: maphash.MakeSeed(), bloom: make([]uint64, bloomWords), mem: newSeenTable(2 * memLimit)}
}

// CheckAndAdd returns the first row of key (of this kind: 'e' email,
// 'i' id) if it was seen before, or remembers it with row.
func (s *seenSet) CheckAndAdd(kind byte, key string, row int) (first int, dup bool, err error) {
	return s.checkAndAddHash(s.hash(kind, key), row)
}

// hash is the key's 64-bit hash, never 0 (0 marks an empty table slot).
func (s *seenSet) hash(kind byte, key string) uint64 {
	h := maphash.String(s.seed, key) ^ uint64(kind)*0x9e3779b97f4a7c15
	if h == 0 {
		h = 1
	}
	return h
}

// touch reads the filter words of hs so that they are in the cache when
// checkAndAddHash needs them: independent loads in a row overlap, where
// one load per call, each waited for, costs a full memory latency.
func (s *seenSet) touch(hs []uint64) uint64 {
	var x uint64
	for _, h := range hs {
		x ^= s.bloom[(h>>32)%bloomWords]
	}
	return x
}

func (s *seenSet) checkAndAddHash(h uint64, row int) (first int, dup bool, err error) {
	w := &s.bloom[(h>>32)%bloomWords]
	var m uint64
	for i := range bloomK {
		m |= 1 << ((h >> (6 * i)) & 63)
	}
	maybe := *w&m == m
	*w |= m
	if maybe {
		if r, ok := s.mem.get(h); ok {
			return int(r), true, nil
		}
		if r, ok, err := s.lookupRuns(h); err != nil || ok {
			return int(r), ok, err
		}
	}
	s.mem.put(h, uint32(row))
	if s.mem.n >= memLimit {
		return 0, false, s.spill()
	}
	return 0, false, nil
}

func (s *seenSet) spill() error {
	if s.file == nil {
		f, err := os.CreateTemp("", "aivabatch-seen-*")
		if err != nil {
			return err
		}
		// Unlinked at once: the runs vanish with the process, even on kill -9.
		os.Remove(f.Name())
		s.file = f
	}
	keys := make([]uint64, 0, s.mem.n)
	for _, k := range s.mem.keys {
		if k != 0 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	run := seenRun{off: s.size, n: len(keys)}
	w := bufio.NewWriterSize(&offsetWriter{f: s.file, off: s.size}, 64<<10)
	var e [entrySize]byte
	for i, k := range keys {
		if i%sparseStep == 0 {
			run.sparse = append(run.sparse, k)
		}
		binary.LittleEndian.PutUint64(e[:8], k)
		r, _ := s.mem.get(k)
		binary.LittleEndian.PutUint32(e[8:], r)
		if _, err := w.Write(e[:]); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	s.size += int64(len(keys) * entrySize)
	s.runs = append(s.runs, run)
	s.mem.reset()
	return nil
}

func (s *seenSet) lookupRuns(h uint64) (uint32, bool, error) {
	for _, run := range s.runs {
		// The block that can hold h starts at the last sparse key <= h.
		i, found := slices.BinarySearch(run.sparse, h)
		if !found {
			if i == 0 {
				continue
			}
			i--
		}
		start := i * sparseStep
		n := min(sparseStep, run.n-start)
		if cap(s.buf) < n*entrySize {
			s.buf = make([]byte, sparseStep*entrySize)
		}
		b := s.buf[:n*entrySize]
		if _, err := s.file.ReadAt(b, run.off+int64(start*entrySize)); err != nil {
			return 0, false, err
		}
		for j := 0; j < n; j++ {
			k := binary.LittleEndian.Uint64(b[j*entrySize:])
			if k == h {
				return binary.LittleEndian.Uint32(b[j*entrySize+8:]), true, nil
			}
			if k > h {
				break
			}
		}
	}
	return 0, false, nil
}

func (s *seenSet) Close() error {
	if s.file == nil {
		return nil
	}
	err := s.file.Close()
	s.file = nil
	return err
}

type offsetWriter struct {
	f   *os.File
	off int64
}

func (w *offsetWriter) Write(p []byte) (int, error) {
	n, err := w.f.WriteAt(p, w.off)
	w.off += int64(n)
	return n, err
}

// seenTable is an open-addressing hash table of non-zero 64-bit hashes to
// rows: cheaper than a map for this one job, and cleared in one sweep.
type seenTable struct {
	keys []uint64
	rows []uint32
	n    int
	mask uint64
}

func newSeenTable(size int) seenTable {
	return seenTable{keys: make([]uint64, size), rows: make([]uint32, size), mask: uint64(size - 1)}
}

func (t *seenTable) get(h uint64) (uint32, bool) {
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		switch t.keys[i] {
		case h:
			return t.rows[i], true
		case 0:
			return 0, false
		}
	}
}

// put adds h, which must not be there; the table must have a free slot.
func (t *seenTable) put(h uint64, row uint32) {
	i := h & t.mask
	for t.keys[i] != 0 {
		i = (i + 1) & t.mask
	}
	t.keys[i], t.rows[i] = h, row
	t.n++
}

func (t *seenTable) reset() {
	clear(t.keys)
	t.n = 0
}
