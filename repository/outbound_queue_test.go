package repository_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
)

func TestOutbound_BatchRecordKeepsEachWamidAndReportsTheOnesAlreadySent(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			e := newOutEnv(t, be.Open(t), "4600")
			for i := range 3 {
				e.enqueue(t, e.customer(t, fmt.Sprint("1555000", i), time.Now()), fmt.Sprint("k", i), "text")
			}
			_, ms := claimKeys(t, e.s, "w", time.Minute)
			if len(ms) != 3 {
				t.Fatalf("claimed %d, want 3", len(ms))
			}
			// The first was already recorded (its lease ran out and another worker sent it); the third's "delivered"
			// arrived before its send was recorded.
			if err := e.s.MarkOutboundSent(ctx, ms[0], "wamid.earlier"); err != nil {
				t.Fatal(err)
			}
			e.status(t, "wamid.2", "delivered", 0)
			var batch []repository.SentMessage
			for i, m := range ms {
				m.Attempts = i + 1
				batch = append(batch, repository.SentMessage{Message: m, Wamid: fmt.Sprint("wamid.", i)})
			}
			lost, err := e.s.MarkOutboundSentBatch(ctx, batch)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(lost, []int64{ms[0].ID}) {
				t.Fatalf("lost %v, want only %d", lost, ms[0].ID)
			}
			if got := e.get(t, ms[0].ID); *got.Wamid != "wamid.earlier" {
				t.Fatalf("first send's record was overwritten: %+v", got)
			}
			second, third := e.get(t, ms[1].ID), e.get(t, ms[2].ID)
			if second.Status != models.OutSent || *second.Wamid != "wamid.1" || second.Attempts != 2 || second.ClaimUntil != nil {
				t.Fatalf("second row %+v", second)
			}
			if third.Status != models.OutDelivered || *third.Wamid != "wamid.2" || third.Attempts != 3 || third.DeliveredAt == nil {
				t.Fatalf("third row %+v: want its early status applied", third)
			}
		})
	}
}

func TestOutbound_BatchRecordDoesNotApplyAnotherBusinessStatus(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			s := be.Open(t)
			e, other := newOutEnv(t, s, "4700"), newOutEnv(t, s, "4701")
			e.enqueue(t, e.customer(t, "15550001", time.Now()), "k", "text")
			other.status(t, "wamid.shared", "read", 0) // another tenant claims to have read it
			_, ms := claimKeys(t, s, "w", time.Minute)
			if lost, err := s.MarkOutboundSentBatch(ctx, []repository.SentMessage{{Message: ms[0], Wamid: "wamid.shared"}}); err != nil || len(lost) > 0 {
				t.Fatalf("record: %v %v", lost, err)
			}
			if got := e.get(t, ms[0].ID); got.Status != models.OutSent {
				t.Fatalf("status %s, want sent: another business's status was applied", got.Status)
			}
		})
	}
}

// TestOutbound_ClaimWalksTheDueIndexHoweverDeepTheQueue checks the plan, not the time: with 20,000 queued messages
// the pick is a walk of the due-time index (which stops at the limit), never a scan of the table and a sort, whether
// or not the queue has been analyzed since it grew.
func TestOutbound_ClaimWalksTheDueIndexHoweverDeepTheQueue(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			s := be.Open(t)
			e := newOutEnv(t, s, "4800")
			pause(t, newOutEnv(t, s, "4801"))
			fillQueue(t, s, e)
			// Before the queue is analyzed (the planner believes it is as empty as it was) and after.
			for _, when := range []string{"before ANALYZE", "after ANALYZE"} {
				if when == "after ANALYZE" {
					if err := s.DB(ctx).Exec("ANALYZE").Error; err != nil {
						t.Fatal(err)
					}
				}
				plan, err := s.ClaimOutboundPlan(ctx, 32)
				if err != nil {
					t.Fatal(err)
				}
				checkClaimPlan(t, s, when, plan)
			}
		})
	}
}

// The claim is planned once per connection, on PostgreSQL: the generic plan made while the queue was empty still
// walks the due index with 20,000 queued (nothing invalidates it until an ANALYZE), and so does the one made after.
func TestOutbound_ClaimsGenericPlanFromAnEmptyQueueWalksTheDueIndex(t *testing.T) {
	ctx := context.Background()
	s := oneSession(t, testutil.PostgresSchemaURL(t)) // one session: its prepared plan
	e := newOutEnv(t, s, "4900")
	pause(t, newOutEnv(t, s, "4901"))
	for _, when := range []string{"on an empty queue", "made empty, 20,000 queued", "after ANALYZE"} {
		switch when {
		case "made empty, 20,000 queued":
			fillQueue(t, s, e)
		case "after ANALYZE":
			if err := s.DB(ctx).Exec("ANALYZE").Error; err != nil {
				t.Fatal(err)
			}
		}
		plan, err := s.ClaimOutboundGenericPlan(ctx, 32)
		if err != nil {
			t.Fatal(err)
		}
		checkClaimPlan(t, s, when, plan)
	}
	var generic int64 // the claims above used the generic plan, not one made for their values
	if err := s.DB(ctx).Raw("SELECT generic_plans FROM pg_prepared_statements WHERE name = 'generic_claim'").
		Scan(&generic).Error; err != nil || generic != 3 {
		t.Fatalf("%d generic plans used, want 3 (%v)", generic, err)
	}
}

