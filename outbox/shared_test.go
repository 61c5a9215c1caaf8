package outbox_test

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/waorder/waorder/cache"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/outbox"
	"github.com/waorder/waorder/testutil"
)

// sendSpan is the time between the first and the last send the fake received.
func sendSpan(e *env) time.Duration {
	var ts []time.Time
	for _, r := range e.fake.Sent() {
		ts = append(ts, r.Time)
	}
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	return ts[len(ts)-1].Sub(ts[0])
}

// queueOnePerCustomer queues one message to each of n new customers.
func queueOnePerCustomer(t *testing.T, e *env, n int) []int64 {
	var ids []int64
	for i := range n {
		c := e.customer(t, fmt.Sprintf("1999%04d", i), true)
		ids = append(ids, e.enqueue(t, c, fmt.Sprint("r", i), fmt.Sprint("r", i)).ID)
	}
	return ids
}

// A number's rate is one budget in Valkey: two instances together send no faster than it allows. 60 messages at
// 20/s with a burst of 20 take at least 2 s; two instances each keeping 20/s of their own would take 0.5 s.
func TestOutbox_TwoInstancesTogetherKeepTheNumbersRate(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newEnv(t, be.Open(t), true)
			v, err := cache.NewValkey(context.Background(), testutil.ValkeyURL(), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(v.Close)
			prefix := "test:" + testutil.RandomHex(6) + ":"
			ids := queueOnePerCustomer(t, e, 60)
			for range 2 {
				e.run(t, newRateOutbox(t, e, v, prefix, 20))
			}
			for _, id := range ids {
				e.waitStatus(t, id, models.OutSent)
			}
			if span, least := sendSpan(e), 2*time.Second-300*time.Millisecond; span < least {
				t.Fatalf("60 sends took %s; at 20/s shared they take at least %s", span, least)
			}
		})
	}
}

// With Valkey gone, each instance keeps its share of the number's rate (the rate over the instances it last saw),
// and nothing stops sending: 60 messages from two instances at 10/s each still take at least 2 s.
func TestOutbox_ValkeyDownEachInstanceKeepsItsShare(t *testing.T) {
	e := newEnv(t, testutil.SQLite(t), true)
	url, stop := privateRedis(t)
	v, err := cache.NewValkey(context.Background(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	for range 2 {
		e.run(t, newRateOutbox(t, e, v, "test:", 20))
	}
	time.Sleep(300 * time.Millisecond) // a few heartbeats: each instance has seen the other
	stop()
	ids := queueOnePerCustomer(t, e, 60)
	for _, id := range ids {
		e.waitStatus(t, id, models.OutSent)
	}
	if span, least := sendSpan(e), 2*time.Second-300*time.Millisecond; span < least {
		t.Fatalf("60 sends took %s; at 10/s per instance they take at least %s", span, least)
	}
}

// newRateOutbox is an outbox of e whose number's budget is rate/s, shared in v.
func newRateOutbox(t *testing.T, e *env, v *cache.Valkey, prefix string, rate int) *outbox.Outbox {
	o := e.outboxWithRate(t, 5*time.Second, rate)
	o.Workers, o.Shared, o.SharedPrefix = 4, v, prefix
	return o
}

// privateRedis starts a redis-server of this test's own on a free loopback port; stop kills it.
func privateRedis(t *testing.T) (url string, stop func()) {
	t.Helper()
	bin, err := exec.LookPath("valkey-server")
	if err != nil {
		bin = testutil.Command(t, "redis-server", "install valkey-server or redis-server (apt-get install -y redis-server) to start a private one")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cmd.Process.Kill() //nolint:errcheck
			cmd.Wait()         //nolint:errcheck
		}
	}
	t.Cleanup(stop)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", l.Addr().String()); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("private redis-server did not start")
		}
	}
	return fmt.Sprintf("redis://127.0.0.1:%d/0", port), stop
}
