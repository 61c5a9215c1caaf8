package repository_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
)

// agePast sets every row of table of business biz as last changed an hour ago, so only what a test does next
// counts as a change.
func agePast(t *testing.T, s *repository.Store, table string, biz int64) {
	t.Helper()
	err := s.DB(context.Background()).Exec("UPDATE "+table+" SET updated_at = ? WHERE business_id = ?",
		time.Now().Add(-time.Hour).UTC(), biz).Error
	if err != nil {
		t.Fatal(err)
	}
}

func threadCustomers(ts []models.Thread) []int64 {
	out := make([]int64, len(ts))
	for i, th := range ts {
		out[i] = th.Customer.ID
	}
	return out
}

// What the live inbox polls: a thread shows once something happened to it (taken over, read, flagged) at or after
// the time asked, oldest change first, and never another business's.
func TestInbox_ThreadsChangedSinceListsTheChangedThreadsOldestFirst(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			s := be.Open(t)
			e, other := newOutEnv(t, s, "5100"), newOutEnv(t, s, "5101")
			ann, bob, cat := e.customer(t, "15550001", time.Now()), e.customer(t, "15550002", time.Now()), e.customer(t, "15550003", time.Now())
			stranger := other.customer(t, "15550009", time.Now())
			for _, c := range []models.Customer{ann, bob, cat} {
				if _, err := s.Conversation(ctx, e.biz.ID, c.ID); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.Conversation(ctx, other.biz.ID, stranger.ID); err != nil {
				t.Fatal(err)
			}
			agePast(t, s, "conversations", e.biz.ID)
			agePast(t, s, "conversations", other.biz.ID)
			since := time.Now().Add(-time.Minute)
			if got, err := s.ThreadsChangedSince(ctx, e.biz.ID, since, 50); err != nil || len(got) != 0 {
				t.Fatalf("before any change: %v, %v", threadCustomers(got), err)
			}

			if err := s.TakeOver(ctx, e.biz.ID, bob.ID, 7, time.Now()); err != nil {
				t.Fatal(err)
			}
			time.Sleep(5 * time.Millisecond) // the next change is later on either clock
			if err := s.FlagThread(ctx, e.biz.ID, ann.ID, "asked for a person"); err != nil {
				t.Fatal(err)
			}
			if err := s.MarkThreadRead(ctx, other.biz.ID, stranger.ID, time.Now()); err != nil {
				t.Fatal(err)
			}
			got, err := s.ThreadsChangedSince(ctx, e.biz.ID, since, 50)
			if err != nil {
				t.Fatal(err)
			}
			if ids := threadCustomers(got); len(ids) != 2 || ids[0] != bob.ID || ids[1] != ann.ID {
				t.Fatalf("changed threads %v, want bob %d then ann %d", ids, bob.ID, ann.ID)
			}
			if got[0].TakenOverAt == nil || got[0].TakenOverBy == nil || *got[0].TakenOverBy != 7 || got[1].NeedsHuman == "" {
				t.Fatalf("changed threads carry %+v", got)
			}
			if got[0].UpdatedAt.Before(since) || got[1].UpdatedAt.Before(got[0].UpdatedAt) {
				t.Fatalf("change times %v, %v after %v", got[0].UpdatedAt, got[1].UpdatedAt, since)
			}
			if first, err := s.ThreadsChangedSince(ctx, e.biz.ID, since, 1); err != nil || len(first) != 1 || first[0].Customer.ID != bob.ID {
				t.Fatalf("limit 1: %v, %v", threadCustomers(first), err)
			}
			if later, err := s.ThreadsChangedSince(ctx, e.biz.ID, time.Now().Add(time.Minute), 50); err != nil || len(later) != 0 {
				t.Fatalf("after the last change: %v, %v", threadCustomers(later), err)
			}
		})
	}
}

