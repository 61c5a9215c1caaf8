package app

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test must stop what it started: the service's workers, listeners, stores and clients. fasthttp (under
// Fiber) starts one goroutine per process, the first time a server answers, that refreshes the Date header every
// second and never stops: a library's, not a leak.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"))
}
