package cache

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test must close what it opened: a Valkey client left open keeps its connection's goroutines running.
// valkey-go schedules a refresh of the server's topology with a random delay of up to a second (singleflight's
// DelayDo); a client closed meanwhile leaves that one goroutine asleep until then, and it ends by itself.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/valkey-io/valkey-go.(*call).DelayDo.func1"))
}
