package repository_test

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
)

func TestFailures_FailedAndHeldRepliesAreListedForTheirBusinessAndRetriedOnce(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			s := be.Open(t)
			e := newOutEnv(t, s, "p-"+testutil.RandomHex(4))
			other := newOutEnv(t, s, "p-"+testutil.RandomHex(4))
			c := e.customer(t, "1555", time.Now())
			failed, held, fine := e.enqueue(t, c, "k-failed", "text"), e.enqueue(t, c, "k-held", "text"), e.enqueue(t, c, "k-fine", "text")
			claimed, err := s.ClaimOutbound(ctx, 3, time.Minute, "w")
			if err != nil || len(claimed) == 0 {
				t.Fatalf("claim: %v %v", claimed, err)
			}
			failed.ClaimedBy, held.ClaimedBy = "w", "w"
			failed.Attempts = 12
			if err := s.FailOutbound(ctx, failed, 500, "gave up after 12 attempts: 500"); err != nil {
				t.Fatal(err)
			}
			// Only the chat's oldest message is claimed: release it and claim the next to hold it.
			if _, err := s.ClaimOutbound(ctx, 3, time.Minute, "w"); err != nil {
				t.Fatal(err)
			}
			if err := s.HoldOutbound(ctx, held, time.Now(), 0, "outside 24h window, no template configured"); err != nil {
				t.Fatal(err)
			}
			list, err := s.OutboundNeedingAttention(ctx, e.biz.ID, 50)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 2 || list[0].ID != held.ID || list[1].ID != failed.ID || list[1].LastError == "" {
				t.Fatalf("attention list %+v; want held then failed, with reasons (not %d)", list, fine.ID)
			}
			if l, _ := s.OutboundNeedingAttention(ctx, other.biz.ID, 50); len(l) != 0 {
				t.Fatalf("another business sees %d of them", len(l))
			}
			if cs, err := s.CustomersByID(ctx, e.biz.ID, []int64{c.ID, c.ID + 1_000_000}); err != nil || len(cs) != 1 || cs[c.ID].WaID != "1555" {
				t.Fatalf("the list's customers %+v, %v; want only 1555", cs, err)
			}
			if cs, _ := s.CustomersByID(ctx, other.biz.ID, []int64{c.ID}); len(cs) != 0 {
				t.Fatalf("another business loads the customer: %+v", cs)
			}
			if err := s.RetryOutbound(ctx, other.biz.ID, failed.ID); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("another business retried it: %v", err)
			}
			if err := s.RetryOutbound(ctx, e.biz.ID, failed.ID); err != nil {
				t.Fatal(err)
			}
			got := e.get(t, failed.ID)
			if got.Status != models.OutQueued || got.Attempts != 0 || got.FailedAt != nil || got.LastError == "" {
				t.Fatalf("retried row %+v; want queued, attempts 0, the last reason kept", got)
			}
			if err := s.RetryOutbound(ctx, e.biz.ID, failed.ID); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("a second retry of a queued message: %v", err)
			}
		})
	}
}

func TestFailures_InboundGivenUpIsSettledOnceWithOneFallback(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			s := be.Open(t)
			e := newOutEnv(t, s, "p-"+testutil.RandomHex(4))
			c := e.customer(t, "1666", time.Now())
			msgs, err := s.InboundMessages(ctx, e.biz.ID, 1)
			if err != nil || len(msgs) != 1 {
				t.Fatalf("inbound %v %v", msgs, err)
			}
			for i, want := range []bool{true, false} {
				fb := &models.OutboundMessage{BusinessID: e.biz.ID, PhoneNumberID: e.phone.ID, CustomerID: c.ID, ToWaID: c.WaID,
					Kind: "text", Payload: "{}", IdempotencyKey: "fallback:" + msgs[0].Wamid}
				settled, err := s.GiveUpInbound(ctx, msgs[0], "panic: boom", fb)
				if err != nil || settled != want {
					t.Fatalf("give up #%d: settled %v, %v", i+1, settled, err)
				}
			}
			failed, err := s.FailedInbound(ctx, e.biz.ID, 10)
			if err != nil || len(failed) != 1 || failed[0].ProcessError != "panic: boom" {
				t.Fatalf("failed inbound %+v %v", failed, err)
			}
			var n int64
			s.DB(ctx).Model(&models.OutboundMessage{}).Where("idempotency_key = ?", "fallback:"+msgs[0].Wamid).Count(&n)
			if n != 1 {
				t.Fatalf("%d fallback replies", n)
			}
		})
	}
}

