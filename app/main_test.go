package app

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test must stop what it started: the service's workers, listeners, stores and clients. Two library
// goroutines outlive what they serve and end by themselves, or never, by design: fasthttp (under Fiber) starts one
// per process, the first time a server answers, that refreshes the Date header every second and never stops; and
// valkey-go schedules a refresh of the server's topology with a random delay of up to a second (singleflight's
// DelayDo), which a client closed meanwhile leaves asleep until then.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
		goleak.IgnoreAnyFunction("github.com/valkey-io/valkey-go.(*call).DelayDo.func1"))
}
