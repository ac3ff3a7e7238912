package formats

import (
	"archive/zip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// The shared-strings part of the XLSX reader.

// readSharedStrings loads the shared-string table: the text of each <si>,
// rich-text runs joined, phonetic runs (<rPh>) left out. A string over the
// cell limit is not kept: long maps its index to the error of a cell
// that uses it, so that such a cell is a row error and memory stays
// bounded.
func readSharedStrings(zr *zip.ReadCloser, name string) (sst []string, long map[int]error, err error) {
	f := zipFile(zr, name)
	if f == nil {
		return nil, nil, nil
	}
	if f.UncompressedSize64 > uint64(xlsxMaxStrings) {
		return nil, nil, fmt.Errorf("the workbook's shared strings are larger than %d MiB; save the sheet as CSV instead", xlsxMaxStrings>>20)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, nil, fmt.Errorf("the workbook is damaged: %v", err)
	}
	defer rc.Close()
	lim := newXMLLimitReader(rc)
	dec := xml.NewDecoder(lim)
	var (
		text  []byte
		size  int // bytes of the current string's text, kept or not
		cut   bool
		inSI  bool
		inT   bool
		inRPh int
	)
	for {
		lim.StartToken()
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			return sst, long, nil
		}
		if err != nil {
			// No row can be blamed: the strings are read before the rows.
			return nil, nil, fmt.Errorf("the workbook is damaged: shared strings (the table of cell texts, read before any row): %v; open and save it again in a spreadsheet program, or save the sheet as CSV", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				inSI, text, size, cut = true, text[:0], 0, false
			case "t":
				inT = inSI && inRPh == 0
			case "rPh":
				inRPh++
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "si":
				if size > maxCellBytes || cut {
					if long == nil {
						long = map[int]error{}
					}
					long[len(sst)] = errCellTooLong(size, cut)
					sst = append(sst, "")
				} else {
					sst = append(sst, unescapeXString(string(text)))
				}
				inSI = false
			case "t":
				inT = false
			case "rPh":
				inRPh--
			}
		case xml.CharData:
			if inT {
				cut = cut || lim.Cut()
				if size += len(t); size <= maxCellBytes {
					text = append(text, t...)
				}
			}
		}
	}
}

// unescapeXString decodes the _xHHHH_ escapes that OOXML uses for
// characters XML cannot carry (_x005F_ is a literal underscore).
func unescapeXString(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "_x")
		if i < 0 || i+7 > len(s) || s[i+6] != '_' {
			if i < 0 || i+7 > len(s) {
				b.WriteString(s)
				return b.String()
			}
			b.WriteString(s[:i+2])
			s = s[i+2:]
			continue
		}
		v, err := strconv.ParseUint(s[i+2:i+6], 16, 16)
		if err != nil {
			b.WriteString(s[:i+2])
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		b.WriteRune(rune(v))
		s = s[i+7:]
	}
}