// pause disconnects e's number: the claim names the numbers that may not send.
func pause(t *testing.T, e *outEnv) {
	t.Helper()
	if _, err := e.s.DisconnectPhoneNumber(context.Background(), e.phone, models.PhoneTokenExpired, "190"); err != nil {
		t.Fatal(err)
	}
}

// fillQueue queues two replies to each of 10,000 new customers of e's number, as the bot queues them.
func fillQueue(t *testing.T, s *repository.Store, e *outEnv) {
	t.Helper()
	ctx := context.Background()
	series := "SELECT g FROM generate_series(1, 10000) g"
	if !s.Postgres() {
		series = "WITH RECURSIVE n(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM n WHERE g < 10000) SELECT g FROM n"
	}
	now := time.Now().UTC()
	err := s.DB(ctx).Exec(`INSERT INTO customers (business_id, wa_id, last_inbound_at, created_at, updated_at)
		SELECT ?, 'bulk' || g, ?, ?, ? FROM (`+series+`) s`, e.biz.ID, now, now, now).Error
	if err != nil {
		t.Fatal(err)
	}
	for _, reply := range []string{"a", "b"} {
		err = s.DB(ctx).Exec(`INSERT INTO outbound_messages (business_id, phone_number_id, customer_id, to_wa_id, kind,
			payload, idempotency_key, next_attempt_at, created_at, updated_at)
			SELECT ?, ?, c.id, c.wa_id, 'text', '{}', ? || c.wa_id, ?, ?, ? FROM customers c WHERE c.business_id = ?`,
			e.biz.ID, e.phone.ID, reply, now, now, now, e.biz.ID).Error
		if err != nil {
			t.Fatal(err)
		}
	}
}

// checkClaimPlan fails unless plan walks the due index and reads no table whole, nor joins by hash or merge.
func checkClaimPlan(t *testing.T, s *repository.Store, when, plan string) {
	t.Helper()
	walk := "USING INDEX outbound_messages_due"
	if s.Postgres() {
		walk = "Index Scan using outbound_messages_due on outbound_messages m "
	}
	if !strings.Contains(plan, walk) {
		t.Fatalf("%s, the claim does not walk the due index:\n%s", when, plan)
	}
	for _, bad := range []string{"Seq Scan on outbound_messages", "Bitmap Heap Scan on outbound_messages", "SCAN m\n",
		"Hash Join", "Merge Join", "Hash Anti Join", "Hash Semi Join"} {
		if strings.Contains(plan+"\n", bad) {
			t.Fatalf("%s, the claim's plan has %q:\n%s", when, bad, plan)
		}
	}
}

// Recording a send paces its chat: the customer's next message is not due until the recipient gap has passed, so
// a claim meanwhile takes another customer's message; once due, it is claimed.
func TestOutbound_PacedRecordMakesTheChatsNextMessageDueAfterTheGap(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			e := newOutEnv(t, be.Open(t), "4660")
			ana, bea := e.customer(t, "15550001", time.Now()), e.customer(t, "15550002", time.Now())
			e.enqueue(t, ana, "ana-1", "text")
			e.enqueue(t, ana, "ana-2", "text")
			_, first := claimKeys(t, e.s, "w", time.Minute)
			if len(first) != 1 || first[0].IdempotencyKey != "ana-1" {
				t.Fatalf("first claim %v", first)
			}
			const gap = 700 * time.Millisecond
			if lost, err := e.s.MarkOutboundSentPaced(ctx, []repository.SentMessage{{Message: first[0], Wamid: "wamid.ana1"}}, gap); err != nil || len(lost) > 0 {
				t.Fatalf("record: %v %v", lost, err)
			}
			e.enqueue(t, bea, "bea-1", "text") // queued after ana-2, yet due before it
			if keys, _ := claimKeys(t, e.s, "w", time.Minute); !slices.Equal(keys, []string{"bea-1"}) {
				t.Fatalf("claim within the gap took %v, want only bea-1", keys)
			}
			time.Sleep(gap + 100*time.Millisecond)
			if keys, _ := claimKeys(t, e.s, "w", time.Minute); !slices.Equal(keys, []string{"ana-2"}) {
				t.Fatalf("claim after the gap took %v, want ana-2", keys)
			}
		})
	}
}
