package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/waorder/waorder/testutil"
)

func freePort(t *testing.T) int {
	t.Helper()
	return freePorts(t, 1)[0]
}

// freePorts returns n distinct free ports (each held until all are found, so none is handed out twice).
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestRun_ServeWithNoSettingsStartsInSandboxAndStopsOnSignal(t *testing.T) {
	ports := freePorts(t, 2)
	port, opsPort := ports[0], ports[1]
	env := map[string]string{"PORT": strconv.Itoa(port), "DATA_DIR": t.TempDir(), "CONFIG_FILE": "none.yaml",
		"METRICS_ADDR": "127.0.0.1:" + strconv.Itoa(opsPort)}
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- Main(ctx, []string{"serve"}, envOf(env), nil, &syncWriter{w: &out}, &out) }()

	base := "http://127.0.0.1:" + strconv.Itoa(port)
	var resp *http.Response
	var err error
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err = http.Get(base + "/health"); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("service did not answer: %v\n%s", err, out.String())
	}
	var health struct {
		Status   string
		Database struct{ Status string }
		Cache    struct{ Status string }
	}
	json.NewDecoder(resp.Body).Decode(&health)
	resp.Body.Close()
	if resp.StatusCode != 200 || health.Status != "ok" || health.Database.Status != "up" || health.Cache.Status != "memory" {
		t.Fatalf("health %d %+v", resp.StatusCode, health)
	}
	// /memory, /metrics and the profiles are only on the operator listener, not on the public port.
	for _, path := range []string{"/memory", "/metrics", "/debug/pprof/heap"} {
		resp, err = http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("GET %s on the public port: %d, want 404", path, resp.StatusCode)
		}
	}
	ops := "http://127.0.0.1:" + strconv.Itoa(opsPort)
	resp, err = http.Get(ops + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metricsBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(metricsBody), "go_goroutines") {
		t.Fatalf("operator /metrics: %d", resp.StatusCode)
	}
	resp, err = http.Get(ops + "/debug/pprof/heap?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	heap, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(string(heap), "heap profile:") {
		t.Fatalf("operator /debug/pprof/heap: %d %.80q", resp.StatusCode, heap)
	}
	resp, err = http.Get(ops + "/memory")
	if err != nil {
		t.Fatal(err)
	}
	var mem struct {
		Status string
		Memory map[string]float64
		Gc     *uint32
	}
	json.NewDecoder(resp.Body).Decode(&mem)
	resp.Body.Close()
	for _, k := range []string{"rss", "heapUsed", "heapTotal", "stack", "sys"} {
		if _, ok := mem.Memory[k]; !ok || mem.Status != "ok" {
			t.Fatalf("/memory lacks %s: %+v", k, mem)
		}
	}
	// The dashboard is there: a page that needs a login sends to the login form.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noRedirect.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Fatalf("GET / without a session: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop after the signal")
	}
	if !strings.Contains(out.String(), "SANDBOX MODE") || !strings.Contains(out.String(), sandboxEmail) {
		t.Fatalf("sandbox mode and its demo login were not announced:\n%s", out.String())
	}
}

func TestRun_AdminCreateBusinessPrintsTheIDLast(t *testing.T) {
	env := map[string]string{"DATABASE_URL": testutil.PostgresSchemaURL(t), "SANDBOX": "true", "CONFIG_FILE": "none.yaml"}
	var out bytes.Buffer
	err := Main(context.Background(), []string{"admin", "create-business", "--name", "Cafe", "--phone-number-id", "777",
		"--waba-id", "888", "--access-token", "EAAG-secret"}, envOf(env), nil, &out, &out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if id, err := strconv.Atoi(lines[len(lines)-1]); err != nil || id <= 0 {
		t.Fatalf("last line %q is not a business id", lines[len(lines)-1])
	}
	if strings.Contains(out.String(), "EAAG-secret") {
		t.Fatal("the access token was printed")
	}
}

func TestRun_BadConfigurationNamesTheKey(t *testing.T) {
	err := Main(context.Background(), []string{"serve"}, envOf(map[string]string{"PORT": "0", "CONFIG_FILE": "none.yaml"}), nil,
		&bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "PORT") {
		t.Fatalf("err = %v, want one naming PORT", err)
	}
}
