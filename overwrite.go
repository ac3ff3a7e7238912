package main

import (
	"flag"

	"aivabatch/batch"
)

// overwriteUsage is --overwrite's help; a job file sets it with a table,
// [overwrite] phone = "if-empty" (see job.go).
const overwriteUsage = `what an update may overwrite, by field: "phone=if-empty" (only when the customer's value is blank), "notes=never", "always" (the default); several fields: "phone,notes=never" (repeatable)`

// registerOverwrite adds --overwrite to fs: import applies it, validate
// checks it and keeps it in --write-job's file.
func registerOverwrite(fs *flag.FlagSet, m *multiFlag, validate bool) {
	usage := overwriteUsage
	if validate {
		usage += "; validate checks it and --write-job keeps it for import"
	}
	fs.Var(m, "overwrite", usage)
}

// overwrites reads the --overwrite entries (the job file's first) into
// policies; a bad one is a usage error naming it.
func overwrites(m multiFlag) (batch.Overwrites, error) {
	if len(m) == 0 {
		return nil, nil
	}
	ow := batch.Overwrites{}
	for _, e := range m {
		if err := ow.Add(e); err != nil {
			return nil, usagef("--overwrite %q: %v", e, err)
		}
	}
	return ow, nil
}
