package formats

// Peek reads up to n rows of r ahead and returns a reader that yields
// every row of r, the peeked ones first, and closes r. The peeked rows
// are there to look at with Peeked until they are given back. An error
// of r (io.EOF or fatal) met while peeking is given back after them.
func Peek(r RowReader, n int) RowReader {
	p := &peekedReader{RowReader: r}
	for len(p.rows) < n {
		row, err := r.Next()
		if err != nil {
			p.err = err
			break
		}
		p.rows = append(p.rows, row)
	}
	return p
}

// Peeked returns the rows that a reader Peek returned read ahead and has
// not given back yet (nil for any other reader): a caller that needs the
// first rows before the run (a fingerprint) reads them here.
func Peeked(r RowReader) []Row {
	if p, ok := r.(*peekedReader); ok {
		return p.rows
	}
	return nil
}

// peekedReader gives back the rows Peek read ahead, then the rest.
type peekedReader struct {
	RowReader
	rows []Row
	err  error
}

// Next returns the peeked rows first, then reads on.
func (p *peekedReader) Next() (Row, error) {
	if len(p.rows) > 0 {
		row := p.rows[0]
		p.rows = p.rows[1:]
		return row, nil
	}
	if p.err != nil {
		return Row{}, p.err
	}
	return p.RowReader.Next()
}
