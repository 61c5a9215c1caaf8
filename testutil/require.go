package testutil

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/valkey-io/valkey-go"
)

// probeTimeout bounds how long a laptop without the server waits before skipping.
const probeTimeout = 2 * time.Second

// Required reports whether a missing test service is a failure rather than a skip: CI sets CI=true, so a CI run
// never passes by skipping what it is meant to prove.
func Required() bool {
	v, _ := strconv.ParseBool(os.Getenv("CI"))
	return v
}

// Unavailable ends t because something it needs is missing: a one-line skip saying how to enable it on a laptop,
// a failure under CI=true.
func Unavailable(t testing.TB, what, enable string, err error) {
	t.Helper()
	msg := fmt.Sprintf("%s unavailable (%v): %s", what, err, enable)
	if Required() {
		t.Fatalf("%s [required because CI=true]", msg)
	}
	t.Skipf("skipped: %s [CI=true makes this a failure]", msg)
}

// requirePostgres skips or fails t when the test PostgreSQL server does not answer.
func requirePostgres(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, DatabaseURL())
	if err == nil {
		err = conn.Ping(ctx)
		conn.Close(ctx)
	}
	if err != nil {
		Unavailable(t, "PostgreSQL at "+DatabaseURL(), "start PostgreSQL there or set DATABASE_URL to enable the PostgreSQL tests", err)
	}
}

// Valkey returns the test Valkey/Redis URL, skipping or failing t when nothing answers there.
func Valkey(t testing.TB) string {
	t.Helper()
	u := ValkeyURL()
	opt, err := valkey.ParseURL(u)
	if err == nil {
		opt.Dialer.Timeout = probeTimeout
		opt.DisableCache = true
		var c valkey.Client
		if c, err = valkey.NewClient(opt); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
			err = c.Do(ctx, c.B().Ping().Build()).Error()
			cancel()
			c.Close()
		}
	}
	if err != nil {
		Unavailable(t, "Valkey/Redis at "+u, "start Valkey or Redis there or set VALKEY_URL to enable the Valkey tests", err)
	}
	return u
}

// Binary returns path when it is an executable file, else skips or fails t naming what to install.
func Binary(t testing.TB, path, install string) string {
	t.Helper()
	st, err := os.Stat(path)
	if err == nil && (st.IsDir() || st.Mode()&0o111 == 0) {
		err = errors.New("not an executable file")
	}
	if err != nil {
		Unavailable(t, path, install, err)
	}
	return path
}

// Command returns the path of the named program on PATH, else skips or fails t naming what to install.
func Command(t testing.TB, name, install string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Unavailable(t, name, install, err)
	}
	return p
}
