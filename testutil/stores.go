// Package testutil starts the real stores for tests: an embedded SQLite file and a fresh schema on the PostgreSQL
// server named by DATABASE_URL, and a key prefix on the Valkey/Redis server named by VALKEY_URL. Nothing here is
// a mock.
package testutil

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/waorder/waorder/repository"
)

// DefaultDatabaseURL is the PostgreSQL server tests use when DATABASE_URL is unset.
const DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// DefaultValkeyURL is the Valkey/Redis server tests use when VALKEY_URL is unset.
const DefaultValkeyURL = "redis://127.0.0.1:6379/0"

// DatabaseURL is the PostgreSQL server for tests.
func DatabaseURL() string {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u
	}
	return DefaultDatabaseURL
}

// ValkeyURL is the Valkey/Redis server for tests. Tests that need it answering call Valkey(t) instead, which skips
// (or, under CI=true, fails) when it does not.
func ValkeyURL() string {
	if u := os.Getenv("VALKEY_URL"); u != "" {
		return u
	}
	return DefaultValkeyURL
}

// Backend names a database a test runs against.
type Backend struct {
	Name string // "sqlite" or "postgres"
	Open func(t testing.TB) *repository.Store
}

// Backends is the same suite's two targets: the embedded default and real PostgreSQL. Without a PostgreSQL server
// the "postgres" runs skip with a line saying how to enable them (they fail instead when CI=true).
func Backends() []Backend {
	return []Backend{{"sqlite", SQLite}, {"postgres", Postgres}}
}

// SQLite opens a migrated store on a fresh file in a temporary folder.
func SQLite(t testing.TB) *repository.Store {
	t.Helper()
	s, err := repository.Open(context.Background(), "", t.TempDir(), repository.Options{})
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	migrate(t, s)
	return s
}

// Postgres opens a migrated store on a new schema of the test server, dropped when the test ends; it skips t (fails
// under CI=true) when that server does not answer.
func Postgres(t testing.TB) *repository.Store {
	t.Helper()
	u := PostgresSchemaURL(t)
	s, err := repository.Open(context.Background(), u, "", repository.Options{})
	if err != nil {
		t.Fatalf("open postgres (is it running? DATABASE_URL=%s): %v", DatabaseURL(), err)
	}
	migrate(t, s)
	return s
}

// PostgresSchemaURL creates an empty schema and returns a DATABASE_URL whose search_path is that schema.
func PostgresSchemaURL(t testing.TB) string {
	t.Helper()
	requirePostgres(t)
	ctx := context.Background()
	base := DatabaseURL()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect postgres %s: %v", base, err)
	}
	schema := "t_" + RandomHex(6)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	conn.Close(ctx)
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE") //nolint:errcheck
	})
	pu, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse DATABASE_URL: %v", err)
	}
	q := pu.Query()
	q.Set("search_path", schema)
	pu.RawQuery = q.Encode()
	return pu.String()
}

func migrate(t testing.TB, s *repository.Store) {
	t.Helper()
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
}

// RandomHex returns n random bytes as hex, for unique names.
func RandomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("random: %v", err))
	}
	return strings.ToLower(hex.EncodeToString(b))
}
