// Package batch runs aivabatch's pipelines over the Customers API: Import,
// Validate (the offline subset) and Export. It never reads flags, prints
// or exits: it returns a *Summary and typed errors (*InputError,
// *AbortedError), and the command line words them.
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
package batch
