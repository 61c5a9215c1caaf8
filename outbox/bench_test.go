package outbox_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/testutil"
)

// BenchmarkOutbox_SendPath measures queued → sent through the real Graph API client against the fake over loopback
// HTTP: claim, decrypt the token, pace, send, record the wamid. 50 recipients; the number's budget is not the limit.
func BenchmarkOutbox_SendPath(b *testing.B) {
	for _, be := range testutil.Backends() {
		for _, workers := range []int{4, 16} {
			b.Run(fmt.Sprintf("%s/workers=%d", be.Name, workers), func(b *testing.B) {
				e := newEnv(b, be.Open(b), true)
				var custs []models.Customer
				for i := range 50 {
					custs = append(custs, e.customer(b, fmt.Sprintf("1777%04d", i), true))
				}
				for i := range b.N {
					e.enqueue(b, custs[i%50], fmt.Sprint("b", i), "hello")
				}
				o := e.outbox(b, 10*time.Second)
				o.Workers, o.PairBurst = workers, b.N+1 // measure the send path, not Meta's pair limit
				b.ResetTimer()
				e.run(b, o)
				eventually(b, "all sent", func() bool {
					n, _ := e.store.OutboundCounts(b.Context(), e.biz.ID)
					return n[models.OutSent] == int64(b.N)
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			})
		}
	}
}
