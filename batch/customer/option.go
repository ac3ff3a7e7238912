package customer

import "fmt"

// Option is a setting of the mapping or of the row validator that a
// message names as its fix ("ignore all of them with ignore unknown").
// The package says it in words (String); a caller names it its own way
// through MapOptions.OptionName and ValidatorOptions.OptionName (the
// command line gives its flags, "--ignore-unknown"), so that no flag is
// spelled here.
type Option int

// The options the messages name. Those that take a value are followed
// by it in the sentence, shell-quoted where it may need it: OptMap by
// "Column=field", OptMode by an action, OptMatch by "email" or "none".
const (
	OptMap           Option = iota + 1 // a column's field (MapOptions.Map), with "Column=field"
	OptIgnoreUnknown                   // ignoring unknown columns (MapOptions.IgnoreUnknown)
	OptMode                            // the default action (ValidatorOptions.Mode), with an action
	OptMatch                           // how a row without an id finds its customer (ValidatorOptions.MatchEmail), with "email" or "none"
)

// String is the option in words.
func (o Option) String() string {
	switch o {
	case OptMap:
		return "map"
	case OptIgnoreUnknown:
		return "ignore unknown"
	case OptMode:
		return "mode"
	case OptMatch:
		return "match"
	}
	return fmt.Sprintf("Option(%d)", int(o))
}

// optionName names o in a message as name does (an OptionName hook), or
// in words when name is nil. formats, batch/customer and apiclient each
// have this three-line helper over their own Option type: no package
// they all import is a place for options to live in.
func optionName(name func(Option) string, o Option) string {
	if name != nil {
		return name(o)
	}
	return o.String()
}
