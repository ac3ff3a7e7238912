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
	mem   map[uint64]uint32
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
	bloomBits  = 1 << 26 // 8 MiB: ~1e-4 false positives at two million keys
	bloomK     = 5
	memLimit   = 1 << 18
	sparseStep = 128
	entrySize  = 12
)

func newSeenSet() *seenSet {
	return &seenSet{seed: maphash.MakeSeed(), bloom: make([]uint64, bloomBits/64), mem: make(map[uint64]uint32)}
}

// CheckAndAdd returns the first row of key if it was seen before, or
// remembers it with row.
func (s *seenSet) CheckAndAdd(key string, row int) (first int, dup bool, err error) {
	h := maphash.String(s.seed, key)
	h1, h2 := uint32(h), uint32(h>>32)|1
	maybe := true
	for i := uint32(0); i < bloomK; i++ {
		bit := (h1 + i*h2) % bloomBits
		w, m := bit/64, uint64(1)<<(bit%64)
		if s.bloom[w]&m == 0 {
			maybe = false
			s.bloom[w] |= m
		}
	}
	if maybe {
		if r, ok := s.mem[h]; ok {
			return int(r), true, nil
		}
		if r, ok, err := s.lookupRuns(h); err != nil || ok {
			return int(r), ok, err
		}
	}
	s.mem[h] = uint32(row)
	if len(s.mem) >= memLimit {
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
	keys := make([]uint64, 0, len(s.mem))
	for k := range s.mem {
		keys = append(keys, k)
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
		binary.LittleEndian.PutUint32(e[8:], s.mem[k])
		if _, err := w.Write(e[:]); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	s.size += int64(len(keys) * entrySize)
	s.runs = append(s.runs, run)
	clear(s.mem)
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
