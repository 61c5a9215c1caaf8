package retention_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test must stop what it started.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
