package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"aivabatch/batch/customer"
)

var errHelp = errors.New("help shown")

// command is one run of a subcommand: its flag set, with the help text
// of its Command.
type command struct {
	*Command
	fs    *flag.FlagSet
	stdio *IO
	// aliases maps a long flag name to the short one it repeats
	// (output → o): help shows them on one line.
	aliases map[string]string
	// tables are the job file keys read by the command rather than set
	// as a flag ([values.FIELD], [rules]).
	tables map[string]jobTable
}

// flags starts the flag set of a run of cmd. The flag set only holds the
// flags: parse reads the command line (the flag package's own parsing,
// messages and usage dump are not used).
func (cmd *Command) flags(o *IO) *command {
	fs := flag.NewFlagSet(cmd.Name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &command{Command: cmd, fs: fs, stdio: o}
}

// dashed is a flag's name as the user types it: -o, --sandbox.
func dashed(name string) string {
	if utf8.RuneCountInString(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// alias registers long as another name of the string flag short.
func (c *command) alias(p *string, long, short string) {
	c.fs.StringVar(p, long, c.fs.Lookup(short).DefValue, "same as "+dashed(short))
	if c.aliases == nil {
		c.aliases = map[string]string{}
	}
	c.aliases[long] = short
}

// printHelp writes the command's usage, flags and example to w.
func (c *command) printHelp(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s\n", c.UsageLine)
	longOf := map[string]string{}
	for long, short := range c.aliases {
		longOf[short] = long
	}
	first := true
	c.fs.VisitAll(func(f *flag.Flag) {
		if _, ok := c.aliases[f.Name]; ok {
			return
		}
		if first {
			fmt.Fprint(w, "\nFlags:\n")
			first = false
		}
		arg, usage := flag.UnquoteUsage(f)
		if arg == "value" {
			arg = "string"
		}
		line := "  " + dashed(f.Name)
		if long, ok := longOf[f.Name]; ok {
			line += ", " + dashed(long)
		}
		if arg != "" {
			line += " " + arg
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "-" {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "%s\n      %s\n", line, usage)
	})
	fmt.Fprintf(w, "\nExample:\n%s\n", c.Long)
}

// name is "aivabatch import".
func (c *command) name() string { return "aivabatch " + c.Name }

// flagArg is one flag of a command line, as scanned.
type flagArg struct {
	name  string
	value string
	// set says the value was written name=value; a flag other than a
	// bool one takes the next argument otherwise.
	set bool
	// missing says the flag needs a value and none followed.
	missing bool
	// help is -h or --help (when the command defines no such flag).
	help bool
	// bad is an argument of bad syntax (---x, -=x).
	bad string
}

// scan splits a command line into flags and positional arguments with
// the flag package's syntax (-name, --name, -name=value, -name value
// for a flag that is not a bool, "--" ends the flags, "-" is an
// argument), but reads on past positional arguments, which users put
// first (aivabatch validate FILE --map …). It only looks each name up:
// the values are set by parse, after --log-format and --job, so every
// flag of the line is known before any is refused.
func (c *command) scan(args []string) (flags []flagArg, pos []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return flags, append(pos, args[i+1:]...)
		}
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			continue
		}
		name := strings.TrimPrefix(a[1:], "-")
		if name == "" || name[0] == '-' || name[0] == '=' {
			flags = append(flags, flagArg{bad: a})
			continue
		}
		fa := flagArg{name: name}
		if n, v, ok := strings.Cut(name, "="); ok {
			fa.name, fa.value, fa.set = n, v, true
		}
		f := c.fs.Lookup(fa.name)
		switch {
		case f == nil:
			fa.help = fa.name == "h" || fa.name == "help"
		case isBool(f) || fa.set:
		case i+1 < len(args):
			i++
			fa.value, fa.set = args[i], true
		default:
			fa.missing = true
		}
		flags = append(flags, fa)
	}
	return flags, pos
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// parse reads the command line: --log-format first, so that every
// error comes out in the format asked for; then the job file of --job,
// unless help was asked for (help comes even when the job file is
// broken); then the line's flags in order, so that they win over the
// job file's. --help prints the help to stdout and returns errHelp. It
// returns the positional arguments.
func (c *command) parse(args []string) ([]string, error) {
	flags, pos := c.scan(args)
	help := false
	for _, fa := range flags {
		help = help || fa.help
		if fa.name == logFormatFlag && fa.set && c.fs.Lookup(logFormatFlag) != nil {
			_ = c.fs.Set(logFormatFlag, fa.value) // a bad value is refused below
		}
	}
	if !help {
		if err := c.applyJob(flags); err != nil {
			return nil, err
		}
	}
	for _, fa := range flags {
		if err := c.setFlag(fa); err != nil {
			return nil, err
		}
	}
	return pos, nil
}

// setFlag sets one flag of the command line, or says in one line what
// is wrong with it, naming the flag as the user types it and where the
// flags are listed.
func (c *command) setFlag(fa flagArg) error {
	hint := fmt.Sprintf("(%s --help lists the flags)", c.name())
	f := c.fs.Lookup(fa.name)
	switch {
	case fa.bad != "":
		return usagef("bad flag syntax: %s %s", fa.bad, hint)
	case fa.help:
		c.printHelp(c.stdio.Out)
		return errHelp
	case f == nil:
		if best := closestFlag(c.fs, fa.name); best != "" {
			return usagef("unknown flag %s; did you mean %s? %s", dashed(fa.name), dashed(best), hint)
		}
		return usagef("unknown flag %s %s", dashed(fa.name), hint)
	case fa.missing:
		return usagef("%s needs a value %s", dashed(fa.name), hint)
	case isBool(f) && !fa.set:
		fa.value = "true"
	}
	err := c.fs.Set(fa.name, fa.value)
	switch {
	case err == nil:
		return nil
	case isBool(f):
		return usagef("%s=%s: want true or false (or leave the value out) %s", dashed(fa.name), fa.value, hint)
	}
	want := err.Error() // a flag's own Value says what it takes
	switch arg, _ := flag.UnquoteUsage(f); arg {
	case "int":
		want = "a whole number"
	case "float":
		want = "a number"
	case "duration":
		want = "a duration such as 500ms, 30s or 2m"
	}
	return usagef("%s %s: want %s %s", dashed(fa.name), strconv.Quote(fa.value), want, hint)
}

// flagSet reports whether the flag was given (on the command line or
// in the job file).
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// closestFlag is the defined flag nearest to name (see closestWord), or "".
func closestFlag(fs *flag.FlagSet, name string) string {
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	return closestWord(names, name)
}

// closestWord is the word nearest to w, at an edit distance of at most a
// third of its length (at least 2), or "".
func closestWord(words []string, w string) string {
	return nearest(words, w, max(2, utf8.RuneCountInString(w)/3)+1)
}

// nearest is the first of words at the least edit distance from w, if
// that is below limit, or "".
func nearest(words []string, w string, limit int) string {
	best, bestD := "", limit
	for _, c := range words {
		if d := customer.EditDistance(strings.ToLower(w), c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ", ") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }
