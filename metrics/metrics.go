// Package metrics owns the service's Prometheus registry and its memory readings (for /memory and the memory
// monitor). It does no other I/O than reading the process's own statistics.
package metrics

import (
	"context"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds the collectors the service updates.
type Metrics struct {
	Registry       *prometheus.Registry
	Webhooks       *prometheus.CounterVec   // result: stored, unauthorized, unavailable (a 413 is refused by the router before the handler counts it)
	WebhookSeconds *prometheus.HistogramVec // result (as Webhooks): time to answer a POST /webhook
	Sends          *prometheus.CounterVec   // result: sent, retry, failed, held
	HTTPSeconds    *prometheus.HistogramVec // route
	SendErrors     *prometheus.CounterVec   // code: Meta's error code, http_<status>, or network
	CacheGets      *prometheus.CounterVec   // result: hit, miss
	RetentionRows  *prometheus.CounterVec   // table, action: deleted, compacted
}

// New registers the collectors on a fresh registry.
func New() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		Webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "waorder_webhooks_total",
			Help: "Webhook deliveries by result."}, []string{"result"}),
		WebhookSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "waorder_webhook_seconds",
			Help: "Time to answer a webhook delivery, by result.", Buckets: []float64{.001, .002, .005, .01, .02, .05, .1, .25, 1, 5}},
			[]string{"result"}),
		Sends: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "waorder_outbound_sends_total",
			Help: "Outbound send attempts by result."}, []string{"result"}),
		HTTPSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "waorder_http_seconds",
			Help: "HTTP handling time by route.", Buckets: prometheus.DefBuckets}, []string{"route"}),
		SendErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "waorder_outbound_send_errors_total",
			Help: "Failed Graph API sends by Meta's error code (http_<status> or network when Meta gave none)."}, []string{"code"}),
		CacheGets: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "waorder_cache_gets_total",
			Help: "Cache reads by result (hit or miss); a miss reads the database."}, []string{"result"}),
		RetentionRows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "waorder_retention_rows_total",
			Help: "Rows retention removed or compacted, by table and action."}, []string{"table", "action"}),
	}
	r.MustRegister(m.Webhooks, m.WebhookSeconds, m.Sends, m.HTTPSeconds, m.SendErrors, m.CacheGets, m.RetentionRows,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Memory is a snapshot in megabytes, shaped for GET /memory.
type Memory struct {
	RSS       float64 `json:"rss"`
	HeapUsed  float64 `json:"heapUsed"`
	HeapTotal float64 `json:"heapTotal"`
	Stack     float64 `json:"stack"`
	Sys       float64 `json:"sys"`
}

// Snapshot reads the Go runtime's and the kernel's view of this process.
func Snapshot() (Memory, runtime.MemStats) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return Memory{
		RSS:       mb(RSSBytes()),
		HeapUsed:  mb(ms.HeapAlloc),
		HeapTotal: mb(ms.HeapSys),
		Stack:     mb(ms.StackSys),
		Sys:       mb(ms.Sys),
	}, ms
}

func mb(b uint64) float64 {
	return float64(int64(float64(b)/(1<<20)*100+0.5)) / 100
}

// RSSBytes is the resident set size from /proc/self/statm; 0 where that is not available.
func RSSBytes() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * uint64(os.Getpagesize())
}

// MonitorMemory logs a warning when RSS passes warnMB and, past criticalMB, logs an error and returns freed memory
// to the OS. It runs until ctx ends; it logs a level change once, not on every tick.
func MonitorMemory(ctx context.Context, log *slog.Logger, warnMB, criticalMB int, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	level := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rss := mb(RSSBytes())
		now := 0
		switch {
		case rss >= float64(criticalMB):
			now = 2
			debug.FreeOSMemory()
		case rss >= float64(warnMB):
			now = 1
		}
		if now != level {
			switch now {
			case 2:
				log.Error("memory critical; returned free memory to the OS", "rss_mb", rss, "critical_mb", criticalMB)
			case 1:
				log.Warn("memory high", "rss_mb", rss, "warn_mb", warnMB)
			default:
				log.Info("memory back to normal", "rss_mb", rss)
			}
			level = now
		}
	}
}

// Webhook counts one POST /webhook by result (stored, unauthorized, unavailable) and observes how long it took
// from start to the answer.
func (m *Metrics) Webhook(result string, start time.Time) {
	m.Webhooks.WithLabelValues(result).Inc()
	m.WebhookSeconds.WithLabelValues(result).Observe(time.Since(start).Seconds())
}
