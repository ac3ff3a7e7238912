// The errors the pipelines return: each a type the command line maps to
// an exit code and words for the user.

package batch

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"
)

// InputError is a problem found before any row was processed: unreadable
// file, unusable header, bad option. The CLI exits 2 on it.
type InputError struct{ Err error }

// Error returns the cause's sentence.
func (e *InputError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *InputError) Unwrap() error { return e.Err }

func inputErr(format string, args ...any) error {
	return &InputError{Err: fmt.Errorf(format, args...)}
}

// IsInputError reports whether err is an *InputError.
func IsInputError(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}

// AbortedError says the run stopped part way (403, the failure limit, a
// fatal server condition). The report is still complete. Limit is set
// when the failure limit stopped it; Fix is what to do once the cause is
// fixed, which Error says in words and the command line with its flags.
type AbortedError struct {
	Reason string
	Limit  *FailureLimit
	Fix    Fix
}

// ReadError is an input that turned unreadable after rows were read (a
// damaged workbook, binary data after a good header): the rows before
// were reported, the rest of the input was not read. It is not a failure
// to write the report.
type ReadError struct{ Err error }

// Error names the input and the place.
func (e *ReadError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *ReadError) Unwrap() error { return e.Err }

// IsReadError reports whether err is a *ReadError.
func IsReadError(err error) bool {
	var re *ReadError
	return errors.As(err, &re)
}

// Error returns why the run stopped, and the fix in words.
func (e *AbortedError) Error() string {
	return e.Say(func(o Option) string {
		if o == OptMaxErrors {
			return "the failure limit of"
		}
		return o.String()
	}, "resuming")
}

// Say words why the run stopped: the failure limit as option(OptMaxErrors)
// and its value ("the failure limit of 5", "--max-errors 5"), and the
// FixResume advice as "then run again " + resume.
func (e *AbortedError) Say(option func(Option) string, resume string) string {
	s := e.Reason
	if l := e.Limit; l != nil {
		limit := fmt.Sprintf("%s %d", option(OptMaxErrors), l.Max)
		if l.Max == 0 {
			limit = fmt.Sprintf("%s %g%%", option(OptMaxErrors), l.Percent)
		}
		s = l.Reached(limit) + "; " + s
	}
	if e.Fix == FixResume {
		s += ", then run again " + resume
	}
	return s
}

// NoIDError is a server answer that names a customer without an id: a
// customer of the list, or a 201 to a create. Nothing can be matched to
// such a customer or undone, and a guess could create it again, so the
// run stops.
type NoIDError struct {
	What  string // "the customer list", "the answer to a create"
	Email string // the customer's email, if any
}

// Error says what the server sent and what follows.
func (e *NoIDError) Error() string {
	who := "a customer"
	if e.Email != "" {
		who = fmt.Sprintf("the customer %q", e.Email)
	}
	return fmt.Sprintf("the server sent %s without an id (neither \"id\" nor \"_id\") in %s; the run stops so that no row is matched to it by guess or created a second time: check the API URL and the server", who, e.What)
}

// IsAborted reports whether err is an *AbortedError.
func IsAborted(err error) bool {
	var ae *AbortedError
	return errors.As(err, &ae)
}

// Option is a setting of a run that an error is about or points to as
// its fix. The library says it in words (String); the command line words
// it as its flag, so that no flag name is spelled here and a caller that
// is not the command line gets sentences it can use.
type Option int

// The options errors name.
const (
	OptReport     Option = iota + 1 // where the report (and its journal) is written
	OptResume                       // continue the run at the report path
	OptUndo                         // the undo file
	OptState                        // an incremental export's state file
	OptMaxErrors                    // the failure limit of an import
	OptFormat                       // the input's format, when its name does not tell it
	OptOutput                       // the file an export writes
	OptSkip                         // data rows left out at the start
	OptLimit                        // the most data rows taken
	OptSettle                       // how long a resume waits for creates in flight
	OptMatchEmail                   // rows without an id find their customer by email
)

