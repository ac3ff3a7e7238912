package customer

import "strings"

// CellText is the value of a CSV or TSV cell as import reads it: trimmed, and
// without a leading ', a spreadsheet's text marker. The marker is never
// data in a CSV customer field: it undoes formats.EscapeFormula and the ' that
// Shopify and Excel put before phones, zips and ids ('03235555003,
// '+92 324 607 4596). XLSX and NDJSON cells are only trimmed: there a '
// is data.
func CellText(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "'") {
		s = strings.TrimSpace(s[1:])
	}
	return s
}

// CellValue is the value of an input cell: CellText, or, for
// NDJSON and workbooks (a leading ' is data there, not a text marker),
// the trimmed text.
func CellValue(s string, raw bool) string {
	if raw {
		return strings.TrimSpace(s)
	}
	return CellText(s)
}
