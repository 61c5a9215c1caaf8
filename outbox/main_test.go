package outbox_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test must stop the workers, alarms and servers it started.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
