package main

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"

	"aivabatch/batch"
)

// A Command is one subcommand: its help texts and what runs it.
type Command struct {
	Name string
	// Args are its arguments in the list of aivabatch --help: "FILE".
	Args string
	// Short is its line in aivabatch --help.
	Short string
	// UsageLine is the first line of its --help.
	UsageLine string
	// Long is the examples that end its --help.
	Long string
	// Run parses the command line after the name (the command's own
	// flags, registered by its parse function: the flags → options
	// layer that cmd_options_test.go tests) and runs the command. A
	// summary, when the command makes one, decides the exit code with
	// the error.
	Run func(ctx context.Context, cmd *Command, stdio *IO, args []string) (*batch.Summary, error)
}

// commands is every subcommand, in the order aivabatch --help lists them.
var commands = []*Command{
	{
		Name: "import", Args: "FILE", Short: `create/update/delete customers from FILE ("-" = stdin, needs --format)`,
		UsageLine: "aivabatch import FILE [flags]", Long: importExample, Run: runImport,
	},
	{
		Name: "validate", Args: "FILE", Short: "offline dry run: parse and validate only, never touches the network",
		UsageLine: "aivabatch validate FILE [flags]", Long: validateExample, Run: runValidate,
	},
	{
		Name: "check", Args: "FILE", Short: "compare the tenant with FILE as import reads it, writing nothing",
		UsageLine: "aivabatch check FILE [flags]", Long: checkExample, Run: runCheck,
	},
	{
		Name: "export", Short: "list customers into a CSV, XLSX or NDJSON file",
		UsageLine: "aivabatch export [-o FILE] [flags]", Long: exportExample, Run: runExport,
	},
	{
		Name: "sandbox", Short: "run a local emulator of the Customers API",
		UsageLine: "aivabatch sandbox [flags]", Long: sandboxExample, Run: runSandbox,
	},
	{
		Name: "version", UsageLine: "aivabatch version",
		Long: "  aivabatch version\n  Prints the version, the commit and the Go version of this build (also aivabatch --version).",
		Run:  runVersion,
	},
}

// lookupCommand is the command of that name, or nil.
func lookupCommand(name string) *Command {
	for _, c := range commands {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// topUsage is aivabatch --help.
func topUsage() string {
	var b strings.Builder
	b.WriteString("aivabatch moves customer records between files and the Aivapad Customers API.\n\nUsage:\n")
	for _, c := range commands {
		line := strings.TrimSpace("aivabatch " + c.Name + " " + c.Args)
		if c.Short != "" {
			line = fmt.Sprintf("%-26s %s", line, c.Short)
		}
		fmt.Fprintf(&b, "  %s\n", line)
	}
	b.WriteString("\nRun \"aivabatch COMMAND --help\" for a command's flags and an example.\n")
	return b.String()
}

// unknownCommand says that name is no command, and which one is close.
func unknownCommand(stdio *IO, name string) int {
	name = redactTokens(name)
	if strings.HasPrefix(name, "-") {
		fmt.Fprintf(stdio.ErrOut, "aivabatch: %s before a command; flags go after it, e.g. aivabatch import FILE %s (aivabatch --help lists the commands)\n", name, name)
		return exitInput
	}
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.Name
	}
	if best := closestWord(names, name); best != "" {
		fmt.Fprintf(stdio.ErrOut, "aivabatch: unknown command %q; did you mean %s? (aivabatch --help lists the commands)\n", name, best)
		return exitInput
	}
	fmt.Fprintf(stdio.ErrOut, "aivabatch: unknown command %q (aivabatch --help lists the commands)\n", name)
	return exitInput
}

func runVersion(_ context.Context, cmd *Command, stdio *IO, args []string) (*batch.Summary, error) {
	pos, err := cmd.flags(stdio).parse(args)
	if err != nil {
		return nil, err
	}
	if len(pos) > 0 {
		return nil, usagef("version takes no arguments")
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	fmt.Fprintln(stdio.Out, "aivabatch", versionString(version, bi))
	return nil, nil
}

// versionString says which build this is: the -ldflags version when
// set, else the module version from the build info, with the VCS
// revision and time that go build stamps. "dev" only when nothing is
// known (bi nil, or no version and no revision).
func versionString(ldflags string, bi *debug.BuildInfo) string {
	v := ldflags
	if v == "dev" {
		v = ""
	}
	var rev, at string
	modified := false
	if bi != nil {
		if v == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if v == "" && rev == "" {
		v = "dev"
		if bi != nil && bi.GoVersion != "" {
			v += " (" + bi.GoVersion + ", no version or VCS information in this build)"
		}
		return v
	}
	if v == "" {
		v = "devel"
	}
	var extra []string
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if modified {
			rev += "+modified"
		}
		extra = append(extra, "commit "+rev)
	}
	if at != "" {
		extra = append(extra, at)
	}
	if bi != nil && bi.GoVersion != "" {
		extra = append(extra, bi.GoVersion)
	}
	if len(extra) > 0 {
		v += " (" + strings.Join(extra, ", ") + ")"
	}
	return v
}
