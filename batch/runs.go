package batch

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"aivabatch/formats"
)

// RunsPath is where the finished imports at a report path are recorded:
// beside the report, one JSON object per line. The re-run guard reads it
// instead of the report, which a user (or another tool) may replace or
// which may be too large to read back.
func RunsPath(report string) string { return report + ".runs" }

// runRecord is one finished import.
type runRecord struct {
	Finished    time.Time      `json:"finished"`
	Input       string         `json:"input"`
	Fingerprint string         `json:"fingerprint"`
	Rows        int            `json:"rows"`
	Counts      map[Result]int `json:"counts"`
}

// fingerprint hashes the header and the first rows of the input (the
// ones MapReader read ahead to judge the columns): two stdin imports of
// the same data are recognised, two of different data are not.
func fingerprint(in *input) string {
	h := sha256.New()
	add := func(cells []string) {
		for _, c := range cells {
			io.WriteString(h, c)
			h.Write([]byte{0x1f})
		}
		h.Write([]byte{0x1e})
	}
	add(in.r.Header())
	for _, row := range formats.Peeked(in.r) {
		add(row.Cells)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// readRuns returns the finished imports recorded at the report path.
func readRuns(report string) ([]runRecord, error) {
	f, err := os.Open(RunsPath(report))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []runRecord
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r runRecord
		if json.Unmarshal(sc.Bytes(), &r) == nil && r.Fingerprint != "" {
			out = append(out, r)
		}
	}
	return out, sc.Err()
}

// appendRun records a finished import.
func appendRun(report string, r runRecord) error {
	f, err := os.OpenFile(RunsPath(report), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	b, _ := json.Marshal(r)
	_, err = f.Write(append(b, '\n'))
	// On the disk before the journal is removed (durable.go).
	if cerr := syncClose(f); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncDirOf(f.Name())
	}
	return err
}

// rerunGuard refuses an import that would create again what an earlier
// run at the same report path created. For a named file any earlier run
// counts (the file may have been edited since: its rows are the same
// customers); for stdin, whose name says nothing, the earlier run must
// have read the same header and first rows. Without a record (a report
// of an older version), the report itself is read; a report that exists
// but cannot be read refuses too, rather than guess.
func rerunGuard(cfg *ImportConfig, report, fp string) error {
	runs, err := readRuns(report)
	if err == nil {
		for _, r := range runs {
			if c := r.Counts[ResultCreated]; c > 0 && (cfg.Path != "-" || r.Fingerprint == fp) {
				return &InputError{Err: &RerunError{Problem: RerunRecorded, Report: report, Runs: RunsPath(report), Finished: r.Finished, Created: c}}
			}
		}
		return nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return &InputError{Err: &RerunError{Problem: RerunRecordUnreadable, Report: report, Runs: RunsPath(report), Err: err}}
	}
	n, err := createdInReport(report, cfg.reportReader())
	if err != nil {
		return &InputError{Err: &RerunError{Problem: RerunReportUnreadable, Report: report, Runs: RunsPath(report), Err: err}}
	}
	if n > 0 {
		return &InputError{Err: &RerunError{Problem: RerunInReport, Report: report, Runs: RunsPath(report), Created: n}}
	}
	return nil
}

// createdInReport counts the rows an earlier report at path says were
// created: 0 with no report or one that is not an aivabatch report, an
// error when the report is there but cannot be read to the end. read are
// the options it is read with.
func createdInReport(path string, read formats.ReaderOptions) (int, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	r, err := formats.OpenReader(path, read)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	if h := r.Header(); len(h) < 2 || h[0] != "_row" || h[1] != "_result" {
		return 0, nil
	}
	n := 0
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("after %d rows: %w", n, err)
		}
		if len(row.Cells) > 1 && row.Cells[1] == string(ResultCreated) {
			n++
		}
	}
}
