package batch

import (
	"sort"
	"strings"

	"aivabatch/batch/customer"
)

// InvalidValues are the distinct values of one column that its field does
// not take (Problem.Value), counted by validate so that one value map can
// fix every row that holds them.
type InvalidValues struct {
	Field  customer.Field `json:"field"`
	Column string         `json:"column,omitempty"`
	// Rows counts the rows with such a value, Distinct the distinct
	// values (ignoring case) up to maxTallied; More says there were more.
	Rows     int  `json:"rows"`
	Distinct int  `json:"distinct"`
	More     bool `json:"more,omitempty"`
	// Top are the most common, most first (ties in the order first seen),
	// at most maxTop.
	Top []ValueCount `json:"top"`
}

// ValueCount is one invalid value (as first spelt) and its rows.
type ValueCount struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

const (
	maxTop = 10
	// maxTallied bounds the distinct values counted per column: memory
	// stays flat on a file whose every cell is different.
	maxTallied = 10_000
)

// valueTally counts the invalid values of a run, per field and column.
// It is used by one goroutine.
type valueTally struct {
	cols  []*columnTally
	index map[[2]string]*columnTally
}

type columnTally struct {
	field  customer.Field
	column string
	rows   int
	more   bool
	counts map[string]*tallied // by lower case
	order  int
}

type tallied struct {
	value        string
	count, first int
}

// add counts the problems of r that a value map could fix.
func (t *valueTally) add(r *customer.Record) {
	for _, p := range r.Problems {
		if p.Value == "" {
			continue
		}
		if t.index == nil {
			t.index = map[[2]string]*columnTally{}
		}
		k := [2]string{string(p.Field), p.Column}
		c := t.index[k]
		if c == nil {
			c = &columnTally{field: p.Field, column: p.Column, counts: map[string]*tallied{}}
			t.index[k] = c
			t.cols = append(t.cols, c)
		}
		c.rows++
		key := strings.ToLower(p.Value)
		if e := c.counts[key]; e != nil {
			e.count++
		} else if len(c.counts) < maxTallied {
			c.order++
			c.counts[key] = &tallied{value: p.Value, count: 1, first: c.order}
		} else {
			c.more = true
		}
	}
}

// result is the tally, columns in the order their first invalid value
// was met.
func (t *valueTally) result() []InvalidValues {
	var out []InvalidValues
	for _, c := range t.cols {
		all := make([]*tallied, 0, len(c.counts))
		for _, e := range c.counts {
			all = append(all, e)
		}
		sort.Slice(all, func(i, j int) bool {
			if all[i].count != all[j].count {
				return all[i].count > all[j].count
			}
			return all[i].first < all[j].first
		})
		iv := InvalidValues{Field: c.field, Column: c.column, Rows: c.rows, Distinct: len(all), More: c.more}
		for _, e := range all[:min(len(all), maxTop)] {
			iv.Top = append(iv.Top, ValueCount{Value: e.value, Count: e.count})
		}
		out = append(out, iv)
	}
	return out
}
