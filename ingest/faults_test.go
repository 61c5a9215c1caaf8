package ingest_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/waorder/waorder/ingest"
	"github.com/waorder/waorder/locale"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
	"github.com/waorder/waorder/whatsapp"
)

// panicky is a Handler that panics on the wamids in boom and records the rest.
type panicky struct {
	mu   sync.Mutex
	boom map[string]bool
	seen []string
}

func (p *panicky) HandleInbound(_ context.Context, m models.InboundMessage) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.boom[m.Wamid] {
		var nothing map[string]*models.Order
		_ = nothing["x"].Number // a real nil-pointer panic, as a bug in the bot would raise
	}
	p.seen = append(p.seen, m.Wamid)
	return nil
}

func (p *panicky) got() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.seen...)
}

func outboundByKey(t *testing.T, s *repository.Store, key string) []models.OutboundMessage {
	t.Helper()
	var out []models.OutboundMessage
	if err := s.DB(context.Background()).Where("idempotency_key = ?", key).Find(&out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

func inbound(t *testing.T, s *repository.Store, wamid string) models.InboundMessage {
	t.Helper()
	var m models.InboundMessage
	if err := s.DB(context.Background()).Where("wamid = ?", wamid).First(&m).Error; err != nil {
		t.Fatal(err)
	}
	return m
}

func TestProcessor_PanickingMessageIsRetriedThenFailedWithOneFallbackAndOthersGoOn(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			seed(t, s)
			h := &panicky{boom: map[string]bool{"boom": true}}
			arrivals := ingest.NewArrivals()
			p := ingest.NewProcessor(s, arrivals, h, quiet)
			p.MaxAttempts, p.Poll = 2, 50*time.Millisecond
			queued := make(chan struct{}, 4)
			p.Queued = func() { queued <- struct{}{} }
			ing := ingest.New(s, quiet, ingest.Options{}, arrivals)
			defer ing.Close()
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { p.Run(ctx); close(done) }()
			defer func() { cancel(); <-done }()
			for _, b := range [][]byte{textBody("boom", "1555", "x"), textBody("fine", "1666", "x"), textBody("after", "1555", "y")} {
				if err := ing.Accept(ctx, b); err != nil {
					t.Fatal(err)
				}
			}
			waitFor(t, "the panicking message given up", func() bool { return inbound(t, s, "boom").ProcessedAt != nil })
			waitFor(t, "the other messages handled", func() bool { return len(h.got()) == 2 })
			// A round marks its messages processed after its last handler returns: wait for that write too.
			waitFor(t, "the other messages marked processed", func() bool {
				return inbound(t, s, "after").ProcessedAt != nil && inbound(t, s, "fine").ProcessedAt != nil
			})
			m := inbound(t, s, "boom")
			if m.Attempts != 2 || !strings.Contains(m.ProcessError, "gave up after 2 attempts: panic:") ||
				!strings.Contains(m.ProcessError, "nil pointer") {
				t.Fatalf("given-up message attempts %d, reason %q", m.Attempts, m.ProcessError)
			}
			fb := outboundByKey(t, s, "fallback:boom")
			if len(fb) != 1 || fb[0].ToWaID != "1555" || fb[0].Status != models.OutQueued {
				t.Fatalf("fallback replies %+v, want one queued to 1555", fb)
			}
			var msg whatsapp.OutgoingMessage
			if err := json.Unmarshal([]byte(fb[0].Payload), &msg); err != nil || msg.Text() != locale.For("en").T("fallback.inbound") {
				t.Fatalf("fallback payload %s (%v)", fb[0].Payload, err)
			}
			select {
			case <-queued:
			default:
				t.Fatal("the outbox was not told about the fallback reply")
			}
			// The customer's later message waited for the failed one, and was handled after it was given up.
			if after := inbound(t, s, "after"); after.ProcessedAt == nil || after.ProcessedAt.Before(*m.ProcessedAt) {
				t.Fatalf("the later message was handled at %v, the failed one given up at %v", after.ProcessedAt, m.ProcessedAt)
			}
			if inbound(t, s, "fine").ProcessedAt == nil {
				t.Fatal("the other customer's message is not marked processed")
			}
		})
	}
}

func TestProcessor_MessageWhoseLastAttemptDiedWithTheServiceGetsTheFallbackOnce(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			seed(t, s)
			ctx := context.Background()
			ing := ingest.New(s, quiet, ingest.Options{}, nil)
			if err := ing.Accept(ctx, textBody("doomed", "1555", "x")); err != nil {
				t.Fatal(err)
			}
			ing.Close()
			// Three crashed instances each claimed it and died before settling it; their leases are over.
			for range 3 {
				got, err := s.ClaimUnprocessed(ctx, nil, 10, -time.Second, 3)
				if err != nil || len(got) != 1 {
					t.Fatalf("claim: %v, %v", got, err)
				}
			}
			for range 2 { // two instances start and sweep: still one fallback
				h := &panicky{}
				p := ingest.NewProcessor(s, nil, h, quiet)
				p.MaxAttempts = 3
				rctx, cancel := context.WithCancel(ctx)
				done := make(chan struct{})
				go func() { p.Run(rctx); close(done) }()
				waitFor(t, "the message given up", func() bool { return inbound(t, s, "doomed").ProcessedAt != nil })
				cancel()
				<-done
				if len(h.got()) != 0 {
					t.Fatalf("the exhausted message was handled again: %v", h.got())
				}
			}
			if m := inbound(t, s, "doomed"); !strings.Contains(m.ProcessError, "the service stopped while handling it") {
				t.Fatalf("reason %q", m.ProcessError)
			}
			if fb := outboundByKey(t, s, "fallback:doomed"); len(fb) != 1 {
				t.Fatalf("%d fallback replies, want 1", len(fb))
			}
		})
	}
}

