package outbox

import (
	"testing"
	"time"
)

// The limiter is tested on a made-up clock: every "now" is given, nothing sleeps.

func TestLimiter_PairRateAllowsABurstThenOneEveryPeriod(t *testing.T) {
	l := newLimiter()
	l.configure(6*time.Second, 3, 0)
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for i := range 3 {
		if wait, ok := l.reserve(t0, 1, 1000, "ann"); !ok || wait != 0 {
			t.Fatalf("burst message %d: wait %v ok %v", i, wait, ok)
		}
	}
	wait, ok := l.reserve(t0, 1, 1000, "ann")
	if ok || wait != 6*time.Second {
		t.Fatalf("4th message: wait %v ok %v; want put off by one period", wait, ok)
	}
	if wait, ok := l.reserve(t0, 1, 1000, "bob"); !ok || wait != 0 {
		t.Fatalf("another recipient waits %v", wait)
	}
	if wait, ok := l.reserve(t0.Add(6*time.Second), 1, 1000, "ann"); !ok || wait != 0 {
		t.Fatalf("after a period: wait %v ok %v", wait, ok)
	}
}

func TestLimiter_GapBetweenTwoMessagesToOneRecipient(t *testing.T) {
	l := newLimiter()
	l.configure(time.Millisecond, 100, 250*time.Millisecond)
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	l.reserve(t0, 1, 1000, "ann")
	if wait, ok := l.reserve(t0.Add(200*time.Millisecond), 1, 1000, "ann"); !ok || wait != 50*time.Millisecond {
		t.Fatalf("wait %v ok %v; want a short inline wait of 50ms", wait, ok)
	}
	if wait, ok := l.reserve(t0.Add(300*time.Millisecond), 1, 1000, "ann"); ok || wait != 200*time.Millisecond {
		t.Fatalf("wait %v ok %v; want put off by 200ms", wait, ok)
	}
}

func TestLimiter_PhoneThroughputIsATokenBucketOfOneSecond(t *testing.T) {
	l := newLimiter()
	l.configure(time.Nanosecond, 1<<20, 0)
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for i := range 80 {
		if wait, ok := l.reserve(t0, 7, 80, string(rune('a'+i%26))+string(rune('a'+i/26))); !ok || wait != 0 {
			t.Fatalf("message %d of the first second waits %v", i, wait)
		}
	}
	wait, ok := l.reserve(t0, 7, 80, "zz")
	if !ok || wait != time.Second/80 {
		t.Fatalf("81st: wait %v ok %v; want 12.5ms", wait, ok)
	}
	// Another number has its own budget.
	if wait, _ := l.reserve(t0, 8, 80, "zz"); wait != 0 {
		t.Fatalf("another number waits %v", wait)
	}
}

func TestLimiter_PausesFromMeta(t *testing.T) {
	l := newLimiter()
	l.configure(time.Nanosecond, 100, 0)
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	l.pausePhone(1, t0.Add(2*time.Second))
	if wait, ok := l.reserve(t0, 1, 80, "ann"); ok || wait != 2*time.Second {
		t.Fatalf("paused number: wait %v ok %v", wait, ok)
	}
	l.blockPair(2, "ann", t0.Add(time.Second))
	if wait, _ := l.reserve(t0, 2, 80, "ann"); wait != time.Second {
		t.Fatalf("blocked pair waits %v", wait)
	}
	if wait, _ := l.reserve(t0, 2, 80, "bob"); wait != 0 {
		t.Fatalf("another recipient of that number waits %v", wait)
	}
	l.pauseAll(t0.Add(3 * time.Second))
	if wait, _ := l.reserve(t0, 3, 80, "cy"); wait != 3*time.Second {
		t.Fatalf("app-wide pause: wait %v", wait)
	}
}

func TestBackoff_FullJitterCappedAndRetryAfterWins(t *testing.T) {
	o := &Outbox{BaseBackoff: time.Second, MaxBackoff: 10 * time.Minute}
	for attempts := 1; attempts < 40; attempts++ {
		ceil := min(10*time.Minute, time.Second<<min(attempts-1, 30))
		for range 50 {
			if d := o.backoff(attempts, 0); d < 0 || d > ceil {
				t.Fatalf("attempt %d: %v outside [0, %v]", attempts, d, ceil)
			}
		}
	}
	if d := o.backoff(1, 30*time.Minute); d != 30*time.Minute {
		t.Fatalf("Retry-After 30m gave %v", d)
	}
}

func TestTemplateParam_OneLineWithinMetasLimit(t *testing.T) {
	if got := templateParam("Order #4\n\n  is   ready\t!"); got != "Order #4 · is ready !" {
		t.Fatalf("%q", got)
	}
	if got := templateParam(" \n "); got != "-" {
		t.Fatalf("%q", got)
	}
}

// A backlog of new customers does not pile up in memory: seconds after a recipient's schedule has recovered it is
// forgotten, while one still paying back its burst is kept (and keeps its schedule).
func TestLimiter_ForgetsRecoveredRecipientsWithinSeconds(t *testing.T) {
	l := newLimiter()
	l.configure(6*time.Second, 30, 0)
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	l.reserve(t0, 1, 1000, "ann") // one reply: recovered 6 s later
	for range 5 {                 // five replies: 30 s of schedule to pay back
		l.reserve(t0, 1, 1000, "bob")
	}
	at := t0.Add(20 * time.Second)
	l.reserve(at, 1, 1000, "cid")
	if _, kept := l.pairs[pairKey{1, "ann"}]; kept {
		t.Fatalf("ann recovered 14 s ago and is still kept (%d recipients)", len(l.pairs))
	}
	if _, kept := l.pairs[pairKey{1, "bob"}]; !kept {
		t.Fatal("bob's schedule was forgotten before it recovered")
	}
	if len(l.pairs) != 2 {
		t.Fatalf("%d recipients kept, want bob and cid", len(l.pairs))
	}
}
