package repository_test

import (
	"context"
	"testing"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
)

// The forward-only order of outbound statuses has one source, models' Rank; the SQL that status updates compare
// with must rank every status the same on both databases (and anything unknown as 0, like Rank).
func TestOutboundRankSQL_RanksEveryStatusAsModelsDo(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			for _, st := range append(models.OutboundStatuses(), "unknown") {
				var got int
				if err := s.DB(ctx).Raw("SELECT "+repository.OutboundRankSQL("?"), string(st)).Scan(&got).Error; err != nil {
					t.Fatalf("%s: %v", st, err)
				}
				if want := st.Rank(); got != want {
					t.Errorf("%s: SQL ranks it %d, models %d", st, got, want)
				}
			}
		})
	}
}
