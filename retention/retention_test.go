package retention_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/waorder/waorder/mediastore"
	"github.com/waorder/waorder/merchant/merchanttest"
	"github.com/waorder/waorder/metrics"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/retention"
	"github.com/waorder/waorder/testutil"
)

const day = 24 * time.Hour

var quiet = slog.New(slog.DiscardHandler)

type fixture struct {
	store *repository.Store
	biz   merchanttest.Biz
}

func newFixture(t *testing.T, s *repository.Store) *fixture {
	return &fixture{store: s, biz: merchanttest.Seed(t, s, "Retained", 3)}
}

func (f *fixture) statuses(t *testing.T, n int, age time.Duration) {
	t.Helper()
	at := time.Now().UTC().Add(-age)
	rows := make([]models.MessageStatus, n)
	for i := range rows {
		rows[i] = models.MessageStatus{BusinessID: f.biz.Business.ID, Wamid: "wamid." + testutil.RandomHex(8), Status: "delivered",
			Payload: `{"status":"delivered"}`, StatusAt: at, ReceivedAt: at}
	}
	must(t, f.store.DB(context.Background()).CreateInBatches(&rows, 100).Error)
}

func (f *fixture) events(t *testing.T, n int, age time.Duration) {
	t.Helper()
	at := time.Now().UTC().Add(-age)
	for range n {
		biz := f.biz.Business.ID
		must(t, f.store.StoreEvent(context.Background(), models.WebhookEvent{BusinessID: &biz, Kind: models.EventKindEvent,
			Field: "account_update", Payload: `{}`, Hash: testutil.RandomHex(16), ReceivedAt: at}))
	}
}

func (f *fixture) outbound(t *testing.T, status models.OutboundStatus, code int, age time.Duration) int64 {
	t.Helper()
	at := time.Now().UTC().Add(-age)
	m := models.OutboundMessage{BusinessID: f.biz.Business.ID, PhoneNumberID: f.biz.Phone.ID, CustomerID: f.biz.Customer.ID,
		ToWaID: f.biz.Customer.WaID, Kind: "text", Payload: `{"type":"text","text":{"body":"Your order is ready"}}`,
		Summary: "Your order is ready", Status: status, IdempotencyKey: "k:" + testutil.RandomHex(8), ErrorCode: code,
		NextAttemptAt: at, CreatedAt: at, UpdatedAt: at}
	must(t, f.store.DB(context.Background()).Create(&m).Error)
	return m.ID
}

// inbound stores one customer message received age ago.
func (f *fixture) inbound(t *testing.T, age time.Duration) {
	t.Helper()
	at := time.Now().UTC().Add(-age)
	must(t, f.store.DB(context.Background()).Create(&models.InboundMessage{BusinessID: f.biz.Business.ID,
		PhoneNumberID: f.biz.Phone.ID, CustomerID: f.biz.Customer.ID, Wamid: "wamid." + testutil.RandomHex(8), Type: "text",
		Body: "hello", Payload: `{}`, SentAt: at, ReceivedAt: at}).Error)
}

func (f *fixture) count(t *testing.T, table string) int64 {
	t.Helper()
	var n int64
	must(t, f.store.DB(context.Background()).Raw("SELECT COUNT(*) FROM "+table).Scan(&n).Error)
	return n
}

func (f *fixture) payload(t *testing.T, id int64) string {
	t.Helper()
	m, err := f.store.Outbound(context.Background(), f.biz.Business.ID, id)
	must(t, err)
	return m.Payload
}

