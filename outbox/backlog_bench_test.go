package outbox_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
)

// BenchmarkOutbox_Backlog measures sends/s while a deep queue waits: -benchtime Nx queues N messages, two per
// customer (as the bot answers), before the workers start.
func BenchmarkOutbox_Backlog(b *testing.B) {
	for _, be := range testutil.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			ctx := context.Background()
			e := newEnv(b, be.Open(b), true)
			custs := bulkCustomers(b, e, (b.N+1)/2)
			// Queued 500 per statement, in id order: a customer's two replies are i and i + len(custs).
			for start := 0; start < b.N; start += 500 {
				var batch []*models.OutboundMessage
				for i := start; i < min(start+500, b.N); i++ {
					c := custs[i%len(custs)]
					batch = append(batch, &models.OutboundMessage{BusinessID: e.biz.ID, PhoneNumberID: e.phone.ID,
						CustomerID: c.ID, ToWaID: c.WaID, Kind: "text",
						Payload: `{"messaging_product":"whatsapp","to":"` + c.WaID + `","type":"text","text":{"body":"hi"}}`,
						Summary: "hi", IdempotencyKey: fmt.Sprint("b", i)})
				}
				if n, err := e.store.EnqueueOutbounds(ctx, batch); err != nil || n != len(batch) {
					b.Fatalf("queue %d messages: %d queued, %v", len(batch), n, err)
				}
			}
			// The number's send budget (Meta's throughput tier) out of the way: this measures the outbox, not the cap.
			if err := e.store.DB(ctx).Exec("UPDATE phone_numbers SET send_rate_per_sec = 100000 WHERE id = ?", e.phone.ID).Error; err != nil {
				b.Fatal(err)
			}
			o := e.outboxWithRate(b, 10*time.Second, 100000)
			o.Workers, o.PairBurst, o.RecipientGap = 16, 1000, 0
			b.ResetTimer()
			e.run(b, o)
			// The clock stops when the metrics count every send accepted: polling the table instead (a count of the
			// whole outbox every few milliseconds) took half of PostgreSQL's time away from the sends it measures.
			eventuallyFor(b, 10*time.Minute, "all sent", func() bool { return e.counter("sent") >= float64(b.N) })
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			eventuallyFor(b, time.Minute, "every send recorded", func() bool {
				n, _ := e.store.OutboundCounts(ctx, e.biz.ID)
				return n[models.OutSent] == int64(b.N)
			})
		})
	}
}

// bulkCustomers stores n customers who wrote just now, 500 per commit.
func bulkCustomers(t testing.TB, e *env, n int) []models.Customer {
	t.Helper()
	ctx := context.Background()
	at := time.Now().UTC()
	var out []models.Customer
	for start := 0; start < n; start += 500 {
		var d repository.Delivery
		for i := start; i < min(n, start+500); i++ {
			d.Customers = append(d.Customers, models.Customer{BusinessID: e.biz.ID, WaID: fmt.Sprintf("1888%07d", i), LastInboundAt: &at})
		}
		if _, err := e.store.StoreDeliveries(ctx, []repository.Delivery{d}); err != nil {
			t.Fatal(err)
		}
		for _, c := range d.Customers {
			got, err := e.store.CustomerByWaID(ctx, e.biz.ID, c.WaID)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, got)
		}
	}
	return out
}
