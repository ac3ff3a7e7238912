package batch

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"time"

	"aivabatch/apiclient"
	"aivabatch/formats"
)

// exportState is the watermark of an incremental export (--state): the
// largest updatedAt it exported, and the customers it exported at exactly
// that time. Timestamps have millisecond resolution, so a customer
// updated in the same millisecond as the watermark, after the run that
// set it had listed, would be lost by "after the watermark" and exported
// again every night by "at or after". Customers at the watermark are
// therefore kept by id with a hash of what was exported: one at the
// watermark is exported again only when it is new or its content changed.
type exportState struct {
	Watermark string            `json:"watermark"`
	AtMark    map[string]string `json:"atWatermark,omitempty"` // id → content hash
	Exported  int               `json:"exported"`
	Finished  time.Time         `json:"finished"`

	mark time.Time
}

// readExportState reads the state file; a missing file is the first run
// (zero watermark: everything is exported).
func readExportState(path string) (*exportState, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &exportState{}, nil
	}
	if err != nil {
		return nil, &FileError{Option: OptState, Problem: FileUnreadable, Path: path, Err: err}
	}
	var s exportState
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, &FileError{Option: OptState, Problem: FileNotOurs, Path: path, Err: err}
	}
	if s.Watermark != "" {
		if s.mark, err = time.Parse(time.RFC3339Nano, s.Watermark); err != nil {
			return nil, &FileError{Option: OptState, Problem: FileBadWatermark, Path: path, Detail: s.Watermark}
		}
	}
	return &s, nil
}

// write puts the state in place atomically (a crash leaves the old or the
// new state, never half of one).
func (s *exportState) write(path string) error {
	af, err := formats.CreateAtomic(path)
	if err != nil {
		return err
	}
	defer af.Abort()
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if _, err := af.Write(append(b, '\n')); err != nil {
		return err
	}
	return af.Commit()
}

// contentHash identifies what a customer looked like when exported.
func contentHash(c *apiclient.Customer) string {
	b, _ := json.Marshal(c)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:12])
}

// watermark tracks, during one run, which customers pass the previous
// state and the new state the run will leave.
type watermark struct {
	prev *exportState
	// next: the largest updatedAt kept so far and the customers at it.
	next     time.Time
	nextText string
	atNext   map[string]string
}

func newWatermark(prev *exportState) *watermark {
	return &watermark{prev: prev, atNext: map[string]string{}}
}

// keep reports whether c changed since the previous state; for a customer
// whose updatedAt cannot be read it returns ok false.
func (w *watermark) keep(c *apiclient.Customer) (keep, ok bool) {
	t, err := time.Parse(time.RFC3339Nano, c.UpdatedAt)
	if err != nil {
		return w.prev.mark.IsZero(), false
	}
	switch {
	case w.prev.mark.IsZero() || t.After(w.prev.mark):
		return true, true
	case t.Equal(w.prev.mark):
		h, seen := w.prev.AtMark[c.ID]
		return !seen || h != contentHash(c), true
	}
	return false, true
}

// add records an exported customer for the next state.
func (w *watermark) add(c *apiclient.Customer) {
	t, err := time.Parse(time.RFC3339Nano, c.UpdatedAt)
	if err != nil {
		return
	}
	switch {
	case t.After(w.next):
		w.next, w.nextText = t, c.UpdatedAt
		clear(w.atNext)
		fallthrough
	case t.Equal(w.next):
		w.atNext[c.ID] = contentHash(c)
	}
}

// state is the state to write after a successful run that exported n
// customers: the new watermark, or the previous one when nothing newer
// was exported (the watermark never moves back, nor to the clock).
func (w *watermark) state(n int) *exportState {
	s := &exportState{Exported: n, Finished: time.Now().UTC()}
	switch {
	case w.nextText == "" || !w.prev.mark.IsZero() && w.next.Before(w.prev.mark):
		s.Watermark, s.AtMark, s.mark = w.prev.Watermark, w.prev.AtMark, w.prev.mark
	case w.next.Equal(w.prev.mark):
		// Same millisecond as before: the earlier ones stay exported.
		s.Watermark, s.mark = w.prev.Watermark, w.prev.mark
		s.AtMark = make(map[string]string, len(w.prev.AtMark)+len(w.atNext))
		for id, h := range w.prev.AtMark {
			s.AtMark[id] = h
		}
		for id, h := range w.atNext {
			s.AtMark[id] = h
		}
	default:
		s.Watermark, s.AtMark, s.mark = w.nextText, w.atNext, w.next
	}
	return s
}

// lockState takes the kernel lock beside the state file (LockPath), so
// that two exports on one state cannot both move the watermark. A
// second export refuses at once, naming the pid of the one that runs;
// the lock of a killed export is released by the kernel, never taken
// over by guessing from a pid. The returned func releases it.
func lockState(state string) (func(), error) {
	unlock, err := lockFile(LockPath(state))
	var le *LockedError
	if errors.As(err, &le) {
		return nil, &InputError{Err: &BusyError{Option: OptState, Path: state, Lock: le}}
	}
	if err != nil {
		return nil, &InputError{Err: &FileError{Option: OptState, Problem: FileLockFailed, Err: err}}
	}
	return unlock, nil
}
