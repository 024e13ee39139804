package monitor

import (
	"sort"
	"strings"
	"testing"
)

// TestExposed checks the algebra on small cases.
func TestExposed(t *testing.T) {
	cases := []struct {
		name string
		rows [][]string
		k    int
		want []string
	}{
		{"one row of one flow", [][]string{{"a"}}, 2, []string{"a"}},
		{"total minus the other corridor", [][]string{{"a", "b", "c"}, {"b", "c"}}, 2, []string{"a"}},
		{"two flows together", [][]string{{"a", "b"}}, 2, nil},
		// out(A) − in(D) in a chain D–A–B–E–F of payments: A→B is a bridge.
		{"a bridge among accounts", [][]string{{"ad1", "ad2", "ab"}, {"ad1", "ad2"}, {"ab", "eb"}, {"eb", "ef1", "ef2"}, {"ef1", "ef2"}}, 2, []string{"ab", "eb"}},
		// Row and column sums of a 2×2 table do not pin a cell down.
		{"a cycle among accounts", [][]string{{"ab", "ad"}, {"eb", "ed"}, {"ab", "eb"}, {"ad", "ed"}, {"ab", "ad", "eb", "ed"}}, 2, nil},
		{"two flows of three", [][]string{{"a", "b", "c"}, {"c"}}, 3, []string{"c", "a+b"}},
		{"a difference of two", [][]string{{"a", "x", "y", "z"}, {"b", "x", "y", "z"}}, 3, []string{"a+b"}},
		{"fine at three", [][]string{{"a", "b", "c"}}, 3, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, e := range exposed(c.rows, c.k) {
				sort.Strings(e.flows)
				got = append(got, strings.Join(e.flows, "+"))
			}
			sort.Strings(got)
			want := append([]string{}, c.want...)
			sort.Strings(want)
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("exposed %v, want %v", got, want)
			}
		})
	}
}
