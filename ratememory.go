package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"aivabatch/apiclient"
	"aivabatch/formats"
)

// The rate a run learned against a server's limit (from 429s) is kept in
// the user cache dir, keyed by the API URL and a hash of the token (the
// first 16 hex digits of its SHA-256; the token itself is never written),
// and the next run against the same API with the same token starts just
// under it instead of meeting the limit again. A learned rate is used for
// rateMemoryFor after it was written, then forgotten: a nightly job finds
// the rate of the night before even when it starts late, a job run days
// later learns afresh. Every run that learned a rate, or started from one,
// writes it again, so a 429 still teaches and the memory stays fresh.
const rateMemoryFor = 30 * time.Hour

// rateMemory is the file's content.
type rateMemory struct {
	Rates []learnedRate `json:"rates"`
}

type learnedRate struct {
	API         string    `json:"api"`
	TokenSHA256 string    `json:"token_sha256"` // first 16 hex digits
	Rate        float64   `json:"rate"`         // req/s
	Learned     time.Time `json:"learned"`
}

// rateMemoryPath is the memory's file, "" when there is no cache dir.
func rateMemoryPath(stdio *IO) string {
	if stdio.CacheDir == nil {
		return ""
	}
	dir, err := stdio.CacheDir()
	if err != nil || dir == "" {
		return ""
	}
	return filepath.Join(dir, "aivabatch", "rates.json")
}

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:8])
}

// readRateMemory reads the file; a missing or damaged file is empty (it
// is only a hint).
func readRateMemory(path string) rateMemory {
	var m rateMemory
	if b, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(b, &m)
	}
	return m
}

// recallRate returns the rate learned against api with token, and its age,
// if there is one younger than rateMemoryFor.
func recallRate(path, api, token string, now time.Time) (rate float64, age time.Duration, ok bool) {
	if path == "" {
		return 0, 0, false
	}
	api, th := apiclient.RedactTokens(api), tokenHash(token)
	for _, r := range readRateMemory(path).Rates {
		age := now.Sub(r.Learned)
		if r.API == api && r.TokenSHA256 == th && r.Rate > 0 && age >= 0 && age < rateMemoryFor {
			return r.Rate, age, true
		}
	}
	return 0, 0, false
}

// rememberRate records rate as learned now against api with token,
// dropping what has been forgotten, and writes the file atomically.
func rememberRate(path, api, token string, rate float64, now time.Time) error {
	api, th := apiclient.RedactTokens(api), tokenHash(token)
	old := readRateMemory(path)
	m := rateMemory{Rates: []learnedRate{{API: api, TokenSHA256: th, Rate: rate, Learned: now.UTC()}}}
	for _, r := range old.Rates {
		if (r.API != api || r.TokenSHA256 != th) && now.Sub(r.Learned) < rateMemoryFor {
			m.Rates = append(m.Rates, r)
		}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := formats.CreateAtomic(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(append(b, '\n')); err != nil {
		return err
	}
	return f.Commit()
}
