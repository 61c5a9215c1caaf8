// Package models holds the domain types: GORM models and small pure methods on them (order totals, status
// transitions). It does no I/O and imports nothing of ours.
package models
