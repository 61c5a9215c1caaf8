package cache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/valkey-io/valkey-go"
	"github.com/waorder/waorder/testutil"
)

// testValkeyURL is the shared Redis/Valkey of this machine: VALKEY_URL, or redis://127.0.0.1:6379/0.
// VALKEY_URL=skip skips the tests that need it.
func testValkeyURL(t testing.TB) string {
	t.Helper()
	return testutil.Valkey(t)
}

func testLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// newTestValkey connects to url and closes at cleanup.
func newTestValkey(t testing.TB, url string, opts ...Option) *Valkey {
	t.Helper()
	v, err := NewValkey(context.Background(), url, testLogger(), opts...)
	if err != nil {
		t.Fatalf("NewValkey: %v", err)
	}
	t.Cleanup(v.Close)
	return v
}

// uniquePrefix returns a key prefix no other test or run uses, and deletes its keys from url at cleanup
// (url "" for in-process caches, which need no cleanup).
func uniquePrefix(t testing.TB, url string) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := strings.NewReplacer("/", ".", " ", "_").Replace(t.Name())
	prefix := "test:" + name + ":" + hex.EncodeToString(b) + ":"
	if url != "" {
		t.Cleanup(func() { deleteMatching(t, url, prefix+"*") })
	}
	return prefix
}

// testBizID returns a business id no other run uses, and deletes its keys from url at cleanup.
func testBizID(t testing.TB, url string) int64 {
	t.Helper()
	n, _ := rand.Int(rand.Reader, big.NewInt(1<<40))
	id := 1<<50 + n.Int64()
	if url != "" {
		t.Cleanup(func() { deleteMatching(t, url, "*{"+itoa(id)+"}*") })
	}
	return id
}

func itoa(n int64) string { return big.NewInt(n).String() }

// rawClient talks to a server without our wrapper, to check what is really stored there.
func rawClient(t testing.TB, url string) valkey.Client {
	t.Helper()
	opt, err := valkey.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	opt.DisableCache = true
	c, err := valkey.NewClient(opt)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	return c
}

func deleteMatching(t testing.TB, url, pattern string) {
	c := rawClient(t, url)
	defer c.Close()
	ctx := context.Background()
	var cursor uint64
	for {
		e, err := c.Do(ctx, c.B().Scan().Cursor(cursor).Match(pattern).Count(500).Build()).AsScanEntry()
		if err != nil {
			t.Logf("cleanup %s: %v", pattern, err)
			return
		}
		for _, k := range e.Elements {
			c.Do(ctx, c.B().Del().Key(k).Build())
		}
		if cursor = e.Cursor; cursor == 0 {
			return
		}
	}
}

// eventually polls cond every few milliseconds until it holds or within passes.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// impl is one Cache implementation the shared behaviour tests run against.
type impl struct {
	name string
	url  string // "" for in-process
	open func(t *testing.T) Cache
}

func impls(t *testing.T) []impl {
	list := []impl{{name: "memory", open: func(*testing.T) Cache { return NewMemory(1000) }}}
	if u := os.Getenv("VALKEY_URL"); u == "skip" {
		return list
	}
	url := testValkeyURL(t)
	return append(list,
		impl{name: "valkey", url: url, open: func(t *testing.T) Cache { return newTestValkey(t, url) }},
		impl{name: "valkey-no-client-cache", url: url, open: func(t *testing.T) Cache {
			return newTestValkey(t, url, WithClientCache(false))
		}},
	)
}

// forEachImpl runs f against every implementation with a fresh cache and a unique key prefix.
func forEachImpl(t *testing.T, f func(t *testing.T, c Cache, prefix string)) {
	for _, im := range impls(t) {
		t.Run(im.name, func(t *testing.T) {
			c := im.open(t)
			if c.Status() == StatusDown {
				t.Fatalf("%s is down: is Redis running at %s? (VALKEY_URL=skip to skip)", im.name, im.url)
			}
			f(t, c, uniquePrefix(t, im.url))
		})
	}
}