func TestAccept_ValidJSONOfTheWrongShapeIsStoredRawWithTheReason(t *testing.T) {
	tests := []struct{ name, body, reason string }{
		{"empty object", `{}`, "entry: none"},
		{"entry is an object", `{"object":"whatsapp_business_account","entry":{}}`, "entry"},
		{"entry item is a number", `{"entry":[7]}`, "entry[0]"},
		{"entry without changes", `{"entry":[{"id":"1"}]}`, "entry[0]: no changes"},
		{"entry with empty changes", `{"entry":[{"id":"1","changes":[]}]}`, "entry[0]: no changes"},
		{"changes is an object", `{"entry":[{"id":"1","changes":{}}]}`, "entry[0].changes"},
		{"change is a string", `{"entry":[{"id":"1","changes":["x"]}]}`, "no value"},
		{"change without value", `{"entry":[{"id":"1","changes":[{"field":"messages"}]}]}`, "no value"},
		{"entry list empty", `{"object":"whatsapp_business_account","entry":[]}`, "entry: none"},
		{"one good entry and one without changes", `{"entry":[{"id":"1"},{"id":"w","changes":[{"field":"messages","value":{
			"metadata":{"phone_number_id":"42"},"messages":[{"from":"1555","id":"kept","timestamp":"1","type":"text","text":{"body":"hi"}}]}}]}]}`,
			"entry[0]: no changes"},
	}
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			seed(t, s)
			ing := ingest.New(s, quiet, ingest.Options{}, nil)
			defer ing.Close()
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					for range 2 { // a redelivery stores nothing new
						if err := ing.Accept(context.Background(), []byte(tt.body)); err != nil {
							t.Fatal(err)
						}
					}
					evs, err := s.ListEvents(context.Background(), models.EventKindUnparsed, 100)
					if err != nil {
						t.Fatal(err)
					}
					n := 0
					for _, ev := range evs {
						if ev.Payload == tt.body {
							n++
							if !strings.Contains(ev.Reason, tt.reason) {
								t.Errorf("reason %q, want it to mention %q", ev.Reason, tt.reason)
							}
						}
					}
					if n != 1 {
						t.Fatalf("%d raw copies of the body stored, want 1", n)
					}
				})
			}
			// What could be read was stored as usual beside the raw body.
			if m := inbound(t, s, "kept"); m.Body == "" {
				t.Fatalf("message of the good entry %+v", m)
			}
		})
	}
}

// threadFlag is why the thread of the customer waID waits for a person ("" when it does not, or has no thread).
func threadFlag(t *testing.T, s *repository.Store, businessID int64, waID string) string {
	t.Helper()
	threads, err := s.Threads(context.Background(), businessID, 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, th := range threads {
		if th.Customer.WaID == waID {
			return th.NeedsHuman
		}
	}
	return ""
}

// A message the bot gave up on flags its customer's thread for a person, whether its last attempt failed here (a
// panic) or died with the service and was settled by the sweep, and even when the bot never got as far as the
// customer's thread (their first message).
func TestProcessor_GivenUpMessagesFlagTheirThreadsForAPerson(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			biz := seed(t, s)
			ctx := context.Background()
			ing := ingest.New(s, quiet, ingest.Options{}, nil)
			defer ing.Close()
			if err := ing.Accept(ctx, textBody("doomed", "1555", "x")); err != nil {
				t.Fatal(err)
			}
			for range 2 { // two instances claimed it and died before settling it; their leases are over
				if got, err := s.ClaimUnprocessed(ctx, nil, 10, -time.Second, 2); err != nil || len(got) != 1 {
					t.Fatalf("claim: %v, %v", got, err)
				}
			}
			if err := ing.Accept(ctx, textBody("boom", "1666", "x")); err != nil {
				t.Fatal(err)
			}
			p := ingest.NewProcessor(s, nil, &panicky{boom: map[string]bool{"boom": true}}, quiet)
			p.MaxAttempts, p.Poll = 2, 50*time.Millisecond
			rctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { p.Run(rctx); close(done) }()
			defer func() { cancel(); <-done }()
			waitFor(t, "both messages given up", func() bool {
				return inbound(t, s, "doomed").ProcessedAt != nil && inbound(t, s, "boom").ProcessedAt != nil
			})
			for _, waID := range []string{"1555", "1666"} {
				if got := threadFlag(t, s, biz.ID, waID); got != models.NeedsBotFailed {
					t.Errorf("the thread of %s waits for a person because %q, want %q", waID, got, models.NeedsBotFailed)
				}
			}
		})
	}
}
