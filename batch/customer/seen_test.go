package customer

import (
	"fmt"
	"testing"
)

func TestSeenSetFindsRepeatsAcrossSpills(t *testing.T) {
	s := newSeenSet()
	defer s.Close()
	const n = 3*memLimit + 17 // forces three spills to disk
	for i := 1; i <= n; i++ {
		if first, dup, err := s.CheckAndAdd('e', fmt.Sprintf("user%d@example.com", i), i); err != nil || dup {
			t.Fatalf("key %d: first=%d dup=%v err=%v, want new", i, first, dup, err)
		}
	}
	if len(s.runs) != 3 {
		t.Fatalf("runs = %d, want 3", len(s.runs))
	}
	for _, i := range []int{1, 2, memLimit, memLimit + 1, 2*memLimit + 5, n} {
		first, dup, err := s.CheckAndAdd('e', fmt.Sprintf("user%d@example.com", i), n+i)
		if err != nil || !dup || first != i {
			t.Errorf("repeat of key %d: first=%d dup=%v err=%v, want first=%d", i, first, dup, err, i)
		}
	}
}

func TestSeenSetKindsAreApart(t *testing.T) {
	s := newSeenSet()
	defer s.Close()
	s.CheckAndAdd('e', "x1", 2)
	if _, dup, _ := s.CheckAndAdd('i', "x1", 3); dup {
		t.Error("an id equal to an earlier email was reported as a duplicate")
	}
}
