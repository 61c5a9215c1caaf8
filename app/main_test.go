package app

import (
	"fmt"
	"net/http"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// Every test must stop what it started: the service's workers, listeners, stores and clients. Not counted: the
// idle keep-alive connections the tests' HTTP clients (http.DefaultTransport) keep to stopped servers (fasthttp's
// shutdown leaves keep-alive connections open), closed here first; and library goroutines that outlive what they
// serve by design: fasthttp (under Fiber) starts one per process, the first time a server answers, that refreshes
// the Date header every second and never stops, and each stopped server's worker-pool cleaner sleeps up to 10 s
// before it sees the stop; valkey-go schedules a refresh of the server's topology with a random delay of up to a
// second (singleflight's DelayDo), which a client closed meanwhile leaves asleep until then.
func TestMain(m *testing.M) {
	code := m.Run()
	http.DefaultClient.CloseIdleConnections()
	if code == 0 {
		if err := goleak.Find(
			goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
			goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"),
			goleak.IgnoreAnyFunction("github.com/valkey-io/valkey-go.(*call).DelayDo.func1")); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: Errors on successful test run: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}
