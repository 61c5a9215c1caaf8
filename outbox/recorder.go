package outbox

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
)

// recorder records sends in groups: while one transaction is writing, the sends that finish queue up and the next
// transaction takes all of them, so the database sees one commit per group instead of one per message. A worker
// waits for its own send to be recorded before it takes its next message, so no more than Workers sends are ever
// accepted by Meta and not yet recorded (the bound a crash can resend), as without grouping.
type recorder struct {
	o       *Outbox
	reqs    chan *recordReq
	stopped chan struct{}
}

type recordReq struct {
	sent repository.SentMessage
	done chan error
}

func newRecorder(o *Outbox, workers int) *recorder {
	r := &recorder{o: o, reqs: make(chan *recordReq, workers), stopped: make(chan struct{})}
	go r.run(workers)
	return r
}

// record stores one send and returns once it is committed (nil), found already recorded (ErrLeaseLost), or could
// not be recorded within a lease.
func (r *recorder) record(m repository.SentMessage) error {
	req := &recordReq{sent: m, done: make(chan error, 1)}
	r.reqs <- req
	return <-req.done
}

// close stops the recorder once every worker has returned (nothing can call record any more).
func (r *recorder) close() {
	close(r.reqs)
	<-r.stopped
}

func (r *recorder) run(maxBatch int) {
	defer close(r.stopped)
	batch := make([]*recordReq, 0, maxBatch)
	for first := range r.reqs {
		batch = append(batch[:0], first)
	fill:
		for len(batch) < maxBatch {
			select {
			case req, ok := <-r.reqs:
				if !ok {
					break fill
				}
				batch = append(batch, req)
			default:
				break fill
			}
		}
		r.commit(batch)
	}
}

// commit records a group. The sends happened, so this is retried through database trouble for as long as a lease
// lasts: each failed write here risks a resend once the lease runs out. A group that fails for another reason is
// recorded one by one, so one bad row does not fail its neighbours.
func (r *recorder) commit(batch []*recordReq) {
	ctx := context.Background()
	sent := make([]repository.SentMessage, len(batch))
	for i, req := range batch {
		sent[i] = req.sent
	}
	start := time.Now()
	for i := 0; ; i++ {
		// Each chat's next message becomes due once the recipient gap has passed, so claims meanwhile take other
		// chats' messages; the alarm wakes the workers when it is due.
		lost, err := r.o.store.MarkOutboundSentPaced(ctx, sent, r.o.RecipientGap)
		if err == nil {
			if r.o.RecipientGap > 0 {
				r.o.alarm.set(r.o.RecipientGap)
			}
			for _, req := range batch {
				if slices.Contains(lost, req.sent.Message.ID) {
					req.done <- fmt.Errorf("record wamid %s of outbound %d: %w", req.sent.Wamid, req.sent.Message.ID, models.ErrLeaseLost)
				} else {
					req.done <- nil
				}
			}
			return
		}
		if len(batch) > 1 && !repository.IsUnavailable(err) {
			for _, req := range batch {
				r.commit([]*recordReq{req})
			}
			return
		}
		if time.Since(start) > r.o.Lease {
			for _, req := range batch {
				req.done <- fmt.Errorf("record wamid %s: %w", req.sent.Wamid, err)
			}
			return
		}
		r.o.log.Warn("recording sent messages failed; trying again", "count", len(batch), "err", err)
		time.Sleep(min(50*time.Millisecond<<min(i, 10), 5*time.Second))
	}
}
