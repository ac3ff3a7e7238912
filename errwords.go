package main

import (
	"errors"
	"fmt"
	"strings"

	"aivabatch/apiclient"
	"aivabatch/batch"
	"aivabatch/batch/customer"
	"aivabatch/formats"
)

// The library's errors are typed values that name the options they are
// about in words (batch.Option); this file words them for the command
// line, with the flags that set those options. The packages below batch
// name their own options (formats.Option, customer.Option,
// apiclient.Option) through an OptionName hook of the options the
// command line passes them, set to formatsFlag, customerFlag and
// apiclientFlag.

// The flags that set the options the library names; optionFlag and its
// kin look them up, and an option not listed keeps its words.
var (
	batchFlags = map[batch.Option]string{
		batch.OptReport: "--report", batch.OptResume: "--resume", batch.OptUndo: "--undo",
		batch.OptState: "--state", batch.OptMaxErrors: "--max-errors", batch.OptFormat: "--format",
		batch.OptOutput: "-o", batch.OptSkip: "--skip", batch.OptLimit: "--limit",
		batch.OptSettle: "--settle", batch.OptMatchEmail: "--match email",
	}
	// formats.OptListSheets is the command that lists a workbook's sheets.
	formatsFlags = map[formats.Option]string{
		formats.OptFormat: "--format", formats.OptEncoding: "--encoding", formats.OptSheet: "--sheet",
		formats.OptHeaderRow: "--header-row", formats.OptFooterRows: "--footer-rows",
		formats.OptListSheets: "aivabatch validate --list-sheets FILE",
	}
	customerFlags = map[customer.Option]string{
		customer.OptMap: "--map", customer.OptIgnoreUnknown: "--ignore-unknown",
		customer.OptMode: "--mode", customer.OptMatch: "--match",
	}
	apiclientFlags = map[apiclient.Option]string{apiclient.OptMaxWait: "--max-wait"}
)

// flagOf is the flag in flags that sets o, or o in words.
func flagOf[O interface {
	comparable
	fmt.Stringer
}](flags map[O]string, o O) string {
	if f, ok := flags[o]; ok {
		return f
	}
	return o.String()
}

// optionFlag is the flag that sets a batch option.
func optionFlag(o batch.Option) string { return flagOf(batchFlags, o) }

// formatsFlag is the flag that sets a reader option.
func formatsFlag(o formats.Option) string { return flagOf(formatsFlags, o) }

// customerFlag is the flag that sets a mapping or validator option.
func customerFlag(o customer.Option) string { return flagOf(customerFlags, o) }

// apiclientFlag is the flag that sets a client option.
func apiclientFlag(o apiclient.Option) string { return flagOf(apiclientFlags, o) }

// errorText is err's message for the user: err.Error(), with the
// library's typed errors in it worded with flags: batch's (cliWords),
// then a format that could not be told (which batch's may hold, and
// keep in their words). Wrappers around them ("path: …") are kept as
// they are.
func errorText(err error) string {
	text := err.Error()
	if words, typed := cliWords(err); typed != nil {
		text = strings.Replace(text, typed.Error(), words, 1)
	}
	if fe := (*formats.FormatError)(nil); errors.As(err, &fe) {
		text = strings.Replace(text, fe.Error(), fe.Text(formatsFlag), 1)
	}
	return text
}

// cliWords finds the library's typed error in err's chain and words it
// for the command line; typed is nil when err holds none.
func cliWords(err error) (words string, typed error) {
	var (
		fe  *batch.FileError
		be  *batch.BusyError
		ue  *batch.UnfinishedError
		re  *batch.RerunError
		ae  *batch.AbortedError
		noe *batch.NeedsOptionError
		pe  *batch.PathError
		fie *batch.ForeignIDError
	)
	switch {
	case errors.As(err, &fie):
		fix := "--map " + customer.ShellQuote(fie.Column+"=-")
		if !fie.MatchEmail {
			fix += " --match email"
		}
		return fie.Say(fix), fie
	case errors.As(err, &pe):
		return pe.Text(flagPath), pe
	case errors.As(err, &fe):
		return fileErrorWords(fe), fe
	case errors.As(err, &be):
		if be.Option == batch.OptState {
			return be.Say(optionFlag(be.Option) + " " + be.Path), be
		}
		return be.Error(), be
	case errors.As(err, &ue):
		return fmt.Sprintf("the previous run with this report did not finish (%s is there): add --resume to continue it without duplicates, or delete that file to start over", ue.Journal), ue
	case errors.As(err, &re):
		how := "Continue it with --resume (rows already done are skipped), or drop --match none (rows then find their customers by email: existing ones are updated, not created), or write elsewhere with --report"
		if re.Problem == batch.RerunReportUnreadable {
			how += ", or move that report away"
		}
		return re.Finding() + " " + how, re
	case errors.As(err, &ae):
		return abortedWords(ae), ae
	case errors.As(err, &noe):
		if noe.Option == batch.OptFormat {
			return noe.What + " needs --format csv|tsv|xlsx|ndjson", noe
		}
		return noe.What + " needs " + optionFlag(noe.Option), noe
	}
	return "", nil
}

