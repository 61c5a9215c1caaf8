package ingest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/waorder/waorder/repository"
)

func TestSafeStore_APanicWhileStoringBecomesThatDeliverysError(t *testing.T) {
	var broken *repository.Store // every call on it panics with a nil dereference
	ids, err := safeStore(context.Background(), broken, []repository.Delivery{{}})
	var pe *PanicError
	if !errors.As(err, &pe) || ids != nil || !strings.Contains(pe.Error(), "storing the delivery panicked") || len(pe.Stack) == 0 {
		t.Fatalf("ids %v, err %v", ids, err)
	}
}
