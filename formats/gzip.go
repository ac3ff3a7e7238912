package formats

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// IsGzip reports whether path names a gzip-compressed file (.gz, in any
// case): its format is that of the name without .gz (x.csv.gz is CSV),
// read and written through compress/gzip.
func IsGzip(path string) bool { return strings.EqualFold(filepath.Ext(path), ".gz") }

// SplitExt splits path into its stem and its format extension, a .gz
// included: "dir/x.csv.gz" is "dir/x" and ".csv.gz", "x.csv" is "x" and
// ".csv", so that names derived from an input keep its compression.
func SplitExt(path string) (stem, ext string) {
	ext = filepath.Ext(path)
	if IsGzip(path) {
		inner := strings.TrimSuffix(path, ext)
		ext = filepath.Ext(inner) + ext
	}
	return strings.TrimSuffix(path, ext), ext
}

// detectGzip is DetectFormat for a .gz path: the format of the inner name.
func detectGzip(path string) (string, error) {
	inner := strings.TrimSuffix(path, filepath.Ext(path))
	switch strings.ToLower(filepath.Ext(inner)) {
	case ".csv", ".tsv", ".ndjson", ".jsonl":
		return DetectFormat(inner)
	case ".xlsx":
		return "", fmt.Errorf("%s is a gzip-compressed workbook; an XLSX file is compressed already (it is a zip archive): gunzip it and give the .xlsx", path)
	}
	return "", &FormatError{Problem: FormatUnknownInGzip, Path: path}
}

// gzipFile reads a gzip-compressed file as the text it holds. It can be
// rewound (Seek(0, io.SeekStart)) for the NDJSON pre-scan.
type gzipFile struct {
	path string
	f    *os.File
	zr   *gzip.Reader
	line int // lines read so far, for the message of a broken stream
}

// openGzip opens path and reads the whole gzip stream once before any
// row is read: a truncated or corrupt stream (io.ErrUnexpectedEOF, a bad
// checksum) is then an input error naming the file and the line it
// breaks off after, found before anything was sent, never a short read.
// Decompressing costs far less than the run; reading twice is the price
// of knowing the file is whole.
func openGzip(path string) (*gzipFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, openError(path, err)
	}
	g := &gzipFile{path: path, f: f}
	if err := g.rewind(); err != nil {
		f.Close()
		return nil, err
	}
	buf := make([]byte, 256<<10)
	for {
		n, err := g.Read(buf)
		g.line += bytes.Count(buf[:n], []byte{'\n'})
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			f.Close()
			return nil, err
		}
	}
	if err := g.rewind(); err != nil {
		f.Close()
		return nil, err
	}
	return g, nil
}

func (g *gzipFile) rewind() error {
	if _, err := g.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("cannot read %s: %v", g.path, err)
	}
	g.line = 0
	var err error
	if g.zr == nil {
		g.zr, err = gzip.NewReader(g.f)
	} else {
		err = g.zr.Reset(g.f)
	}
	if err != nil {
		return g.broken(err)
	}
	return nil
}

// broken says what is wrong with the stream, naming the file and how far
// it could be read.
func (g *gzipFile) broken(err error) error {
	switch {
	case errors.Is(err, gzip.ErrHeader) && g.line == 0:
		return fmt.Errorf("%s is not gzip data, although its name ends in .gz (%v); rename it without .gz if it is plain text", g.path, err)
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return fmt.Errorf("%s is truncated: the gzip stream breaks off after line %d (%v); copy or download the file again", g.path, g.line, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("%s is corrupt: the gzip stream cannot be read after line %d (%v); copy or download the file again", g.path, g.line, err)
}

// Read reads decompressed bytes; a broken stream is an error, never EOF.
func (g *gzipFile) Read(p []byte) (int, error) {
	n, err := g.zr.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		return n, g.broken(err)
	}
	return n, err
}

// Seek supports only rewinding to the start.
func (g *gzipFile) Seek(offset int64, whence int) (int64, error) {
	if offset != 0 || whence != io.SeekStart {
		return 0, errors.New("a gzip stream can only be read again from the start")
	}
	return 0, g.rewind()
}

// Close closes the file.
func (g *gzipFile) Close() error {
	g.zr.Close()
	return g.f.Close()
}

// openText opens a text input file, decompressing a .gz.
func openTextFile(path string) (io.ReadSeekCloser, error) {
	if IsGzip(path) {
		return openGzip(path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, openError(path, err)
	}
	return f, nil
}

// Compress wraps w in a gzip writer when path ends in .gz (else it
// returns w). finish must be called after the last write and before w is
// closed: it ends the gzip stream (w itself is not closed).
func Compress(path string, w io.Writer) (out io.Writer, finish func() error) {
	if !IsGzip(path) {
		return w, func() error { return nil }
	}
	zw := gzip.NewWriter(w)
	return zw, zw.Close
}
