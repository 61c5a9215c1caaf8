package repository

import "strings"

// valueRows returns n copies of one row's placeholder tuple, comma-separated: the rows of a multi-row VALUES list.
// The caller appends each row's arguments in the same order. Hand-written because GORM's CreateInBatches cannot
// say ON CONFLICT … RETURNING with the columns these statements match their rows back by.
func valueRows(n int, tuple string) string {
	if n <= 0 {
		return ""
	}
	var sb strings.Builder
	sb.Grow(n * (len(tuple) + 1))
	sb.WriteString(tuple)
	for range n - 1 {
		sb.WriteByte(',')
		sb.WriteString(tuple)
	}
	return sb.String()
}
