package customer

import (
	"encoding/json"
	"strconv"

	"aivabatch/apiclient"
	"aivabatch/formats"
)

// FieldText renders a customer's field as text, the one accessor of
// import's plan (the values a row is compared with) and export (the
// cells): false for a name that is no field of the customer object.
func FieldText(c *apiclient.Customer, name string) (string, bool) {
	switch name {
	case "id", "_id":
		return c.ID, true
	case "firstName":
		return c.FirstName, true
	case "lastName":
		return c.LastName, true
	case "name":
		return c.Name, true
	case "email":
		return c.Email, true
	case "phone":
		return c.Phone, true
	case "status":
		return c.Status, true
	case "type":
		return c.Type, true
	case "value":
		return strconv.FormatFloat(c.Value, 'f', -1, 64), true
	case "autoPayment":
		return strconv.FormatBool(c.AutoPayment), true
	case "notes":
		return c.Notes, true
	case "createdAt":
		return c.CreatedAt, true
	case "updatedAt":
		return c.UpdatedAt, true
	}
	return "", false
}

// Cell renders one column of a customer as an export writes it: a field
// (FieldText), else a field the API returned beyond the known ones (a
// string as it is, null as "", anything else as its JSON).
func Cell(c *apiclient.Customer, col string) string {
	if v, ok := FieldText(c, col); ok {
		return v
	}
	raw, ok := c.Extra[col]
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	if string(raw) == "null" {
		return ""
	}
	return string(raw)
}

// ColumnType is how an XLSX export types the column of a customer field:
// value a number, autoPayment a boolean, createdAt and updatedAt dates;
// every other column is text.
func ColumnType(name string) formats.ColumnType {
	switch name {
	case string(FieldValue):
		return formats.ColumnNumber
	case string(FieldAutoPayment):
		return formats.ColumnBool
	case "createdAt", "updatedAt":
		return formats.ColumnTime
	}
	return formats.ColumnText
}
