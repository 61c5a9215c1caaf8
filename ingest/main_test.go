package ingest_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test must stop what it started: the committers, the processor, and every goroutine they spawn.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
