package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/waorder/waorder/auth"
	"github.com/waorder/waorder/cache"
	"github.com/waorder/waorder/config"
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

// TestMetrics_TheRunningServicesCacheReadsFeedTheHitRatio: the cache the service wires is the counted one, so a
// repeated cached read shows on the operator listener's /metrics as a miss, then a hit.
func TestMetrics_TheRunningServicesCacheReadsFeedTheHitRatio(t *testing.T) {
	ctx := context.Background()
	cfg, err := config.Load(func(string) string { return "" }, "")
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir, cfg.MetricsAddr, cfg.Valkey = t.TempDir(), "127.0.0.1:0", testutil.Valkey(t)
	store := testutil.SQLite(t)
	b := merchanttest.Seed(t, store, "Counted", 1)
	token, err := auth.New(store, cache.NewMemory(16), []byte("k"), slog.New(slog.DiscardHandler)).CreateAPIToken(ctx, b.Business.ID, "t")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(cfg, slog.New(slog.DiscardHandler), WithAddr("127.0.0.1:0"), WithStore(store))
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- svc.Run(runCtx) }()
	t.Cleanup(func() { cancel(); <-done; svc.Close() })

	before := cacheGets(t, svc.OperatorURL())
	for range 2 {
		req, _ := http.NewRequest(http.MethodGet, svc.URL()+"/api/v1/products", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /api/v1/products: %d", resp.StatusCode)
		}
	}
	after := cacheGets(t, svc.OperatorURL())
	if after["miss"] <= before["miss"] || after["hit"] <= before["hit"] {
		t.Fatalf("waorder_cache_gets_total before %v, after two catalog reads %v: want a new miss and a new hit", before, after)
	}
}

// cacheGets scrapes base/metrics and returns waorder_cache_gets_total by result.
func cacheGets(t *testing.T, base string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	got := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		for _, result := range []string{"hit", "miss"} {
			prefix := `waorder_cache_gets_total{result="` + result + `"} `
			if v, ok := strings.CutPrefix(line, prefix); ok {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil {
					t.Fatalf("%s: %v", line, err)
				}
				got[result] = f
			}
		}
	}
	return got
}
