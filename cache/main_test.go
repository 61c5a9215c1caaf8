package cache

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test must close what it opened: a Valkey client left open keeps its connection's goroutines running.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
