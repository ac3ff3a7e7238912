package batch

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestJournalHoldsBackWhenUndoFails: the journal hands its lines to the
// OS only after the undo file's; when the undo file cannot be written,
// the journal writes none of the lines since (a resume would otherwise
// take those rows as done and never write their undo lines), and the
// error says it was the undo file.
func TestJournalHoldsBackWhenUndoFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv.journal")
	j, err := openJournal(path, journalEntry{Row: -1})
	if err != nil {
		t.Fatal(err)
	}
	undoErr := errors.New("no space left on device")
	fail := false
	j.setBeforeFlush(func() error {
		if fail {
			return undoErr
		}
		return nil
	})
	if err := j.intent(journalEntry{Row: 1, Key: "a@example.com", Intent: intentCreate}); err != nil {
		t.Fatalf("first intent: %v", err)
	}
	before, _ := os.ReadFile(path)
	fail = true
	if err := j.add(journalEntry{Row: 1, Key: "a@example.com", Result: ResultCreated, ID: "c1"}); err != nil {
		t.Fatalf("add (buffered): %v", err)
	}
	err = j.intent(journalEntry{Row: 2, Key: "b@example.com", Intent: intentCreate})
	var ue *undoWriteError
	if !errors.As(err, &ue) || !errors.Is(err, undoErr) || !strings.Contains(err.Error(), "undo file") {
		t.Fatalf("intent after the undo file failed: %v, want an undoWriteError naming the undo file", err)
	}
	if cerr := j.close(false); !errors.Is(cerr, undoErr) {
		t.Errorf("close: %v, want the undo file's error", cerr)
	}
	after, _ := os.ReadFile(path)
	if string(after) != string(before) {
		t.Errorf("the journal gained lines after the undo file failed:\nbefore %q\nafter  %q", before, after)
	}
	if !strings.Contains(string(before), `"a@example.com"`) {
		t.Errorf("the intent before the failure was not written: %q", before)
	}
}
