package mediafetch_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test must stop what it started: the processor, the fetcher and the fake's server.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
