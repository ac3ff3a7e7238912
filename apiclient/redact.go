package apiclient

import (
	"regexp"
	"strings"
)

// tokenShape matches a word shaped like an Aivapad token: aiva_ and a
// run of at least 12 letters, digits, _ or -. What follows it (a dot
// and more, as in a host name or a file name) is not part of the match:
// the token is hidden, the rest is shown.
var tokenShape = regexp.MustCompile(`aiva_[A-Za-z0-9_-]{12,}`)

// TokenHidden replaces a token-shaped word in a message.
const TokenHidden = "aiva_…(hidden)"

// RedactTokens hides every token-shaped word of s: for every message,
// report cell and summary that may echo what a user typed or pasted (a
// token given where a path or a URL goes, a token pasted into a cell, a
// server that echoes the Authorization header).
func RedactTokens(s string) string {
	if !strings.Contains(s, "aiva_") {
		return s
	}
	return tokenShape.ReplaceAllLiteralString(s, TokenHidden)
}
