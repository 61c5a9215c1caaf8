package metrics

import (
	"context"
	"database/sql"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// QueueDepth is one queue's backlog as the database sees it.
type QueueDepth struct {
	Queue  string
	Depth  int64
	Oldest *time.Time // nil when the queue is empty
}

// QueueReader reads every queue's backlog; it is called at each scrape.
type QueueReader func(ctx context.Context) ([]QueueDepth, error)

// queueTimeout bounds the database reads of one scrape: a slow database must not hang /metrics.
const queueTimeout = 3 * time.Second

var (
	queueDepthDesc = prometheus.NewDesc("waorder_queue_depth", "Rows waiting in a queue (inbound: messages the bot "+
		"has not handled; outbound: queued sends; outbound_held: sends held for the 24-hour window).", []string{"queue"}, nil)
	queueAgeDesc = prometheus.NewDesc("waorder_queue_oldest_age_seconds", "Age of the oldest row waiting in a queue; "+
		"0 when it is empty.", []string{"queue"}, nil)
	queueUpDesc = prometheus.NewDesc("waorder_queue_stats_up", "1 when the last scrape could read the queues from "+
		"the database, else 0.", nil, nil)
)

// queueCollector reads the queues at scrape time, so every instance reports the shared database's backlog and no
// background loop keeps it up to date.
type queueCollector struct{ read QueueReader }

func (c queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueDepthDesc
	ch <- queueAgeDesc
	ch <- queueUpDesc
}

func (c queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), queueTimeout)
	defer cancel()
	qs, err := c.read(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(queueUpDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(queueUpDesc, prometheus.GaugeValue, 1)
	now := time.Now()
	for _, q := range qs {
		age := 0.0
		if q.Oldest != nil {
			age = max(now.Sub(*q.Oldest).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(queueDepthDesc, prometheus.GaugeValue, float64(q.Depth), q.Queue)
		ch <- prometheus.MustNewConstMetric(queueAgeDesc, prometheus.GaugeValue, age, q.Queue)
	}
}

// WatchQueues reports the queues read reads at every scrape.
func (m *Metrics) WatchQueues(read QueueReader) {
	m.Registry.MustRegister(queueCollector{read: read})
}

// WatchDB reports the connection pool's statistics (open, in use, idle, waits) as go_sql_* with db="name".
func (m *Metrics) WatchDB(db *sql.DB, name string) {
	m.Registry.MustRegister(collectors.NewDBStatsCollector(db, name))
}

// SendError counts a failed Graph API send by Meta's error code, or by HTTP status or "network" when Meta gave none.
func (m *Metrics) SendError(code, httpStatus int) {
	label := "network"
	switch {
	case code != 0:
		label = strconv.Itoa(code)
	case httpStatus != 0:
		label = "http_" + strconv.Itoa(httpStatus)
	}
	m.SendErrors.WithLabelValues(label).Inc()
}

// CacheGet counts one cache read, for the hit ratio.
func (m *Metrics) CacheGet(hit bool) {
	m.CacheGets.WithLabelValues(map[bool]string{true: "hit", false: "miss"}[hit]).Inc()
}