// abortedWords is why a run stopped, with the failure limit and the fix
// worded as flags.
func abortedWords(ae *batch.AbortedError) string {
	return ae.Say(optionFlag, "with --resume")
}

// fileErrorWords words a file the run cannot use, naming the flag that
// pointed at it.
func fileErrorWords(e *batch.FileError) string {
	flag := optionFlag(e.Option)
	switch p := e.Problem; e.Option {
	case batch.OptReport:
		switch p {
		case batch.FileLockFailed:
			return fmt.Sprintf("%v; write the report elsewhere with --report PATH", e.Err)
		case batch.FileUncreatable:
			return fmt.Sprintf("cannot create the report: %v; write it elsewhere with --report PATH", e.Err)
		}
	case batch.OptUndo:
		switch p {
		case batch.FileWrongFormat:
			return fmt.Sprintf("--undo %s: %v", e.Path, e.Err)
		case batch.FileNotAppendable:
			return fmt.Sprintf("--undo %s: the undo file is written row by row as the run goes and appended to by --resume, so it must be .csv, .tsv or .ndjson", e.Path)
		case batch.FileNotOurs:
			return fmt.Sprintf("--undo %s is not an undo file of aivabatch (its first line is not %q), so --resume cannot append to it: give the undo file of the run being resumed, or another path", e.Path, e.Detail)
		}
	case batch.OptState:
		switch p {
		case batch.FileUnreadable:
			return fmt.Sprintf("--state: cannot read %s: %v", e.Path, e.Err)
		case batch.FileNotOurs:
			return fmt.Sprintf("--state: %s is not an aivabatch export state (%v); give another path, or delete it to export everything again", e.Path, e.Err)
		case batch.FileBadWatermark:
			return fmt.Sprintf("--state: %s: watermark %q is not an RFC 3339 time; delete the file to export everything again", e.Path, e.Detail)
		case batch.FileLockFailed:
			return fmt.Sprintf("--state: %v", e.Err)
		}
	case batch.OptResume:
		switch p {
		case batch.FileUnreadable:
			return fmt.Sprintf("--resume: cannot read the previous report %s: %v", e.Path, e.Err)
		case batch.FileNotOurs:
			return fmt.Sprintf("--resume: %s is not an aivabatch report (its first columns are not _row,_result,_customer_id); pass the right --report", e.Path)
		case batch.FileBroken:
			return fmt.Sprintf("--resume: reading %s: %v", e.Path, e.Err)
		}
	}
	return flag + ": " + e.Error()
}

// wordSummary words the summary's reason for stopping as the error line
// does, for the summary record and --summary-json.
func wordSummary(sum *batch.Summary, err error) {
	var ae *batch.AbortedError
	if sum != nil && errors.As(err, &ae) && sum.Aborted == ae.Error() {
		sum.Aborted = abortedWords(ae)
	}
}

// flagPath names a file the library knows by its option as the command
// line does: the flag that moves it ("--report" for the journal too),
// and the undo file and export's output by their flags ("--undo u.csv").
func flagPath(p batch.NamedPath) batch.NamedPath {
	if p.Flag != "" || p.Option == 0 {
		return p
	}
	p.Flag = optionFlag(p.Option)
	if p.Option == batch.OptUndo || p.Option == batch.OptOutput {
		p.Name = p.Flag
	}
	return p
}
