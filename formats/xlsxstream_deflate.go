package formats

import (
	"bytes"
	"compress/flate"
	"io"
	"runtime"
)

// parallelDeflate is a zip part compressor that deflates its input in
// independent chunks (compress/flate, each chunk ending with a sync
// flush, as pigz does) on up to a few goroutines while the caller goes on
// producing XML, and writes the compressed chunks to out in order. The
// concatenation is one valid deflate stream; back-references just never
// cross a chunk boundary, which at 1 MiB chunks costs no measurable size.
//
// Only the calling goroutine touches out (and so the zip writer). A
// chunk's goroutine owns nothing but its job, so abandoning the writer
// without Close leaks nothing: in-flight chunks finish and are dropped.
type parallelDeflate struct {
	out     io.Writer
	pool    *deflatePool
	chunk   []byte
	pending []*deflateJob // in flight, oldest first
	err     error
}

// deflatePool holds the jobs (each with its flate.Writer and buffers) of
// one workbook, reused by all its parts.
type deflatePool struct {
	level    int
	inFlight int // most chunks compressed at once; 0: compress inline
	free     []*deflateJob
}

// deflateChunkSize is the uncompressed size of one chunk.
const deflateChunkSize = 1 << 20

// xlsxDeflateWorkers is how many chunks are compressed at once, each on
// its own goroutine; 0 compresses on the caller's goroutine and -1 means
// one per spare processor, at most 3 (the row producer keeps one; level 1
// deflates ~400 MB/s a core). A variable so that tests can set it.
var xlsxDeflateWorkers = -1

func newDeflatePool(level int) *deflatePool {
	n := xlsxDeflateWorkers
	if n < 0 {
		n = min(runtime.GOMAXPROCS(0)-1, 3)
	}
	return &deflatePool{level: level, inFlight: n}
}

type deflateJob struct {
	in   []byte
	out  bytes.Buffer
	fw   *flate.Writer
	done chan struct{}
	err  error
}

func (p *deflatePool) get() (*deflateJob, error) {
	if n := len(p.free); n > 0 {
		j := p.free[n-1]
		p.free = p.free[:n-1]
		return j, nil
	}
	j := &deflateJob{in: make([]byte, 0, deflateChunkSize+xlsxFlushSize)}
	var err error
	j.fw, err = flate.NewWriter(&j.out, p.level)
	return j, err
}

func (p *deflatePool) newWriter(out io.Writer) *parallelDeflate {
	d := &parallelDeflate{out: out, pool: p}
	return d
}

// run compresses j.in into j.out and ends with a sync flush, so that the
// next chunk's output can follow it.
func (j *deflateJob) run() {
	j.out.Reset()
	j.fw.Reset(&j.out)
	if _, err := j.fw.Write(j.in); err != nil {
		j.err = err
	} else {
		j.err = j.fw.Flush()
	}
	if j.done != nil {
		close(j.done)
	}
}

func (d *parallelDeflate) Write(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	n := len(p)
	for len(p) > 0 {
		if d.chunk == nil {
			j, err := d.pool.get()
			if err != nil {
				d.err = err
				return 0, err
			}
			d.pending = append(d.pending, j)
			d.chunk = j.in[:0]
		}
		k := min(len(p), deflateChunkSize-len(d.chunk))
		d.chunk = append(d.chunk, p[:k]...)
		p = p[k:]
		if len(d.chunk) >= deflateChunkSize {
			if err := d.dispatch(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

// dispatch starts compressing the filled chunk (the last pending job),
// first writing out the oldest chunks while too many are in flight.
func (d *parallelDeflate) dispatch() error {
	j := d.pending[len(d.pending)-1]
	j.in, d.chunk = d.chunk, nil
	if d.pool.inFlight <= 0 {
		j.run()
		return d.collect(len(d.pending))
	}
	if err := d.collect(len(d.pending) - d.pool.inFlight); err != nil {
		return err
	}
	j.done = make(chan struct{})
	go j.run()
	return nil
}

// collect writes out the oldest n finished (or waited for) chunks.
func (d *parallelDeflate) collect(n int) error {
	for ; n > 0 && len(d.pending) > 0; n-- {
		j := d.pending[0]
		if j.done != nil {
			<-j.done
			j.done = nil
		}
		d.pending = d.pending[1:]
		if d.err == nil {
			d.err = j.err
		}
		if d.err == nil {
			_, d.err = d.out.Write(j.out.Bytes())
		}
		j.in = j.in[:0]
		d.pool.free = append(d.pool.free, j)
	}
	return d.err
}

// finalBlock is an empty final deflate block (fixed Huffman, end of
// block), which ends the stream after the last sync-flushed chunk.
var finalBlock = []byte{0x03, 0x00}

// Close compresses what is left, writes all chunks in order and ends the
// stream. It waits for every chunk even after an error.
func (d *parallelDeflate) Close() error {
	if d.chunk != nil {
		if len(d.chunk) == 0 {
			// A job was taken for nothing: give it back.
			j := d.pending[len(d.pending)-1]
			d.pending = d.pending[:len(d.pending)-1]
			d.pool.free = append(d.pool.free, j)
			d.chunk = nil
		} else if err := d.dispatch(); err != nil && d.err == nil {
			d.err = err
		}
	}
	if err := d.collect(len(d.pending)); err != nil {
		return err
	}
	_, d.err = d.out.Write(finalBlock)
	return d.err
}
