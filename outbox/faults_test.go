package outbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/glebarez/go-sqlite"
	"github.com/waorder/waorder/locale"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/outbox"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
	"github.com/waorder/waorder/whatsapp"
	"github.com/waorder/waorder/whatsapp/fakegraph"
)

// explosive is the real Graph client, except that it panics on payloads containing "boom", as a bug on the send
// path would.
type explosive struct{ outbox.Sender }

func (x explosive) Send(ctx context.Context, metaPhoneID, token string, payload []byte) (string, error) {
	if strings.Contains(string(payload), "boom") {
		var m map[string][]int
		_ = m["x"][3] // index out of range: a real runtime panic
	}
	return x.Sender.Send(ctx, metaPhoneID, token, payload)
}

func TestOutbox_PanickingSendIsRetriedThenFailedWithOneFallbackAndOtherSendsGoOn(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newEnv(t, be.Open(t), true)
			other := e.customer(t, "15550002", true)
			bad := e.enqueue(t, e.cust, "k-boom", "boom")
			good := e.enqueue(t, other, "k-good", "Hello Bob")
			client := whatsapp.NewClient(e.srv.URL, "v23.0", &http.Client{Timeout: 5 * time.Second})
			o := outbox.New(e.store, explosive{client}, e.box, slog.New(slog.NewTextHandler(io.Discard, nil)), e.metrics, 1000)
			o.BaseBackoff, o.MaxBackoff, o.Poll, o.RecipientGap, o.MaxAttempts = time.Millisecond, 10*time.Millisecond, 20*time.Millisecond, 0, 3
			e.run(t, o)

			e.waitStatus(t, good.ID, models.OutSent)
			failed := e.waitStatus(t, bad.ID, models.OutFailed)
			if failed.Attempts != 3 || !strings.Contains(failed.LastError, "gave up after 3 attempts: panic while sending") ||
				!strings.Contains(failed.LastError, "index out of range") {
				t.Fatalf("failed row attempts %d, reason %q", failed.Attempts, failed.LastError)
			}
			var fb []models.OutboundMessage
			if err := e.store.DB(context.Background()).Where("idempotency_key LIKE ?", "fallback:%").Find(&fb).Error; err != nil {
				t.Fatal(err)
			}
			if len(fb) != 1 || fb[0].ToWaID != e.cust.WaID {
				t.Fatalf("fallback replies %+v, want one to %s", fb, e.cust.WaID)
			}
			e.waitStatus(t, fb[0].ID, models.OutSent)
			var texts []string
			for _, r := range e.fake.Sent() {
				var m whatsapp.OutgoingMessage
				json.Unmarshal(r.Body, &m) //nolint:errcheck
				texts = append(texts, m.Text())
			}
			if len(texts) != 2 || texts[1] != locale.For("en").T("fallback.outbound") && texts[0] != locale.For("en").T("fallback.outbound") {
				t.Fatalf("Graph API received %q, want the good message and one fallback", texts)
			}
			if e.counter("failed") != 1 || e.counter("retry") != 2 {
				t.Fatalf("counters failed %v retry %v", e.counter("failed"), e.counter("retry"))
			}
		})
	}
}

func TestOutbox_AttemptIsCountedWhenTheDiskFillsDuringTheSend(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() }) //nolint:errcheck
	ctx := context.Background()
	s, err := repository.Open(ctx, "", dir, repository.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	filler := filepath.Join(dir, "filler")
	var once sync.Once
	freed := make(chan struct{})
	// The first send fills the disk and fails with a 500; the disk is freed a moment later.
	e := newEnv(t, s, true, fakegraph.WithResponder(func(fakegraph.Request) fakegraph.Response {
		first := false
		once.Do(func() {
			first = true
			var st syscall.Statfs_t
			if err := syscall.Statfs(dir, &st); err == nil {
				os.WriteFile(filler, make([]byte, int64(st.Bavail)*st.Bsize), 0o600) //nolint:errcheck
			}
			time.AfterFunc(time.Second, func() { os.Remove(filler); close(freed) }) //nolint:errcheck
		})
		if first {
			return fakegraph.ServerError()
		}
		return fakegraph.Response{}
	}))
	m := e.enqueue(t, e.cust, "k-full", "Hello")
	o := e.outbox(t, 5*time.Second)
	writes := &outcomeWrites{}
	outbox.SetLogger(o, slog.New(writes))
	e.run(t, o)
	got := e.waitStatus(t, m.ID, models.OutSent)
	<-freed
	if all, accepted := e.sends(); all != 2 || accepted != 1 || got.Attempts != 2 {
		t.Fatalf("%d sends, %d accepted, %d attempts recorded; want 2, 1, 2", all, accepted, got.Attempts)
	}
	// The premise: the outcome of the first send was written while the disk was full, and refused for it.
	if errs := writes.failed(); !slices.ContainsFunc(errs, diskFull) {
		t.Fatalf("no outcome write failed for a full disk (failures: %v)", errs)
	}
}

