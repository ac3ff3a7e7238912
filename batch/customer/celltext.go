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
