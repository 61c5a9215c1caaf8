package ingest_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/waorder/waorder/ingest"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/testutil"
)

// BenchmarkAccept_SQLite measures durable webhooks/s on the embedded database: parse, route, commit (one fsync per
// group commit with synchronous=FULL), from 1 sender and from 32 concurrent ones (group commit's case).
func BenchmarkAccept_SQLite(b *testing.B) {
	for _, senders := range []int{1, 32} {
		b.Run(fmt.Sprintf("senders=%d", senders), func(b *testing.B) {
			s := testutil.SQLite(b)
			ctx := context.Background()
			biz := models.Business{Name: "Cafe"}
			if err := s.CreateBusiness(ctx, &biz); err != nil {
				b.Fatal(err)
			}
			if err := s.AddPhoneNumber(ctx, &models.PhoneNumber{BusinessID: biz.ID, MetaPhoneID: "42", WABAID: "w", AccessTokenEnc: "x"}); err != nil {
				b.Fatal(err)
			}
			ing := ingest.New(s, quiet, ingest.Options{}, nil)
			defer ing.Close()
			var n atomic.Int64
			b.SetParallelism(max(1, senders/2)) // GOMAXPROCS is 2 here: senders goroutines in all
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					if err := ing.Accept(ctx, textBody(fmt.Sprintf("bench-%d", i), fmt.Sprintf("1555%04d", i%100), "hi")); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "webhooks/s")
		})
	}
}
