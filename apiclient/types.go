package apiclient

import "encoding/json"

// DefaultBaseURL is the production API.
const DefaultBaseURL = "https://api.web.aivapad.io/api/external/v1"

// Customer is one customer as the API returns it. Fields unknown to this
// client are kept in Extra so that NDJSON exports keep them.
type Customer struct {
	// ObjectID is "_id" when the API sent it as a string (it sends the
	// id again there); any other "_id" stays in Extra. The tags name the
	// API's members for the types that share these fields without
	// Customer's JSON methods (the list's fast path, the sandbox).
	ObjectID    string  `json:"_id"`
	ID          string  `json:"id"`
	FirstName   string  `json:"firstName"`
	LastName    string  `json:"lastName"`
	Name        string  `json:"name"`
	Email       string  `json:"email"`
	Phone       string  `json:"phone"`
	Status      string  `json:"status"`
	Type        string  `json:"type"`
	Value       float64 `json:"value"`
	AutoPayment bool    `json:"autoPayment"`
	Notes       string  `json:"notes,omitempty"`
	CreatedAt   string  `json:"createdAt"` // ISO 8601 UTC, as sent
	UpdatedAt   string  `json:"updatedAt"`

	// Extra holds every other member of the JSON object, in no particular
	// order.
	Extra map[string]json.RawMessage `json:"-"`
}

// Fields is the JSON body of a create or an update: only the members to
// send. Values are string, float64 or bool.
type Fields map[string]any