// What the open thread polls: a reply shows once it is queued, sent or delivered at or after the time asked, with
// its status as it is now, only for the customer asked (or all of the business's with 0), oldest change first.
func TestInbox_OutboundChangedSinceListsNewRepliesAndDeliveryStatuses(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			s := be.Open(t)
			e, other := newOutEnv(t, s, "5200"), newOutEnv(t, s, "5201")
			ann, bob := e.customer(t, "15550001", time.Now()), e.customer(t, "15550002", time.Now())
			first, second := e.enqueue(t, ann, "ann-1", "text"), e.enqueue(t, ann, "ann-2", "text")
			bobs := e.enqueue(t, bob, "bob-1", "text")
			other.enqueue(t, other.customer(t, "15550001", time.Now()), "other-1", "text")
			agePast(t, s, "outbound_messages", e.biz.ID)
			agePast(t, s, "outbound_messages", other.biz.ID)
			since := time.Now().Add(-time.Minute)
			if got, err := s.OutboundChangedSince(ctx, e.biz.ID, 0, since, 100); err != nil || len(got) != 0 {
				t.Fatalf("before any change: %d rows, %v", len(got), err)
			}

			_, claimed := claimKeys(t, s, "w", time.Minute) // one per chat: ann's first, bob's, the other business's
			for _, m := range claimed {
				if m.ID == bobs.ID || m.ID == first.ID {
					if err := s.MarkOutboundSent(ctx, m, "wamid."+m.IdempotencyKey); err != nil {
						t.Fatal(err)
					}
				}
			}
			time.Sleep(5 * time.Millisecond) // the next change is later on either clock
			e.status(t, "wamid.ann-1", "delivered", 0)
			time.Sleep(5 * time.Millisecond)
			third := e.enqueue(t, ann, "ann-3", "text")

			got, err := s.OutboundChangedSince(ctx, e.biz.ID, ann.ID, since, 100)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[0].ID != first.ID || got[1].ID != third.ID {
				t.Fatalf("ann's changed replies %+v, want the delivered one %d then the new one %d (not the untouched %d)",
					got, first.ID, third.ID, second.ID)
			}
			if got[0].Status != models.OutDelivered || got[0].DeliveredAt == nil || got[1].Status != models.OutQueued {
				t.Fatalf("statuses %s, %s", got[0].Status, got[1].Status)
			}
			all, err := s.OutboundChangedSince(ctx, e.biz.ID, 0, since, 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range all {
				if m.BusinessID != e.biz.ID {
					t.Fatalf("another business's reply listed: %+v", m)
				}
			}
			if len(all) != 3 || all[0].ID != bobs.ID || all[1].ID != first.ID || all[2].ID != third.ID {
				t.Fatalf("all customers' changed replies %+v, want bob's then ann's two", all)
			}
			if later, err := s.OutboundChangedSince(ctx, e.biz.ID, 0, time.Now().Add(time.Minute), 100); err != nil || len(later) != 0 {
				t.Fatalf("after the last change: %d rows, %v", len(later), err)
			}
		})
	}
}

// Threads an older version flagged with an English reason get its code, which the dashboard words in the
// merchant's language; a reason that is no known English text is kept.
func TestMigrate_EnglishNeedsAPersonReasonsBecomeCodes(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			s, exec := storeAtVersion(t, be, 15)
			now := time.Now().UTC()
			exec("INSERT INTO businesses (id, name, created_at, updated_at) VALUES (1, 'Cafe', ?, ?)", now, now)
			old := []string{"asked for a person", "the bot failed", "bot failed", "the bot did not understand", "", "called the shop"}
			for i, needs := range old {
				exec("INSERT INTO customers (id, business_id, wa_id, created_at, updated_at) VALUES (?, 1, ?, ?, ?)", i+1, fmt.Sprint("1555000", i), now, now)
				exec("INSERT INTO conversations (business_id, customer_id, state, data, needs_human, last_message_at, updated_at) VALUES (1, ?, '', '{}', ?, ?, ?)",
					i+1, needs, now, now)
			}
			if _, err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			want := []string{models.NeedsAsked, models.NeedsBotFailed, models.NeedsBotFailed, models.NeedsNotUnderstood, "", "called the shop"}
			for i := range old {
				th, err := s.Thread(ctx, 1, int64(i+1))
				if err != nil {
					t.Fatal(err)
				}
				if th.NeedsHuman != want[i] {
					t.Errorf("%q became %q, want %q", old[i], th.NeedsHuman, want[i])
				}
			}
		})
	}
}
