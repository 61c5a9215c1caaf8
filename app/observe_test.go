package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/waorder/waorder/merchant/merchanttest"
	"github.com/waorder/waorder/metrics"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/testutil"
)

func TestMetrics_QueueDepthOldestAgeAndPoolAreReadAtScrape(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			s := be.Open(t)
			b := merchanttest.Seed(t, s, "Queued", 0)
			m := metrics.New()
			if err := observe(m, s); err != nil {
				t.Fatal(err)
			}
			if got := series(t, m, "waorder_queue_depth", "outbound"); got != 0 {
				t.Fatalf("empty outbound queue has depth %v", got)
			}
			old := time.Now().UTC().Add(-90 * time.Second)
			for i, st := range []models.OutboundStatus{models.OutQueued, models.OutQueued, models.OutSent, models.OutHeld} {
				o := models.OutboundMessage{BusinessID: b.Business.ID, PhoneNumberID: b.Phone.ID, CustomerID: b.Customer.ID,
					ToWaID: b.Customer.WaID, Kind: "text", Payload: "{}", Status: st, IdempotencyKey: "q" + testutil.RandomHex(6),
					NextAttemptAt: old, CreatedAt: old.Add(time.Duration(i) * time.Second), UpdatedAt: old}
				if err := s.DB(ctx).Create(&o).Error; err != nil {
					t.Fatal(err)
				}
			}
			in := models.InboundMessage{BusinessID: b.Business.ID, PhoneNumberID: b.Phone.ID, CustomerID: b.Customer.ID,
				Wamid: "wamid." + testutil.RandomHex(6), Type: "text", Payload: "{}", SentAt: old, ReceivedAt: old}
			if err := s.DB(ctx).Create(&in).Error; err != nil {
				t.Fatal(err)
			}

			want := map[string]float64{"inbound": 1, "outbound": 2, "outbound_held": 1}
			for q, depth := range want {
				if got := series(t, m, "waorder_queue_depth", q); got != depth {
					t.Errorf("waorder_queue_depth{queue=%q} = %v, want %v", q, got, depth)
				}
				if age := series(t, m, "waorder_queue_oldest_age_seconds", q); age < 85 || age > 3600 {
					t.Errorf("waorder_queue_oldest_age_seconds{queue=%q} = %v, want about 90", q, age)
				}
			}
			if up := series(t, m, "waorder_queue_stats_up", ""); up != 1 {
				t.Errorf("waorder_queue_stats_up = %v, want 1", up)
			}
			if open := series(t, m, "go_sql_max_open_connections", ""); open < 1 {
				t.Errorf("go_sql_max_open_connections = %v, want the pool's size", open)
			}
		})
	}
}

// series gathers the registry and returns the value of the named gauge for queue ("" for a series without one).
func series(t *testing.T, m *metrics.Metrics, name, queue string) float64 {
	t.Helper()
	fams, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, f := range fams {
		seen = append(seen, f.GetName())
		if f.GetName() != name {
			continue
		}
		for _, mt := range f.GetMetric() {
			got := ""
			for _, l := range mt.GetLabel() {
				if l.GetName() == "queue" {
					got = l.GetValue()
				}
			}
			if got == queue {
				return mt.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("%s{queue=%q} not exported; families: %s", name, queue, strings.Join(seen, " "))
	return 0
}