func TestPass_RemovesWhatIsOlderThanItsAgeInBatchesAndKeepsOrders(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			f := newFixture(t, be.Open(t))
			f.statuses(t, 7, 40*day)
			f.statuses(t, 2, 2*day)
			f.events(t, 5, 40*day)
			f.events(t, 1, time.Hour)
			oldSent := f.outbound(t, models.OutSent, 0, 40*day)
			oldRead := f.outbound(t, models.OutRead, 0, 40*day)
			oldFailed := f.outbound(t, models.OutFailed, 131026, 40*day)
			oldWindow := f.outbound(t, models.OutFailed, 131047, 40*day) // may still go out as a template
			oldQueued := f.outbound(t, models.OutQueued, 0, 40*day)      // waiting for a reconnection
			oldHeld := f.outbound(t, models.OutHeld, 0, 40*day)
			newRead := f.outbound(t, models.OutRead, 0, day)
			f.inbound(t, 40*day)
			_, err := f.store.Conversation(context.Background(), f.biz.Business.ID, f.biz.Customer.ID)
			must(t, err)
			kept := map[string]int64{}
			for _, table := range []string{"orders", "customers", "conversations", "inbound_messages"} {
				kept[table] = f.count(t, table)
			}
			m := metrics.New()
			p := retention.New(f.store, nil, retention.Options{StatusAge: 30 * day, EventAge: 30 * day, OutboundAge: 7 * day,
				Batch: 2}, quiet, m)

			res, err := p.Pass(context.Background())
			if err != nil || !res.Completed {
				t.Fatalf("pass: %+v %v", res, err)
			}
			if res.Statuses != 7 || res.Events != 5 || res.Outbound != 3 {
				t.Fatalf("pass did %+v, want 7 statuses and 5 events deleted, 3 outbound compacted", res)
			}
			if n := f.count(t, "message_statuses"); n != 2 {
				t.Errorf("%d statuses left, want the 2 recent ones", n)
			}
			if n := f.count(t, "webhook_events"); n != 1 {
				t.Errorf("%d events left, want the recent one", n)
			}
			for _, id := range []int64{oldSent, oldRead, oldFailed} {
				if p := f.payload(t, id); p != "" {
					t.Errorf("finished outbound %d kept its payload %q", id, p)
				}
			}
			for _, id := range []int64{oldWindow, oldQueued, oldHeld, newRead} {
				if p := f.payload(t, id); p == "" {
					t.Errorf("outbound %d lost its payload: it is unsent, may be resent, or is recent", id)
				}
			}
			if n := f.count(t, "outbound_messages"); n != 7 {
				t.Errorf("%d outbound rows, want all 7 kept (compacted rows stay for the conversation)", n)
			}
			for table, n := range kept {
				if n == 0 {
					t.Fatalf("the fixture has no %s to keep", table)
				}
				if got := f.count(t, table); got != n {
					t.Errorf("%d %s left, want all %d: retention never removes them", got, table, n)
				}
			}
			again, err := p.Pass(context.Background())
			if err != nil || again.Statuses+again.Events+again.Outbound != 0 {
				t.Fatalf("a second pass found more work: %+v %v", again, err)
			}
			if got := counterValue(t, m, "message_statuses", "deleted"); got != 7 {
				t.Errorf("waorder_retention_rows_total for statuses = %v, want 7", got)
			}
		})
	}
}

func TestPass_ZeroAgeKeepsThatKindForever(t *testing.T) {
	f := newFixture(t, testutil.SQLite(t))
	f.statuses(t, 3, 400*day)
	f.events(t, 3, 400*day)
	res, err := retention.New(f.store, nil, retention.Options{EventAge: 30 * day}, quiet, nil).Pass(context.Background())
	if err != nil || res.Statuses != 0 || res.Events != 3 {
		t.Fatalf("pass %+v %v: want only the events purged", res, err)
	}
	if n := f.count(t, "message_statuses"); n != 3 {
		t.Fatalf("%d statuses left, want 3", n)
	}
}

func TestPass_ConcurrentInstancesShareTheWorkWithoutErrors(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			f := newFixture(t, be.Open(t))
			const old = 400
			f.statuses(t, old, 40*day)
			f.statuses(t, 5, time.Hour)
			var (
				wg    sync.WaitGroup
				mu    sync.Mutex
				total int64
				errs  []error
			)
			for range 4 { // four instances, each with its own pass over the same database
				wg.Add(1)
				go func() {
					defer wg.Done()
					res, err := retention.New(f.store, nil, retention.Options{StatusAge: 30 * day, Batch: 7}, quiet, nil).
						Pass(context.Background())
					mu.Lock()
					defer mu.Unlock()
					total += res.Statuses
					if err != nil {
						errs = append(errs, err)
					}
				}()
			}
			wg.Wait()
			if len(errs) > 0 {
				t.Fatalf("concurrent passes failed: %v", errs)
			}
			if total != old {
				t.Fatalf("the passes deleted %d rows together, want %d (each once)", total, old)
			}
			if n := f.count(t, "message_statuses"); n != 5 {
				t.Fatalf("%d statuses left, want the 5 recent ones", n)
			}
		})
	}
}

