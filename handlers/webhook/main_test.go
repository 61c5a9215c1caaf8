package webhook_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test must stop what it started: the app, its committers and its processor. fasthttp (under Fiber) has two
// goroutines that outlive what they serve by design: one per process, started the first time a server answers,
// refreshes the Date header every second and never stops; a stopped server's worker-pool cleaner sleeps up to 10 s
// before it sees the stop.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"))
}
