package formats

import "strings"

// maxPreambleLines is how many lines (CSV, TSV) or rows (XLSX) after the
// first the readers look at to find a header below a preamble.
const maxPreambleLines = 20

// preamble tells a header from the preamble above it (a title, an export
// date), fed the non-blank lines or rows of a table from its first: the
// first is the header when one of its cells names a known column;
// otherwise the header is the first later line two or more of whose
// cells name known columns (one could be a data cell) with more cells
// than every line before it, which are the preamble. A line naming
// known columns that has no more cells than one before is data: there
// is no preamble, the first line is the header.
type preamble struct {
	known func(string) bool // ReaderOptions.KnownColumn; nil: no preamble
	lines int               // lines judged
	most  int               // the most non-blank cells of a line so far
	first []string          // the first line's non-blank cells, trimmed
}

// next judges the next line's cells: found, it is the header below a
// preamble; stop, there is no preamble (the first line is the header).
// Neither: look at the next line.
func (p *preamble) next(cells []string) (found, stop bool) {
	var texts []string
	named := 0
	for _, c := range cells {
		if c = strings.TrimSpace(c); c != "" {
			texts = append(texts, c)
			if p.known != nil && p.known(c) {
				named++
			}
		}
	}
	p.lines++
	switch {
	case p.lines == 1:
		p.first = texts
		if named > 0 {
			return false, true
		}
	case named > 1:
		return len(texts) > p.most, len(texts) <= p.most
	}
	p.most = max(p.most, len(texts))
	return false, false
}