// String is the option in words.
func (o Option) String() string {
	switch o {
	case OptReport:
		return "the report path"
	case OptResume:
		return "resume"
	case OptUndo:
		return "the undo file"
	case OptState:
		return "the export state"
	case OptMaxErrors:
		return "the failure limit"
	case OptFormat:
		return "the input format"
	case OptOutput:
		return "the output file"
	case OptSkip:
		return "skip"
	case OptLimit:
		return "limit"
	case OptSettle:
		return "settle"
	case OptMatchEmail:
		return "matching by email"
	}
	return fmt.Sprintf("Option(%d)", int(o))
}

// Fix is what an error advises doing next, as a value the command line
// words with its flags.
type Fix int

// The fixes errors advise.
const (
	FixNone   Fix = iota
	FixResume     // run the same command again resuming: rows already done are skipped
)

// FileProblem is why a file the run was pointed at cannot be used.
type FileProblem int

// The problems of a FileError.
const (
	FileUnreadable    FileProblem = iota + 1 // it cannot be opened or read (Err)
	FileBroken                               // reading it failed part way (Err)
	FileNotOurs                              // it is not a file aivabatch wrote for this option (Err, or Detail: the first line wanted)
	FileWrongFormat                          // its name gives no format the option can take (Err)
	FileNotAppendable                        // its format cannot be appended to row by row (gzip, XLSX)
	FileBadWatermark                         // an export state whose watermark is not an RFC 3339 time (Detail)
	FileUncreatable                          // it cannot be created (Err)
	FileLockFailed                           // its lock cannot be taken (Err)
)

// FileError is a file the run was pointed at by Option (the report, the
// undo file, the export state, the report a resume reads) that it cannot
// use: Problem says why, with the facts. Its sentence names the option
// in words; the command line words it with the flag.
type FileError struct {
	Option  Option
	Problem FileProblem
	Path    string // "" when the cause names the file
	Err     error  // the cause, if any
	Detail  string // the undo header wanted; the watermark that is no time
}

// Error says what is wrong with the file, naming the option in words.
func (e *FileError) Error() string {
	what := fileNoun(e.Option)
	switch e.Problem {
	case FileUnreadable:
		return fmt.Sprintf("cannot read %s %s: %v", what, e.Path, e.Err)
	case FileBroken:
		return fmt.Sprintf("reading %s %s: %v", what, e.Path, e.Err)
	case FileNotOurs:
		switch e.Option {
		case OptUndo:
			return fmt.Sprintf("%s %s is not an undo file of aivabatch (its first line is not %q), so a resume cannot append to it: give the undo file of the run being resumed, or another path", what, e.Path, e.Detail)
		case OptState:
			return fmt.Sprintf("%s %s is not an aivabatch export state (%v); give another path, or delete it to export everything again", what, e.Path, e.Err)
		}
		return fmt.Sprintf("%s %s is not an aivabatch report (its first columns are not _row,_result,_customer_id); give the report of the run being resumed", what, e.Path)
	case FileWrongFormat:
		return fmt.Sprintf("%s %s: %v", what, e.Path, e.Err)
	case FileNotAppendable:
		return fmt.Sprintf("%s %s: it is written row by row as the run goes and appended to on resume, so it must be .csv, .tsv or .ndjson", what, e.Path)
	case FileBadWatermark:
		return fmt.Sprintf("%s %s: watermark %q is not an RFC 3339 time; delete the file to export everything again", what, e.Path, e.Detail)
	case FileUncreatable:
		return fmt.Sprintf("cannot create %s: %v; give another path", what, e.Err)
	case FileLockFailed:
		return fmt.Sprintf("%s: %v; give another path", what, e.Err)
	}
	return fmt.Sprintf("%s %s: %v", what, e.Path, e.Err)
}

// Unwrap returns the cause.
func (e *FileError) Unwrap() error { return e.Err }

// fileNoun is the file an option points to, in words.
func fileNoun(o Option) string {
	switch o {
	case OptReport:
		return "the report"
	case OptResume:
		return "the previous report"
	}
	return o.String()
}

// BusyError is a run refused because another holds the lock of the file
// it would write (the report, the export state): Option says which.
type BusyError struct {
	Option Option
	Path   string
	Lock   *LockedError
}

// Error names the other run and the file, and what to do.
func (e *BusyError) Error() string { return e.Say(fileNoun(e.Option) + " " + e.Path) }

