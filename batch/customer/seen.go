package customer

import (
	"bufio"
	"encoding/binary"
	"hash/maphash"
	"io"
	"os"
	"slices"
)

// seenSet remembers keys (emails, ids) with the first row that had them.
// Recent keys sit in a map; past memLimit they are spilled to sorted runs
// in an unlinked temporary file, and a Bloom filter (allocated at the
// first spill, so a small file never pays for it) answers "never seen"
// for almost every new key without reading the file. Memory is the map's
// for a small file and stays bounded for a huge one.
//
// Keys are compared by a 64-bit hash; two different keys colliding (about
// one chance in 10^7 for a ten-million-row file) would be reported as a
// duplicate.
type seenSet struct {
	seed  maphash.Seed
	mem   map[uint64]uint32
	bloom []uint64
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
	memLimit   = 1 << 17 // keys held in the map before a spill (~5 MiB)
	sparseStep = 128
	entrySize  = 12
)

func newSeenSet() *seenSet {
	return &seenSet{seed: maphash.MakeSeed(), mem: make(map[uint64]uint32)}
}

// CheckAndAdd returns the first row of key (of this kind: 'e' email,
// 'i' id) if it was seen before, or remembers it with row.
func (s *seenSet) CheckAndAdd(kind byte, key string, row int) (first int, dup bool, err error) {
	return s.checkAndAddHash(s.hash(kind, key), row)
}

// hash is the key's 64-bit hash.
func (s *seenSet) hash(kind byte, key string) uint64 {
	return maphash.String(s.seed, key) ^ uint64(kind)*0x9e3779b97f4a7c15
}

// bloomBits are h's bits in its filter word.
func bloomBits(h uint64) uint64 {
	var m uint64
	for i := range bloomK {
		m |= 1 << ((h >> (6 * i)) & 63)
	}
	return m
}

func (s *seenSet) checkAndAddHash(h uint64, row int) (first int, dup bool, err error) {
	if r, ok := s.mem[h]; ok {
		return int(r), true, nil
	}
	if s.bloom != nil {
		if m := bloomBits(h); s.bloom[(h>>32)%bloomWords]&m == m {
			if r, ok, err := s.lookupRuns(h); err != nil || ok {
				return int(r), ok, err
			}
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
	if s.bloom == nil {
		s.bloom = make([]uint64, bloomWords)
	}
	keys := make([]uint64, 0, len(s.mem))
	for k := range s.mem {
		keys = append(keys, k)
		s.bloom[(k>>32)%bloomWords] |= bloomBits(k)
	}
	slices.Sort(keys)
	run := seenRun{off: s.size, n: len(keys)}
	w := bufio.NewWriterSize(io.NewOffsetWriter(s.file, s.size), 64<<10)
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
