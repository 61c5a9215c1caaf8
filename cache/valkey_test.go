package cache

import (
	"context"
	"errors"
	"net"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valkey-io/valkey-go"
	"github.com/waorder/waorder/testutil"
)

func TestValkey_ClientSideCacheStaysCoherentAcrossInstances(t *testing.T) {
	url := testValkeyURL(t)
	ctx := context.Background()
	a, b := newTestValkey(t, url), newTestValkey(t, url) // two instances of the service
	p := uniquePrefix(t, url)
	read := func() string { v, ok := a.Get(ctx, p+"k"); return map[bool]string{true: string(v)}[ok] }

	b.Set(ctx, p+"k", []byte("v1"), time.Minute)
	eventually(t, time.Second, "A reads v1", func() bool { return read() == "v1" })
	hits := a.cscHits.Load()
	for range 5 {
		if read() != "v1" {
			t.Fatal("value changed by itself")
		}
	}
	if a.cscHits.Load() < hits+5 {
		t.Fatalf("repeated reads were not served from A's memory (%d local hits)", a.cscHits.Load()-hits)
	}

	b.Set(ctx, p+"k", []byte("v2"), time.Minute)
	eventually(t, time.Second, "A sees B's write", func() bool { return read() == "v2" })
	b.Delete(ctx, p+"k")
	eventually(t, time.Second, "A sees B's delete", func() bool { return read() == "" })

	biz := testBizID(t, url)
	if g := Generation(ctx, a, biz, FamilyOrders); g != 0 {
		t.Fatalf("generation = %d", g)
	}
	Generation(ctx, a, biz, FamilyOrders) // now held locally by A
	InvalidateOrders(ctx, b, biz)
	eventually(t, time.Second, "A sees B's bump", func() bool { return Generation(ctx, a, biz, FamilyOrders) == 1 })
}

func TestValkey_UnreachableServerDegradesSilently(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now

	ctx := context.Background()
	c, err := New(ctx, "redis://"+addr+"/0", testLogger())
	if err != nil {
		t.Fatalf("New with an unreachable server: %v", err)
	}
	defer c.Close()
	if s := c.Status(); s != StatusDown {
		t.Fatalf("Status = %q; want down", s)
	}
	v := c.(*Valkey)
	attempts, dials := v.attempts.Load(), v.dials.Load()
	for i := range 1000 {
		c.Set(ctx, "k", []byte("v"), time.Minute)
		if _, ok := c.Get(ctx, "k"); ok {
			t.Fatal("hit while down")
		}
		c.Delete(ctx, "k")
		InvalidateOrders(ctx, c, 1)
		if n, err := c.Incr(ctx, "rate", time.Minute); err != nil || n != int64(i+1) {
			t.Fatalf("Incr while down = %d, %v; want %d from the in-process counter", n, err, i+1)
		}
	}
	if Generation(ctx, c, 1, FamilyOrders) != 0 {
		t.Fatal("generation while down is not 0")
	}
	// 5,000 calls went nowhere near the network: at most one background probe ran meanwhile (2 s cool-down).
	if n := v.attempts.Load() - attempts; n > 1 {
		t.Fatalf("%d attempts to reach Valkey during 5000 calls", n)
	}
	if n := v.dials.Load() - dials; n > 1 {
		t.Fatalf("%d dials during 5000 calls", n)
	}
	if n := v.pending.n.Load(); n != int64(1+2+len(StatsPeriods)) {
		t.Fatalf("%d invalidations remembered; want the same few recorded once", n)
	}
}

func TestValkey_CancelledCallerDoesNotOpenTheCircuit(t *testing.T) {
	v := newTestValkey(t, testValkeyURL(t), WithBreaker(1, time.Minute, time.Minute))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 10 {
		v.Get(ctx, "k")
		v.Set(ctx, "k", []byte("v"), time.Second)
		if _, err := v.Incr(ctx, "k", time.Second); !errors.Is(err, context.Canceled) {
			t.Fatalf("Incr with a cancelled context: %v", err)
		}
	}
	if v.Status() != StatusUp {
		t.Fatal("cancelled callers opened the circuit")
	}
}

