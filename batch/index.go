package batch

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"os"
	"slices"
	"strings"

	"aivabatch/apiclient"
)

// custIndex is the customer list read at the start of an import, for
// matching by email, checking an id column, --undo, --dry-run and
// --resume: by email (every customer with that email) and by id. The records live in an unlinked
// temporary file; memory holds 16 bytes per customer and key (a hash and
// the record's place in the file), so a million-customer tenant costs
// about 32 MB instead of the ~400 MB of a map of customers.
type custIndex struct {
	f       *os.File
	w       *bufio.Writer
	off     int64
	seed    maphash.Seed
	byEmail []indexSlot
	byID    []indexSlot
	n       int
}

// indexSlot is a key's hash and where its record is: offset<<24 | length.
type indexSlot struct {
	hash uint64
	at   uint64
}

const maxIndexRecord = 1<<24 - 1

// plainCustomer is a Customer without its JSON methods: the index keeps
// the fields a plan compares, not the raw object.
type plainCustomer apiclient.Customer

func newCustIndex() (*custIndex, error) {
	f, err := os.CreateTemp("", "aivabatch-index-*")
	if err != nil {
		return nil, fmt.Errorf("cannot create a temporary file for the customer index: %w", err)
	}
	os.Remove(f.Name()) // unlinked: gone with the process, whatever happens
	return &custIndex{f: f, w: bufio.NewWriterSize(f, 256<<10), seed: maphash.MakeSeed()}, nil
}

func (x *custIndex) hash(k string) uint64 { return maphash.String(x.seed, k) }

// add appends a customer of the list. A customer without an id is an
// error: a row that matched it could neither be updated nor told apart
// from a customer to create.
func (x *custIndex) add(c *apiclient.Customer) error {
	if c.ID == "" {
		return &NoIDError{What: "the customer list", Email: c.Email}
	}
	p := plainCustomer(*c)
	p.Extra, p.ObjectID = nil, ""
	b, err := json.Marshal(&p)
	if err != nil {
		return err
	}
	if len(b) > maxIndexRecord {
		return fmt.Errorf("customer %s is larger than 16 MiB", c.ID)
	}
	if _, err := x.w.Write(b); err != nil {
		return fmt.Errorf("writing the customer index: %w", err)
	}
	at := uint64(x.off)<<24 | uint64(len(b))
	x.off += int64(len(b))
	x.byID = append(x.byID, indexSlot{x.hash(c.ID), at})
	if c.Email != "" {
		x.byEmail = append(x.byEmail, indexSlot{x.hash(strings.ToLower(c.Email)), at})
	}
	x.n++
	return nil
}

// finish makes the index ready for lookups.
func (x *custIndex) finish() error {
	if err := x.w.Flush(); err != nil {
		return fmt.Errorf("writing the customer index: %w", err)
	}
	byHash := func(a, b indexSlot) int { return cmp.Compare(a.hash, b.hash) }
	// Stable: customers with one email come back in list order.
	slices.SortStableFunc(x.byEmail, byHash)
	slices.SortStableFunc(x.byID, byHash)
	x.byEmail, x.byID = slices.Clip(x.byEmail), slices.Clip(x.byID)
	return nil
}

// reset empties the index, for a list that starts over.
func (x *custIndex) reset() error {
	x.w.Reset(x.f)
	if err := x.f.Truncate(0); err != nil {
		return err
	}
	_, err := x.f.Seek(0, 0)
	x.off, x.n, x.byEmail, x.byID = 0, 0, x.byEmail[:0], x.byID[:0]
	return err
}

func (x *custIndex) close() {
	if x != nil {
		x.f.Close()
	}
}

// email returns the customer with that email (lower case), or nil; the
// first listed when several hold it (a caller that must not pick one asks
// emails).
func (x *custIndex) email(k string) *apiclient.Customer {
	if cs := x.find(x.byEmail, k, 1, func(c *apiclient.Customer) bool { return strings.EqualFold(c.Email, k) }); len(cs) > 0 {
		return cs[0]
	}
	return nil
}

// emails returns every customer with that email (lower case), in list
// order.
func (x *custIndex) emails(k string) []*apiclient.Customer {
	return x.find(x.byEmail, k, -1, func(c *apiclient.Customer) bool { return strings.EqualFold(c.Email, k) })
}

// id returns the customer with that id, or nil.
func (x *custIndex) id(k string) *apiclient.Customer {
	if cs := x.find(x.byID, k, 1, func(c *apiclient.Customer) bool { return c.ID == k }); len(cs) > 0 {
		return cs[0]
	}
	return nil
}

// find returns up to max (-1: all) customers of slots under key k that
// match.
func (x *custIndex) find(slots []indexSlot, k string, max int, match func(*apiclient.Customer) bool) []*apiclient.Customer {
	if x == nil || k == "" {
		return nil
	}
	h := x.hash(k)
	i, _ := slices.BinarySearchFunc(slots, h, func(s indexSlot, h uint64) int { return cmp.Compare(s.hash, h) })
	var found []*apiclient.Customer
	for ; i < len(slots) && slots[i].hash == h && len(found) != max; i++ {
		c, err := x.read(slots[i].at)
		if err == nil && match(c) {
			found = append(found, c)
		}
	}
	return found
}

func (x *custIndex) read(at uint64) (*apiclient.Customer, error) {
	off, n := int64(at>>24), int(at&maxIndexRecord)
	b := make([]byte, n) // no shared buffer: lookups may come from any goroutine
	if _, err := x.f.ReadAt(b, off); err != nil {
		return nil, err
	}
	var p plainCustomer
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, errors.New("the customer index is damaged")
	}
	c := apiclient.Customer(p)
	return &c, nil
}