// A retry gives a reply a fresh HELD_MESSAGE_TTL: held again after the merchant's retry, a reply written long ago
// is not expired by the next sweep; it keeps its place in the thread (created_at).
func TestFailures_RetryRestartsTheHeldTTLAndKeepsThePlaceInTheThread(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			s := be.Open(t)
			e := newOutEnv(t, s, "p-"+testutil.RandomHex(4))
			c := e.customer(t, "1777", time.Now().Add(-48*time.Hour))
			m := e.enqueue(t, c, "k-old", "text")
			written := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)
			if err := s.DB(ctx).Exec("UPDATE outbound_messages SET created_at = ?, status = 'held' WHERE id = ?", written, m.ID).Error; err != nil {
				t.Fatal(err)
			}
			if err := s.RetryOutbound(ctx, e.biz.ID, m.ID); err != nil {
				t.Fatal(err)
			}
			claimed, err := s.ClaimOutbound(ctx, 10, time.Minute, "w")
			if err != nil || len(claimed) != 1 || claimed[0].ID != m.ID {
				t.Fatalf("claimed %+v, %v; want the retried reply", claimed, err)
			}
			if err := s.HoldOutbound(ctx, claimed[0], time.Now(), 0, "outside 24h window, no template configured"); err != nil {
				t.Fatal(err)
			}
			ttl := time.Hour
			if n, err := s.ExpireHeld(ctx, time.Now().Add(-ttl), "expired", 10); err != nil || n != 0 {
				t.Fatalf("the sweep expired %d retried replies (%v); the retry was a moment ago", n, err)
			}
			got := e.get(t, m.ID)
			if got.Status != models.OutHeld || !got.CreatedAt.Equal(written) || time.Since(got.QueuedAt()) > time.Minute {
				t.Fatalf("row %+v; want held, written at %v, queued just now", got, written)
			}
			if n, err := s.ExpireHeld(ctx, time.Now().Add(time.Minute), "expired", 10); err != nil || n != 1 {
				t.Fatalf("a sweep past its retry expired %d (%v), want 1", n, err)
			}
		})
	}
}

// skewedPostgres opens a store on PostgreSQL whose clock (now() in SQL) is an hour behind this process's, as a
// database server's may be behind an instance's: the schema's own now() comes before pg_catalog's on the path.
func skewedPostgres(t *testing.T) *repository.Store {
	t.Helper()
	ctx := context.Background()
	u, err := url.Parse(testutil.PostgresSchemaURL(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	schema := q.Get("search_path")
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE FUNCTION `+schema+`.now() RETURNS timestamptz LANGUAGE sql STABLE
		AS $$ SELECT pg_catalog.now() - interval '1 hour' $$`); err != nil {
		t.Fatal(err)
	}
	q.Set("search_path", schema+",pg_catalog")
	u.RawQuery = q.Encode()
	s, err := repository.Open(ctx, u.String(), "", repository.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var behind bool
	if err := s.DB(ctx).Raw("SELECT now() < ?", time.Now().Add(-50*time.Minute)).Scan(&behind).Error; err != nil || !behind {
		t.Fatalf("the database's clock is not behind (%v)", err)
	}
	return s
}

// The sweeps that settle dead work leave a row alone while its lease runs on the database's clock, the one the
// claims write leases on. With the instance's clock an hour ahead, comparing against it would take every lease
// for spent: a message still in its last attempt settled as given up, a held reply being sent expired under its
// worker. (SQLite is embedded: its clock is the process's.)
func TestFailures_SweepsCompareLeasesOnTheDatabaseClock(t *testing.T) {
	ctx := context.Background()
	s := skewedPostgres(t)
	e := newOutEnv(t, s, "p-"+testutil.RandomHex(4))
	c := e.customer(t, "1888", time.Now())
	claimed, err := s.ClaimUnprocessed(ctx, nil, 10, time.Minute, 1)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claimed %v, %v", claimed, err)
	}
	if ex, err := s.ExhaustedInbound(ctx, 1, 10); err != nil || len(ex) != 0 {
		t.Fatalf("exhausted %+v (%v): a message in its last attempt, leased for another minute, was taken as dead", ex, err)
	}
	if err := s.DB(ctx).Exec("UPDATE inbound_messages SET claim_until = now() - interval '1 second' WHERE id = ?", claimed[0].ID).Error; err != nil {
		t.Fatal(err)
	}
	if ex, err := s.ExhaustedInbound(ctx, 1, 10); err != nil || len(ex) != 1 {
		t.Fatalf("exhausted %+v (%v) once its lease ran out, want the message", ex, err)
	}
	m := e.enqueue(t, c, "k-held", "text")
	if err := s.DB(ctx).Exec("UPDATE outbound_messages SET status = 'held', created_at = ?, claim_until = now() + interval '1 minute' WHERE id = ?",
		time.Now().UTC().Add(-2*time.Hour), m.ID).Error; err != nil {
		t.Fatal(err)
	}
	if n, err := s.ExpireHeld(ctx, time.Now().Add(-time.Hour), "expired", 10); err != nil || n != 0 {
		t.Fatalf("expired %d leased held replies (%v), want 0: its worker is settling it", n, err)
	}
	if err := s.DB(ctx).Exec("UPDATE outbound_messages SET claim_until = now() - interval '1 second' WHERE id = ?", m.ID).Error; err != nil {
		t.Fatal(err)
	}
	if n, err := s.ExpireHeld(ctx, time.Now().Add(-time.Hour), "expired", 10); err != nil || n != 1 {
		t.Fatalf("expired %d held replies once their lease ran out (%v), want 1", n, err)
	}
}
