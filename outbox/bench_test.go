package outbox_test

import (
	"fmt"
	"testing"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/testutil"
)

// BenchmarkOutbox_SendPath measures queued → sent through the Graph API client against the in-process fake over
// loopback HTTP, on PostgreSQL: claim, decrypt, send, record.
func BenchmarkOutbox_SendPath(b *testing.B) {
	e := newEnv(b, testutil.Postgres(b), true)
	var custs []models.Customer
	for i := range 50 {
		custs = append(custs, e.customer(b, fmt.Sprintf("1777%04d", i), true))
	}
	for i := range b.N {
		e.enqueue(b, custs[i%50], fmt.Sprint("b", i), "hello")
	}
	o := e.outbox(b, 0)
	o.Workers = 16
	b.ResetTimer()
	e.run(b, o)
	eventually(b, "all sent", func() bool { return len(e.fake.Sent()) >= b.N })
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