// Say is the sentence with the file named as what.
func (e *BusyError) Say(what string) string {
	return fmt.Sprintf("%s is running on %s (lock %s): wait for it to finish, then run again%s", e.Lock.holder(), what, e.Lock.Path, staleHint(e.Lock))
}

// Unwrap returns the lock's error.
func (e *BusyError) Unwrap() error { return e.Lock }

// UnfinishedError is a new run at a report path whose previous run did
// not finish: its journal is still there. Starting over would drop what
// that run confirmed and send its creates again; the fix is FixResume.
type UnfinishedError struct{ Journal string }

// Error says so, and what to do, in words.
func (e *UnfinishedError) Error() string {
	return fmt.Sprintf("the previous run with this report did not finish (%s is there): resume it to continue without duplicates, or delete that file to start over", e.Journal)
}

// RerunProblem is what the re-run guard found.
type RerunProblem int

// The findings of a RerunError.
const (
	RerunRecorded         RerunProblem = iota + 1 // the run record says an earlier run created customers
	RerunInReport                                 // the earlier report says so (no run record)
	RerunRecordUnreadable                         // the run record cannot be read (Err)
	RerunReportUnreadable                         // the earlier report cannot be read to the end (Err)
)

// RerunError is an import refused because it would create again what an
// earlier run at the same report path created (the re-run guard). The
// fixes are resuming, matching rows by email, or another report path.
type RerunError struct {
	Problem  RerunProblem
	Report   string    // the report path
	Runs     string    // the run record beside it
	Finished time.Time // when the earlier run finished (RerunRecorded)
	Created  int       // how many customers it created
	Err      error     // why a file could not be read
}

// Finding is the first sentence: what was found, without the advice.
func (e *RerunError) Finding() string {
	switch e.Problem {
	case RerunRecorded:
		return fmt.Sprintf("an earlier run (%s, recorded in %s) created %d customers from this file; running again would create them again.", e.Finished.Local().Format("2006-01-02 15:04"), e.Runs, e.Created)
	case RerunRecordUnreadable:
		return fmt.Sprintf("cannot read %s to check whether this file was imported already: %v.", e.Runs, e.Err)
	case RerunReportUnreadable:
		return fmt.Sprintf("cannot read the earlier report %s to check whether this file was imported already (%v).", e.Report, e.Err)
	}
	return fmt.Sprintf("%s says an earlier run created %d customers from this file; running again would create them again.", e.Report, e.Created)
}

// Error is the finding and the advice, in words.
func (e *RerunError) Error() string {
	how := "Continue it by resuming (rows already done are skipped), or match rows by email (existing customers are then updated, not created), or write elsewhere (another report path)"
	if e.Problem == RerunReportUnreadable {
		how += ", or move that report away"
	}
	return e.Finding() + " " + how
}

// Unwrap returns why a file could not be read, if any.
func (e *RerunError) Unwrap() error { return e.Err }

// FailureLimit is an import stopped by its failure limit (OptMaxErrors):
// Max rows, or Percent of the rows sent (Max 0), with the final counts.
type FailureLimit struct {
	Max     int
	Percent float64
	Failed  int // rows failed when the run ended
	Sent    int // rows sent
}

// Over is how many rows failed beyond Max: requests already in flight
// when the limit was reached finish, and some fail too.
func (l *FailureLimit) Over() int {
	if l.Max > 0 && l.Failed > l.Max {
		return l.Failed - l.Max
	}
	return 0
}

// Reached says the limit was reached, naming it as limit ("the failure
// limit of 5"; the command line's "--max-errors 5").
func (l *FailureLimit) Reached(limit string) string {
	if l.Max > 0 {
		more := ""
		if n := l.Over(); n > 0 {
			more = fmt.Sprintf(" (%d more than the limit: requests already in flight finished)", n)
		}
		return fmt.Sprintf("%s reached: %d rows failed%s", limit, l.Failed, more)
	}
	return fmt.Sprintf("%s reached: %d of %d rows sent failed", limit, l.Failed, l.Sent)
}

// NeedsOptionError is a run that cannot start without Option set: What
// (reading from stdin) needs it.
type NeedsOptionError struct {
	Option Option
	What   string
}

// Error names what needs which option, in words.
func (e *NeedsOptionError) Error() string {
	if e.Option == OptFormat {
		return e.What + " needs the input format: csv, tsv, xlsx or ndjson"
	}
	return e.What + " needs " + e.Option.String()
}

