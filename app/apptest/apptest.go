// Package apptest starts the real service, built by app.New exactly as `waorder serve` builds it, for tests: on a
// free loopback port, stopped and closed when the test ends.
//
//	cfg := apptest.Config(t)           // sandbox mode, embedded database in a temp folder, the test Valkey
//	cfg.AppSecret = "…"                // whatever the test needs
//	svc := apptest.Start(t, cfg, app.WithStore(store), app.WithGraphURL(fake.URL))
//	http.Get(svc.URL() + "/health")
//
// The service's logs are dropped unless WAORDER_TEST_LOG is set (then they go to stderr).
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/waorder/waorder/app"
	"github.com/waorder/waorder/config"
	"github.com/waorder/waorder/testutil"
)

// Config is a valid sandbox-mode configuration for tests: the embedded database in a fresh temporary folder, the
// test Valkey/Redis (testutil.Valkey: the test is skipped on a laptop without one), no config file.
func Config(t testing.TB) config.Config {
	t.Helper()
	env := map[string]string{"DATA_DIR": t.TempDir(), "VALKEY_URL": testutil.Valkey(t), "SANDBOX": "true"}
	cfg, err := config.Load(func(k string) string { return env[k] }, "")
	if err != nil {
		t.Fatalf("test configuration: %v", err)
	}
	return cfg
}

// Log is the logger Start gives the service.
func Log() *slog.Logger {
	if os.Getenv("WAORDER_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// Start builds the service from cfg and opts on 127.0.0.1:0 (a later WithAddr wins), runs it, and when the test
// ends stops it (in-flight requests get 2 s) and closes it.
func Start(t testing.TB, cfg config.Config, opts ...app.Option) *app.Service {
	t.Helper()
	return StartLogging(t, cfg, Log(), opts...)
}

// StartLogging is Start with the service logging to log, e.g. a Logs' Logger for a test that reads the lines.
func StartLogging(t testing.TB, cfg config.Config, log *slog.Logger, opts ...app.Option) *app.Service {
	t.Helper()
	opts = append([]app.Option{app.WithAddr("127.0.0.1:0"), app.WithShutdownTimeout(2 * time.Second)}, opts...)
	svc, err := app.New(cfg, log, opts...)
	if err != nil {
		t.Fatalf("start service: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("service stopped with: %v", err)
		}
		svc.Close()
	})
	return svc
}

// Logs keeps what a running service logs, for a test to read: give the service Logger() (StartLogging).
type Logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Logger writes JSON lines, every level, into l.
func (l *Logs) Logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// Write keeps p; the service's goroutines call it concurrently.
func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// Lines are the lines logged so far, decoded.
func (l *Logs) Lines() []map[string]any {
	l.mu.Lock()
	raw := l.buf.String()
	l.mu.Unlock()
	var out []map[string]any
	for line := range strings.Lines(raw) {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}
