package ingest

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
)

type request struct {
	d    repository.Delivery
	done chan error
}

// batcher commits concurrent deliveries together: while one commit is in flight, the requests that arrive queue up
// and the next commit takes all of them (up to maxBatch). At low load each delivery commits alone at once; under load
// one fsync covers many deliveries. Every caller still hears back only after its own rows are committed.
type batcher struct {
	store    *repository.Store
	reqs     chan *request
	maxBatch int
	arrivals *Arrivals
	wg       sync.WaitGroup
	closing  chan struct{}
	stopped  chan struct{}
	once     sync.Once
}

// newBatcher starts committers goroutines; arrivals (may be nil) hears the ids of inbound messages each commit created.
func newBatcher(store *repository.Store, committers, maxBatch int, arrivals *Arrivals) *batcher {
	b := &batcher{store: store, reqs: make(chan *request, maxBatch*committers), maxBatch: maxBatch, arrivals: arrivals,
		closing: make(chan struct{}), stopped: make(chan struct{})}
	for range committers {
		b.wg.Add(1)
		go b.loop()
	}
	return b
}

// submit hands d to a committer and waits for its commit. If ctx ends first the delivery may still commit; the
// caller answers non-200 and the sender's retry is a harmless duplicate.
func (b *batcher) submit(ctx context.Context, d repository.Delivery) error {
	r := &request{d: d, done: make(chan error, 1)}
	select {
	case <-b.closing:
		return models.ErrIngestClosed
	default:
	}
	defer b.arrivals.committing(time.Now())()
	select {
	case b.reqs <- r:
	case <-b.closing:
		return models.ErrIngestClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-r.done:
		return err
	case <-b.stopped:
		select {
		case err := <-r.done:
			return err
		default:
			return models.ErrIngestClosed
		}
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *batcher) loop() {
	defer b.wg.Done()
	batch := make([]*request, 0, b.maxBatch)
	for {
		var first *request
		select {
		case first = <-b.reqs:
		case <-b.closing:
			// Drain what was accepted before Close.
			for {
				select {
				case r := <-b.reqs:
					b.commit([]*request{r})
				default:
					return
				}
			}
		}
		batch = append(batch[:0], first)
	fill:
		for len(batch) < b.maxBatch {
			select {
			case r := <-b.reqs:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		b.commit(batch)
	}
}

func (b *batcher) commit(batch []*request) {
	ctx := context.Background()
	ds := make([]repository.Delivery, len(batch))
	for i, r := range batch {
		ds[i] = r.d
	}
	ids, err := safeStore(ctx, b.store, ds)
	if err == nil {
		b.created(ids)
		for _, r := range batch {
			r.done <- nil
		}
		return
	}
	if len(batch) == 1 || repository.IsUnavailable(err) {
		for _, r := range batch {
			r.done <- err
		}
		return
	}
	// One bad delivery must not fail its neighbours: commit each alone.
	for _, r := range batch {
		ids, err := safeStore(ctx, b.store, []repository.Delivery{r.d})
		if err == nil {
			b.created(ids)
		}
		r.done <- err
	}
}

// PanicError is a panic raised while storing a delivery, turned into that delivery's error: its neighbours in the
// batch are committed without it, and the committer goes on.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("storing the delivery panicked: %v", e.Value) }

func safeStore(ctx context.Context, store *repository.Store, ds []repository.Delivery) (ids []int64, err error) {
	defer func() {
		if r := recover(); r != nil {
			ids, err = nil, &PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	return store.StoreDeliveries(ctx, ds)
}

func (b *batcher) created(ids []int64) {
	if len(ids) > 0 && b.arrivals != nil {
		b.arrivals.Notify(ids)
	}
}

func (b *batcher) close() {
	b.once.Do(func() {
		close(b.closing)
		b.wg.Wait()
		close(b.stopped)
	})
}
