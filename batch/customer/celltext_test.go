package customer

import (
	"strings"
	"testing"

	"aivabatch/formats"
)

// TestEscapeThenCellText: what import reads back from an escaped CSV
// cell is the value with its surrounding whitespace trimmed (as import
// trims every cell), never with a ' of the data taken for a marker.
func TestEscapeThenCellText(t *testing.T) {
	for _, v := range []string{"  '  spaced", "'  spaced", "''x", "'=1", " =1+1", "\t'x", "plain", "  spaced  ", "-x"} {
		if got, want := CellText(formats.EscapeFormula(v)), strings.TrimSpace(v); got != want {
			t.Errorf("CellText(EscapeFormula(%q)) = %q, want %q", v, got, want)
		}
	}
}

// TestReaderHooks: the hooks batch gives the table readers know the
// customer columns by any of their names, and only phone columns are text
// a spreadsheet may have turned into numbers.
func TestReaderHooks(t *testing.T) {
	for _, name := range []string{"Email Address", "First Name", " e-mail ", "createdAt", "_result", "Vorname"} {
		if !KnownColumn(name) {
			t.Errorf("KnownColumn(%q) = false", name)
		}
	}
	for _, name := range []string{"Notes:", "Exported 2024", "Connected On", ""} {
		if KnownColumn(name) {
			t.Errorf("KnownColumn(%q) = true", name)
		}
	}
	if got := TextColumn("Phone Number"); got != "phone numbers" {
		t.Errorf("TextColumn(Phone Number) = %q", got)
	}
	for _, name := range []string{"value", "Customer Id", "zip"} {
		if got := TextColumn(name); got != "" {
			t.Errorf("TextColumn(%q) = %q, want none", name, got)
		}
	}
}

// TestColumnType: an XLSX export types value, autoPayment and the two
// timestamps; every other column, known or not, is text.
func TestColumnType(t *testing.T) {
	want := map[string]formats.ColumnType{
		"value": formats.ColumnNumber, "autoPayment": formats.ColumnBool,
		"createdAt": formats.ColumnTime, "updatedAt": formats.ColumnTime,
		"phone": formats.ColumnText, "loyaltyTier": formats.ColumnText,
	}
	for name, w := range want {
		if got := ColumnType(name); got != w {
			t.Errorf("ColumnType(%q) = %v, want %v", name, got, w)
		}
	}
}