func counterValue(t *testing.T, m *metrics.Metrics, labels ...string) float64 {
	t.Helper()
	fams, err := m.Registry.Gather()
	must(t, err)
	for _, fam := range fams {
		if fam.GetName() != "waorder_retention_rows_total" {
			continue
		}
		for _, mt := range fam.GetMetric() {
			if fmt.Sprint(mt.GetLabel()[1].GetValue(), mt.GetLabel()[0].GetValue()) == fmt.Sprint(labels[0], labels[1]) {
				return mt.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// media records a customer's picture received age ago, its file in files (status stored), and returns its id and key.
func (f *fixture) media(t *testing.T, files mediastore.Store, age time.Duration, status models.MediaStatus) (int64, string) {
	t.Helper()
	ctx := context.Background()
	at := time.Now().UTC().Add(-age)
	msg := models.InboundMessage{BusinessID: f.biz.Business.ID, PhoneNumberID: f.biz.Phone.ID, CustomerID: f.biz.Customer.ID,
		Wamid: "wamid." + testutil.RandomHex(8), Type: "image", Payload: "{}", SentAt: at, ReceivedAt: at, ProcessedAt: &at}
	must(t, f.store.DB(ctx).Create(&msg).Error)
	key := ""
	if status == models.MediaStored {
		key = mediastore.Key(fmt.Sprintf("b%d/in", f.biz.Business.ID), ".jpg")
		must(t, files.Put(ctx, key, []byte("\xff\xd8\xff picture"), "image/jpeg"))
	}
	m := models.InboundMedia{BusinessID: f.biz.Business.ID, InboundMessageID: msg.ID, PhoneNumberID: f.biz.Phone.ID,
		Kind: "image", MediaID: "m-" + testutil.RandomHex(4), MimeType: "image/jpeg", StorageKey: key, Status: status,
		NextAttemptAt: at, CreatedAt: at, UpdatedAt: at}
	must(t, f.store.DB(ctx).Create(&m).Error)
	return m.ID, key
}

// localFiles is a media store in a folder of the test's own.
func localFiles(t *testing.T) *mediastore.Local {
	t.Helper()
	files, err := mediastore.NewLocal(t.TempDir())
	must(t, err)
	t.Cleanup(func() { files.Close() })
	return files
}

func TestPass_RemovesOldCustomerFilesAndKeepsTheirMessages(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, be.Open(t))
			files := localFiles(t)
			var old []int64
			var oldKeys []string
			for range 5 {
				id, key := f.media(t, files, 100*day, models.MediaStored)
				old, oldKeys = append(old, id), append(oldKeys, key)
			}
			recent, recentKey := f.media(t, files, 10*day, models.MediaStored)
			failed, _ := f.media(t, files, 100*day, models.MediaFailed)
			res, err := retention.New(f.store, files, retention.Options{MediaAge: 90 * day, Batch: 2}, quiet, nil).Pass(ctx)
			if err != nil || res.Media != 5 || !res.Completed {
				t.Fatalf("pass: %+v %v, want 5 files removed", res, err)
			}
			for i, id := range old {
				m, err := f.store.InboundMedia(ctx, f.biz.Business.ID, id)
				must(t, err)
				if m.Status != models.MediaExpired || m.StorageKey != "" || m.Reason != "removed after 90 days (media retention)" {
					t.Errorf("old file %d: %+v", id, m)
				}
				if _, _, err := files.Open(ctx, oldKeys[i]); !errors.Is(err, mediastore.ErrNotFound) {
					t.Errorf("old file %s still in the store: %v", oldKeys[i], err)
				}
			}
			if m, _ := f.store.InboundMedia(ctx, f.biz.Business.ID, recent); m.Status != models.MediaStored {
				t.Errorf("recent file: %s", m.Status)
			}
			if r, _, err := files.Open(ctx, recentKey); err != nil {
				t.Errorf("recent file gone from the store: %v", err)
			} else {
				r.Close()
			}
			if m, _ := f.store.InboundMedia(ctx, f.biz.Business.ID, failed); m.Status != models.MediaFailed {
				t.Errorf("refused file: %s", m.Status)
			}
			if n := f.count(t, "inbound_messages"); n != 7 {
				t.Errorf("%d messages left, want all 7", n)
			}
		})
	}
}

// A pass that stopped between marking files and removing them leaves them expiring; the next pass finishes them,
// and a file already gone from the store is no error.
func TestPass_FinishesFilesAnInterruptedPassLeftExpiring(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, be.Open(t))
			files := localFiles(t)
			id, key := f.media(t, files, 100*day, models.MediaStored)
			if got, err := f.store.ExpiringMedia(ctx, time.Now().Add(-90*day), 10); err != nil || len(got) != 1 {
				t.Fatalf("mark expiring: %v %v", got, err)
			}
			must(t, files.Delete(ctx, key)) // the interrupted pass got this far
			res, err := retention.New(f.store, files, retention.Options{MediaAge: 90 * day}, quiet, nil).Pass(ctx)
			if err != nil || res.Media != 1 {
				t.Fatalf("pass: %+v %v", res, err)
			}
			if m, _ := f.store.InboundMedia(ctx, f.biz.Business.ID, id); m.Status != models.MediaExpired {
				t.Fatalf("status %s, want expired", m.Status)
			}
		})
	}
}
