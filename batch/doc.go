// Package batch runs aivabatch's pipelines over the Customers API: Import,
// Validate (the offline subset) and Export. It never reads flags, prints
// or exits: it returns a *Summary and typed errors (see Errors), and the
// command line words them.
//
// # The pipelines
//
//	import:   input ─▶ validate ─▶ plan ─▶ send (N workers) ─▶ report
//	           │          │          │        │                  │
//	       read+map   row rules   tenant   rate-limited      in input order,
//	      (formats,   + dups      index    API calls         journal, undo
//	       customer)
//
//	validate: input ─▶ validate ─▶ report           (no network)
//	check:    list once; input ─▶ validate ─▶ compare ─▶ report (no write)
//	export:   list (streamed) ─▶ filter ─▶ writer ─▶ atomic rename
//
// Import lists the tenant once before anything is written (to match rows
// by email, the default; to check an id column; for --undo, --dry-run and
// --resume) into an index kept in an unlinked temporary file. A producer
// reads, validates and plans rows in order; rows that need a call go to
// the workers, which share the client's limiter; one goroutine owns the
// report and writes rows in input order through a bounded window, so
// memory stays flat however long the file.
//
// # Never a customer twice
//
// Every create is journaled as an intent before it is sent, and every
// outcome as soon as a worker knows it. A create whose answer is lost is
// in doubt: it is looked up by email in a fresh list (batched, see
// reconcile.go) before it is ever sent again. A kernel lock beside the
// report keeps a second run off it. A resume finds a row's previous
// outcome by the row's key (id, else email, else a hash of its cells), so
// sorting or editing the file between runs cannot send one row's data to
// another row's customer.
//
// # Layout
//
//	formats          table I/O: CSV, TSV, XLSX, NDJSON, gzip; peeking; atomic files
//	batch/customer   the customer vocabulary: fields, aliases, header mapping, row rules,
//	                 Record, the duplicate set, cell text
//	batch            the pipelines (this package)
//	apiclient        the Customers API client and its rate limiter
//
// This package's files follow the stages: input.go (open and map),
// validate.go (the validate pipeline), index.go (the tenant listed once),
// plan.go (what a row will do), import.go (Import: producer, workers,
// the report goroutine), send.go (a row's calls and its journal lines),
// reconcile.go and backlog.go (lost answers), report.go (the report
// file), journal.go, resume.go, undo.go, runs.go, lock*.go, durable.go,
// paths.go; mirror.go (--delete-missing: the deletes after the rows)
// and check.go (Check); export.go and exportstate.go; results.go (Result, Outcome,
// Summary) and errors.go (the error types the command line words).
//
// # The journal and resume
//
// Before any create, update or delete leaves, the row's intent is written
// to the journal and handed to the operating system, so a kill -9 a
// microsecond later cannot lose it; outcomes are appended as workers learn
// them and flushed at least twice a second. A resume waits until the
// interrupted run's last journal write is --settle old (default: that
// run's --timeout, which the journal records), because a server keeps
// working on a request whose client died; then every create without a
// confirmed outcome (in doubt, or with no intent: a journal cut short
// loses intents too) is looked up by email. In-doubt updates and deletes
// need no wait (sending them twice is harmless). A journal line that
// cannot be read is skipped with a warning, and the resume waits as if
// creates were in flight (for the longest --timeout the journal records);
// a run that appends to a journal whose last line is torn ends that line
// first. A journal written before row keys existed is read by cells.
//
// During a run, creates whose answer was lost are settled without holding
// up the run (reconcile.go): one list serves every row waiting, at most
// once every 30 s, sooner when 1,000 rows wait or the last row was sent;
// after a list that took d (the list at start counts) the next waits
// 20·d unless 10,000 rows wait, so listing takes about a twentieth of the
// run at most. Rows the report cannot
// write yet (it keeps input order) wait in an unlinked temporary file
// (backlog.go).
//
// # What survives what
//
// A file handed to the OS survives a kill -9; only a file synced to the
// disk, and the directory entry naming it, survive a power cut. The
// report, the run record (.runs) and the undo file are synced, file then
// directory, before the journal is removed (durable.go): a finished run is
// either still resumable or completely recorded. The undo line of a row is
// written before its outcome goes to the journal, and the undo file is
// handed to the OS before every journal flush, so every change the journal
// knows is in the undo file; an undo file that cannot be written stops the
// run. Export's file and --state are written to a temporary file, synced
// and renamed into place.
//
// # The re-run guard
//
// Every finished import appends a line to <report>.runs (when, the input,
// a fingerprint of its header and first 20 rows, the counts). Under
// --match none, a new run without --resume at that report path stops when
// an earlier one created customers: for a named file any earlier run
// counts; for stdin only one that read the same header and first rows.
// Without a record the report is read, and a report that cannot be read to
// the end refuses too, rather than guess.
//
// # Other choices
//
// Duplicates within a file are found with memory that does not grow with
// the file (seen.go): a fixed 8 MiB Bloom filter, a bounded map, and
// sorted runs spilled to an unlinked temporary file. A --max-errors N% is
// a share of the rows sent so far, checked once at least 20 were sent. A
// list cut off part way is listed again from the start: import within
// --retries, export to a file once (stdout cannot take rows back, so it
// fails). An incremental export's watermark is the largest updatedAt it
// exported, never the clock; since timestamps have millisecond resolution,
// the state also keeps the customers exported at exactly the watermark, by
// id and a hash of what was written, and exports them again only when new
// or changed (exportstate.go).
//
// # Overwrite policies
//
// A field's policy (overwrite.go) says what an update may do to the
// value a customer of the tenant holds: always send the row's value
// (the default), send it only if-empty (the current value is blank once
// trimmed; only the fields that can be blank: firstName, lastName,
// phone, type, notes), or never. The plan compares with the listed
// customer: a run with a policy other than always lists the tenant even
// when nothing else would make it (an update already always has the
// list: it matches by email or by an id column), so no customer is read
// one by one. A field held back is neither sent nor in _changes, and a
// row left with nothing to send is unchanged. A blank cell under
// --blank clear is a change like any other: if-empty never clears (a
// blank value cleared is no change) and never does not either. Creates
// send every field; so does the update that completes a create of the
// same row by an interrupted run (a resume ends as the uninterrupted run
// would have). The undo file holds the previous profile, so importing it
// sends back exactly the fields the run changed (the others are as they
// were, unless changed since).
//
// # Errors
//
// Errors are typed values with the facts: the option they concern or
// whose fix it is (Option), paths, counts, and advice as a value (Fix).
// *InputError (exit 2) and *AbortedError (exit 3) say how a run ended and
// hold *FileError, *PathError, *BusyError, *UnfinishedError, *RerunError,
// *ForeignIDError, *NeedsOptionError or a FailureLimit. Their Error names
// options in words; main words them with its flags (errwords.go). Text
// the caller shows as it is (a row's _error, notices) names options
// through InputConfig.OptionName, which main sets to its flags. The
// packages below do the same with their own options: formats through
// InputConfig.Reader.OptionName (and its *FormatError, worded by main),
// batch/customer through InputConfig.Map.OptionName (the header advice,
// and the row rules, to which the validator's options pass it on), and
// apiclient through its Options.OptionName.
//
// # Words
//
// Each word below means one thing across the package:
//
//	row       a line of the input, numbered as the user sees it (formats.Row)
//	record    a row mapped onto customer fields and checked (customer.Record)
//	outcome   what became of a row: its result, id, error, changes (Outcome)
//	run       one execution of Import on one report path
//	report    the per-row result file of a run, in input order
//	journal   the append-only file of intents and outcomes beside the report
//	intent    a journal line saying a call is about to leave
//	in doubt  an intent with no outcome: the call may have landed
//	key       what ties a row to its previous outcome (id, email, cells)
//	window    how many rows may be between reading and the report
//	index     the tenant's customers, listed once, by id and by email
//	policy    what an update may overwrite of a field: always, if-empty, never
//	value map a field's cell text → the value checked and sent instead
//	rule      the tenant's own demand on a field, checked like the built-in ones
//	mirror    an import that then deletes the customers no row matched
//	matched   a customer a row of the file names, by id or by email
package batch
