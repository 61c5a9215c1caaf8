package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/waorder/waorder/ingest"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func seed(t *testing.T, s *repository.Store) models.Business {
	t.Helper()
	b := models.Business{Name: "Cafe"}
	if err := s.CreateBusiness(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	p := models.PhoneNumber{BusinessID: b.ID, MetaPhoneID: "42", WABAID: "w", AccessTokenEnc: "x"}
	if err := s.AddPhoneNumber(context.Background(), &p); err != nil {
		t.Fatal(err)
	}
	return b
}

func textBody(wamid, from, text string) []byte {
	return fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":"w","changes":[{"field":"messages","value":{
		"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"42"},
		"contacts":[{"profile":{"name":"Ann"},"wa_id":"%s"}],
		"messages":[{"from":"%s","id":"%s","timestamp":"%d","type":"text","text":{"body":"%s"}}]}}]}]}`,
		from, from, wamid, time.Now().Unix(), text)
}

// recorder is a Handler that remembers what it saw, per customer, and can fail on demand.
type recorder struct {
	mu    sync.Mutex
	seen  []string
	fails map[string]int
}

func (r *recorder) HandleInbound(_ context.Context, m models.InboundMessage) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fails[m.Wamid] > 0 {
		r.fails[m.Wamid]--
		return errors.New("scripted failure")
	}
	r.seen = append(r.seen, m.Wamid)
	return nil
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.seen...)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestProcessor_MessagesStoredBeforeACrashAreHandledAtStart(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			seed(t, s)
			// The "crashed" instance: stores and answers, but its processor never runs.
			ing := ingest.New(s, quiet, ingest.Options{}, nil)
			for i := range 3 {
				if err := ing.Accept(context.Background(), textBody(fmt.Sprintf("w%d", i), "1555", "hi")); err != nil {
					t.Fatal(err)
				}
			}
			ing.Close()
			// The restarted instance.
			rec := &recorder{}
			p := ingest.NewProcessor(s, nil, rec, quiet)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go p.Run(ctx)
			waitFor(t, "3 handled messages", func() bool { return len(rec.got()) == 3 })
			if got := rec.got(); got[0] != "w0" || got[1] != "w1" || got[2] != "w2" {
				t.Fatalf("handled out of order: %v", got)
			}
		})
	}
}

func TestProcessor_FailureIsRetriedAndKeepsCustomerOrder(t *testing.T) {
	s := testutil.SQLite(t)
	seed(t, s)
	rec := &recorder{fails: map[string]int{"a1": 1}}
	arrivals := ingest.NewArrivals()
	p := ingest.NewProcessor(s, arrivals, rec, quiet)
	ing := ingest.New(s, quiet, ingest.Options{}, arrivals)
	defer ing.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go p.Run(ctx)
	for _, w := range []string{"a1", "a2"} {
		if err := ing.Accept(ctx, textBody(w, "1555", "x")); err != nil {
			t.Fatal(err)
		}
	}
	if err := ing.Accept(ctx, textBody("b1", "1666", "x")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "all three handled", func() bool { return len(rec.got()) == 3 })
	got := rec.got()
	pos := map[string]int{}
	for i, w := range got {
		pos[w] = i
	}
	if pos["a1"] > pos["a2"] {
		t.Fatalf("a2 was handled before the retried a1: %v", got)
	}
}

func TestAccept_BodyThatIsNotAnObjectIsStoredRawWithItsReason(t *testing.T) {
	s := testutil.SQLite(t)
	seed(t, s)
	ing := ingest.New(s, quiet, ingest.Options{}, nil)
	defer ing.Close()
	if err := ing.Accept(context.Background(), []byte(`[1,2,3]`)); err != nil {
		t.Fatal(err)
	}
	evs, err := s.ListEvents(context.Background(), models.EventKindUnparsed, 10)
	if err != nil || len(evs) != 1 || evs[0].Reason == "" || evs[0].Payload != `[1,2,3]` {
		t.Fatalf("unparsed events %+v, %v", evs, err)
	}
}