// outcomeWrites is a log handler that keeps the errors of the outbox's failed outcome writes.
type outcomeWrites struct {
	mu   sync.Mutex
	errs []error
}

func (h *outcomeWrites) Enabled(context.Context, slog.Level) bool { return true }
func (h *outcomeWrites) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *outcomeWrites) WithGroup(string) slog.Handler            { return h }

func (h *outcomeWrites) Handle(_ context.Context, r slog.Record) error {
	if !strings.HasPrefix(r.Message, "recording an outbound message's outcome failed") {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if err, ok := a.Value.Any().(error); ok && a.Key == "err" {
			h.mu.Lock()
			h.errs = append(h.errs, err)
			h.mu.Unlock()
		}
		return true
	})
	return nil
}

func (h *outcomeWrites) failed() []error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.errs)
}

// diskFull reports whether err is SQLite's SQLITE_FULL or the system's ENOSPC.
func diskFull(err error) bool {
	var liteErr *sqlite.Error
	return errors.Is(err, syscall.ENOSPC) || errors.As(err, &liteErr) && liteErr.Code()&0xff == 13
}

func TestOutbox_GraphOutagePastTheWindowHoldsTheMessageUntilItExpires(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, be.Open(t), true, fakegraph.WithResponder(func(fakegraph.Request) fakegraph.Response {
				return fakegraph.Unavailable() // Meta is down for the whole test
			}))
			m := e.enqueue(t, e.cust, "k-ready", "Your order is ready")
			o := e.outbox(t, time.Second)
			o.MaxAttempts, o.HeldTTL = 2, time.Minute
			e.run(t, o)
			// While the window is open the outage is retried past MaxAttempts...
			eventually(t, "more attempts than MaxAttempts", func() bool { return e.get(t, m.ID).Attempts > o.MaxAttempts+1 })
			if got := e.get(t, m.ID); got.Status != models.OutQueued {
				t.Fatalf("during the outage the message is %s (%q), want queued for another try", got.Status, got.LastError)
			}
			// ...then the customer's window closes: with no template the message is held, not failed.
			if err := e.store.DB(ctx).Exec("UPDATE customers SET last_inbound_at = ? WHERE id = ?",
				time.Now().UTC().Add(-25*time.Hour), e.cust.ID).Error; err != nil {
				t.Fatal(err)
			}
			held := e.waitStatus(t, m.ID, models.OutHeld)
			if held.LastError != outbox.HoldReason {
				t.Fatalf("held with %q", held.LastError)
			}
			// A day later it expires instead of going out stale.
			if err := e.store.DB(ctx).Exec("UPDATE outbound_messages SET created_at = ? WHERE id = ?",
				time.Now().UTC().Add(-2*time.Minute), m.ID).Error; err != nil {
				t.Fatal(err)
			}
			expired := e.waitStatus(t, m.ID, models.OutFailed)
			if !strings.HasPrefix(expired.LastError, "expired: held longer than 1m0s") || expired.FailedAt == nil {
				t.Fatalf("expired row %+v", expired)
			}
			if _, accepted := e.sends(); accepted != 0 {
				t.Fatalf("%d sends accepted during the outage", accepted)
			}
		})
	}
}

// The merchant's retry of a reply that expired (held past HELD_MESSAGE_TTL) sends it: the retry restarts the
// period, instead of the worker finding it as old as ever and failing it again at once.
func TestOutbox_RetryOfAnExpiredReplySendsIt(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, be.Open(t), false)
			m := e.enqueue(t, e.cust, "k-stale", "Your order is ready")
			o := e.outbox(t, time.Second)
			o.HeldTTL = time.Minute
			e.run(t, o)
			e.waitStatus(t, m.ID, models.OutHeld)
			if err := e.store.DB(ctx).Exec("UPDATE outbound_messages SET created_at = ? WHERE id = ?",
				time.Now().UTC().Add(-2*o.HeldTTL), m.ID).Error; err != nil {
				t.Fatal(err)
			}
			if got := e.waitStatus(t, m.ID, models.OutFailed); !strings.HasPrefix(got.LastError, "expired") {
				t.Fatalf("failed with %q, want expired", got.LastError)
			}
			e.customer(t, e.cust.WaID, true) // the customer writes; the merchant sees the expired reply and retries it
			if err := e.store.RetryOutbound(ctx, e.biz.ID, m.ID); err != nil {
				t.Fatal(err)
			}
			var got models.OutboundMessage
			eventually(t, "the retried reply settled", func() bool {
				got = e.get(t, m.ID)
				return got.Status != models.OutQueued
			})
			if got.Status != models.OutSent || got.Wamid == nil {
				t.Fatalf("the retried reply is %s (%q), want sent", got.Status, got.LastError)
			}
			if texts := e.texts(); len(texts) != 1 || texts[0] != "text:Your order is ready" {
				t.Fatalf("the Graph API accepted %q, want the retried reply once", texts)
			}
		})
	}
}