// PathProblem is why a file of the run cannot be written where it is.
type PathProblem int

// The problems of a PathError.
const (
	PathOverwritesInput PathProblem = iota + 1 // Path is the file Other, which the run reads
	PathSameOutput                             // Path and Other are one file, both written
	PathIsDir                                  // Path is a directory
	PathNotRegular                             // Path is a device, a named pipe (Kind)
	PathUnusable                               // Path or its directory cannot be looked at (Err)
	PathNoDir                                  // Path's directory Dir does not exist
	PathDirNotDir                              // Dir is not a directory
	PathDirUnwritable                          // Dir cannot be written in (Err)
)

// PathError is a file the run would write that it must not or cannot,
// found before anything is written (CheckDistinct, CheckOutputs): Path
// is the one to move. The files this package names carry their Option,
// which Error says in words and the command line as its flag (Text).
type PathError struct {
	Problem PathProblem
	Path    NamedPath
	Other   NamedPath // the file Path is the same as
	Dir     string    // Path's directory
	Kind    string    // what a file that is not regular is ("a named pipe")
	Err     error
}

// Error says what is wrong and which path to change, in words.
func (e *PathError) Error() string {
	return e.Text(func(p NamedPath) NamedPath {
		if p.Flag == "" && p.Option != 0 {
			p.Flag = fileNoun(p.Option)
		}
		return p
	})
}

// Text is the sentence with each file named as name returns it: name
// gives Flag (and Name) to a NamedPath that has only an Option.
func (e *PathError) Text(name func(NamedPath) NamedPath) string {
	p, o := name(e.Path), name(e.Other)
	switch e.Problem {
	case PathOverwritesInput:
		return fmt.Sprintf("%s is the same file as %s: writing it would overwrite %s; give %s another path", p.label(), o.label(), o.Name, p.Flag)
	case PathSameOutput:
		return fmt.Sprintf("%s and %s are the same file: one would overwrite the other; give %s another path", o.label(), p.label(), p.Flag)
	case PathIsDir:
		return fmt.Sprintf("%s is a directory; give a file path such as %s", p.label(), filepath.Join(p.Path, filepath.Base(p.Path)+".csv"))
	case PathNotRegular:
		return fmt.Sprintf("%s is not a regular file (%s): it must be a file the run can write and read back; give a file path", p.label(), e.Kind)
	case PathNoDir:
		return fmt.Sprintf("%s: the directory %s does not exist; create it or give another path with %s", p.label(), e.Dir, p.Flag)
	case PathDirNotDir:
		return fmt.Sprintf("%s: %s is not a directory; give another path with %s", p.label(), e.Dir, p.Flag)
	case PathDirUnwritable:
		return fmt.Sprintf("%s: cannot write in the directory %s (%v); give another path with %s", p.label(), e.Dir, e.Err, p.Flag)
	}
	return fmt.Sprintf("%s: %v", p.label(), e.Err)
}

// Unwrap returns the cause, if any.
func (e *PathError) Unwrap() error { return e.Err }

// ForeignIDError is an import refused before any write because its id
// column holds no ids of the tenant, or few: it is probably another
// system's key. The fix is to ignore the column (map it to nothing) and,
// unless rows already do, to match rows by email.
type ForeignIDError struct {
	Column         string // the column's name in the header
	Found, Checked int    // ids of the tenant among the first ids checked
	MatchEmail     bool   // rows already find their customer by email
}

// Error says what was found and the fix, in words.
func (e *ForeignIDError) Error() string {
	fix := "a map of the column to nothing"
	if !e.MatchEmail {
		fix += " and matching by email"
	}
	return e.Say(fix)
}

// Say is the sentence with the fix named as fix.
func (e *ForeignIDError) Say(fix string) string {
	what := "holds no id of this tenant"
	if e.Found > 0 {
		what = "holds few ids of this tenant"
	}
	return fmt.Sprintf("the column %q %s (%d of the first %d found): it is probably another system's key (Outlook, HubSpot, a CRM); nothing was sent. Ignore it with %s: rows are then matched by email", e.Column, what, e.Found, e.Checked, fix)
}
