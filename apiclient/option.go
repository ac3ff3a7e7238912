package apiclient

import "fmt"

// Option is a setting of the client that a message names as its fix.
// The package says it in words (String); a caller names it its own way
// through Options.OptionName (the command line gives its flag,
// "--max-wait"), so that no flag is spelled here.
type Option int

// The options messages name.
const (
	OptMaxWait Option = iota + 1 // the longest Retry-After waited for (Options.MaxWait)
)

// String is the option in words.
func (o Option) String() string {
	if o == OptMaxWait {
		return "MaxWait"
	}
	return fmt.Sprintf("Option(%d)", int(o))
}

// optionName names o in a message as name does (Options.OptionName), or
// in words when name is nil. formats, batch/customer and apiclient each
// have this three-line helper over their own Option type: no package
// they all import is a place for options to live in.
func optionName(name func(Option) string, o Option) string {
	if name != nil {
		return name(o)
	}
	return o.String()
}