// redisServer runs a private redis-server on port, persisting to dir only on an explicit SAVE.
type redisServer struct {
	t    *testing.T
	cmd  *exec.Cmd
	addr string
	once sync.Once
}

func startRedis(t *testing.T, port int, dir string) *redisServer {
	t.Helper()
	s := &redisServer{t: t, addr: "127.0.0.1:" + strconv.Itoa(port)}
	s.cmd = exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", dir)
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	t.Cleanup(s.kill)
	eventually(t, 5*time.Second, "redis-server answers", func() bool {
		_, err := s.do(func(b valkey.Builder) valkey.Completed { return b.Ping().Build() })
		return err == nil
	})
	return s
}

// do sends one command on a fresh connection (so nothing is cached or pooled across restarts).
func (s *redisServer) do(cmd func(valkey.Builder) valkey.Completed) (valkey.ValkeyResult, error) {
	c, err := valkey.NewClient(valkey.ClientOption{InitAddress: []string{s.addr}, DisableCache: true,
		Dialer: net.Dialer{Timeout: 200 * time.Millisecond}})
	if err != nil {
		return valkey.ValkeyResult{}, err
	}
	defer c.Close()
	r := c.Do(context.Background(), cmd(c.B()))
	return r, r.Error()
}

func (s *redisServer) kill() {
	s.once.Do(func() {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	})
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestValkey_RecoversAfterARestartAndReplaysInvalidations(t *testing.T) {
	testutil.Command(t, "redis-server", "install redis-server (apt-get install -y redis-server) to run the restart test")
	ctx := context.Background()
	port, dir := freePort(t), t.TempDir()
	srv := startRedis(t, port, dir)
	v := newTestValkey(t, "redis://"+srv.addr+"/0", WithBreaker(3, 50*time.Millisecond, 300*time.Millisecond))
	if v.Status() != StatusUp {
		t.Fatal("not up")
	}

	const biz = 42
	stale, kept := CustomerKey(biz, 1), CustomerKey(biz, 2)
	v.Set(ctx, stale, []byte("old"), time.Hour)
	v.Set(ctx, kept, []byte("kept"), time.Hour)
	v.Set(ctx, StatsKey(biz, "7d"), []byte("old stats"), time.Hour)
	InvalidateOrders(ctx, v, biz) // orders generation 1
	if got, ok := v.Get(ctx, stale); !ok || string(got) != "old" {
		t.Fatalf("Get = %q, %v", got, ok)
	}
	if _, err := srv.do(func(b valkey.Builder) valkey.Completed { return b.Save().Build() }); err != nil { // what the restarted server will load
		t.Fatal(err)
	}

	srv.kill()
	eventually(t, 2*time.Second, "circuit opens", func() bool {
		v.Get(ctx, stale)
		return v.Status() == StatusDown
	})

	// While down: invalidations are recorded, everything else is a fast no-op that stays off the network.
	attempts, dials := v.attempts.Load(), v.dials.Load()
	InvalidateCustomer(ctx, v, biz, 1)
	InvalidateOrders(ctx, v, biz)
	calls := 0
	for start := time.Now(); time.Since(start) < 500*time.Millisecond; calls++ {
		if _, ok := v.Get(ctx, kept); ok {
			t.Fatal("hit while down")
		}
		v.Set(ctx, kept, []byte("ignored"), time.Hour)
		if _, err := v.Incr(ctx, "rate", time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	// Probes run after 50, 100, 200, 300 ms…: a handful in 500 ms, each one attempt and a dial or two.
	if n := v.attempts.Load() - attempts; n > 8 || calls < 1000 {
		t.Fatalf("%d attempts to reach Valkey during %d calls while the circuit was open", n, 3*calls)
	}
	if n := v.dials.Load() - dials; n > 16 {
		t.Fatalf("%d dials during %d calls while the circuit was open", n, 3*calls)
	}

	get := func(key string) func(valkey.Builder) valkey.Completed {
		return func(b valkey.Builder) valkey.Completed { return b.Get().Key(key).Build() }
	}
	srv = startRedis(t, port, dir) // same port; loads the saved keys, the stale one included
	eventually(t, 5*time.Second, "status back to up", func() bool { return v.Status() == StatusUp })

	if r, _ := srv.do(get(kept)); r.Error() != nil {
		t.Fatalf("the restarted server did not load the saved keys: %v", r.Error())
	}
	if r, _ := srv.do(get(stale)); !valkey.IsValkeyNil(r.Error()) {
		t.Fatal("delete recorded while down was not replayed")
	}
	if r, _ := srv.do(get(StatsKey(biz, "7d"))); !valkey.IsValkeyNil(r.Error()) {
		t.Fatal("stats delete recorded while down was not replayed")
	}
	// A read that times out on a busy machine is a miss (generation 0), so ask until the answer comes.
	eventually(t, 5*time.Second, "orders generation 2 (1 saved + 1 replayed)", func() bool {
		return Generation(ctx, v, biz, FamilyOrders) == 2
	})
	if v.pending.n.Load() != 0 {
		t.Fatal("replayed invalidations still pending")
	}
	if got, ok := v.Get(ctx, kept); !ok || string(got) != "kept" {
		t.Fatalf("Get after recovery = %q, %v", got, ok)
	}
}

func TestBreaker_OpensAfterThresholdProbesAndCloses(t *testing.T) {
	b := newBreaker(3, 5*time.Millisecond, 20*time.Millisecond)
	defer b.close()
	var healthy atomic.Bool
	var probes, opened, closed atomic.Int32
	b.probe = func(context.Context) error {
		probes.Add(1)
		if healthy.Load() {
			return nil
		}
		return errors.New("still down")
	}
	b.onOpen = func(error) { opened.Add(1) }
	b.onClose = func(time.Duration) { closed.Add(1) }

	b.failure(errors.New("x"))
	b.failure(errors.New("x"))
	b.success() // not consecutive any more
	b.failure(errors.New("x"))
	b.failure(errors.New("x"))
	if !b.allow() {
		t.Fatal("opened before 3 consecutive failures")
	}
	b.failure(errors.New("x"))
	b.failure(errors.New("x")) // already open: no second log, no second prober
	if b.allow() || opened.Load() != 1 {
		t.Fatalf("allow = %v, opened %d times", b.allow(), opened.Load())
	}
	eventually(t, time.Second, "probes keep running", func() bool { return probes.Load() >= 3 })
	healthy.Store(true)
	eventually(t, time.Second, "closes after a good probe", b.allow)
	if closed.Load() != 1 {
		t.Fatalf("closed %d times", closed.Load())
	}
}

func TestPendingSet_IsBoundedAndKeepsWhatWasRecordedAgainDuringAReplay(t *testing.T) {
	p := newPendingSet(3)
	if p.addDeletes([]string{"a", "b"}) || p.addBump("g", time.Hour) {
		t.Fatal("dropping below the limit")
	}
	if !p.addDeletes([]string{"c", "a"}) { // a is already there and costs nothing; c is dropped
		t.Fatal("first drop not reported")
	}
	if p.addBump("h", time.Hour) {
		t.Fatal("second drop reported again")
	}
	dels, bumps, dropped := p.snapshot()
	if len(dels) != 2 || len(bumps) != 1 || dropped != 2 {
		t.Fatalf("snapshot: %v %v %d", dels, bumps, dropped)
	}
	p.addDeletes([]string{"a"}) // recorded again while the snapshot is being replayed
	p.forget(dels, bumps, dropped)
	dels, bumps, dropped = p.snapshot()
	if len(dels) != 1 || dels["a"] == 0 || len(bumps) != 0 || dropped != 0 || p.n.Load() != 1 {
		t.Fatalf("after forget: %v %v %d (n=%d); want only a", dels, bumps, dropped, p.n.Load())
	}
}
