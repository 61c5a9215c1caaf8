package repository

import "testing"

func TestValueRows_RepeatsTheTupleCommaSeparated(t *testing.T) {
	for _, tc := range []struct {
		n     int
		tuple string
		want  string
	}{
		{0, "(?,?)", ""},
		{1, "(?,?)", "(?,?)"},
		{3, "(?)", "(?),(?),(?)"},
	} {
		if got := valueRows(tc.n, tc.tuple); got != tc.want {
			t.Errorf("valueRows(%d, %q) = %q, want %q", tc.n, tc.tuple, got, tc.want)
		}
	}
}
