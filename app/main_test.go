package app

import (
	"fmt"
	"net/http"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// Every test must stop what it started: the service's workers, listeners, stores and clients. Not counted: the
// keep-alive connections the tests' HTTP clients (http.DefaultTransport) keep to servers, closed here first; and two
// library goroutines that outlive what they serve by design: fasthttp (under Fiber) starts one per process, the
// first time a server answers, that refreshes the Date header every second and never stops; valkey-go schedules a
// refresh of the server's topology with a random delay of up to a second (singleflight's DelayDo), which a client
// closed meanwhile leaves asleep until then.
func TestMain(m *testing.M) {
	code := m.Run()
	http.DefaultClient.CloseIdleConnections()
	if code == 0 {
		if err := goleak.Find(
			goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
			goleak.IgnoreAnyFunction("github.com/valkey-io/valkey-go.(*call).DelayDo.func1")); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: Errors on successful test run: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}
