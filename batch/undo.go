package batch

import (
	"os"
	"strconv"

	"aivabatch/apiclient"
	"aivabatch/formats"
)

// undoColumns are the columns of the undo file: an import file.
var undoColumns = []string{"action", "id", "name", "firstName", "lastName", "email", "phone", "status", "type", "value", "autoPayment", "notes"}

// undoWriter writes, as the run goes, an import file that reverses it: a
// delete for every customer created, an update with the previous profile
// for every customer updated, a create for every customer deleted. Import
// it with --blank clear so that fields that were empty before are emptied
// again.
type undoWriter struct {
	f *os.File
	w formats.RowWriter
}

func openUndo(path string) (*undoWriter, error) {
	format, err := formats.DetectFormat(path)
	if err != nil {
		return nil, inputErr("--undo %s: %v", path, err)
	}
	f, err := formats.CreateFile(path)
	if err != nil {
		return nil, inputErr("cannot create the undo file: %v", err)
	}
	w, err := formats.NewWriter(f, formats.WriterOptions{Format: format, Header: undoColumns})
	if err != nil {
		f.Close()
		return nil, inputErr("cannot write the undo file %s: %v", path, err)
	}
	return &undoWriter{f: f, w: w}, nil
}

func (u *undoWriter) add(o *Outcome, p *plan) error {
	switch o.Result {
	case ResultCreated:
		return u.w.Write([]string{"delete", o.CustomerID, "", "", "", "", "", "", "", "", "", ""})
	case ResultUpdated:
		if p.cur == nil {
			return nil
		}
		return u.w.Write(profileRow("update", p.cur.ID, p.cur))
	case ResultDeleted:
		if p.cur == nil {
			return nil
		}
		return u.w.Write(profileRow("create", "", p.cur))
	}
	return nil
}

func profileRow(action, id string, c *apiclient.Customer) []string {
	return []string{action, id, c.Name, c.FirstName, c.LastName, c.Email, c.Phone, c.Status, c.Type,
		strconv.FormatFloat(c.Value, 'f', -1, 64), strconv.FormatBool(c.AutoPayment), c.Notes}
}

func (u *undoWriter) close() error {
	err := u.w.Close()
	if cerr := u.f.Close(); err == nil {
		err = cerr
	}
	return err
}
