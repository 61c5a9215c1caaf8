// Package sandbox is the service's stand-in for Meta when no Meta account is configured: the Graph API client talks
// to an in-process fake (no socket, no network), and every message the fake "sends" is answered with status
// webhooks (sent, delivered, read, a short delay apart) through the same ingest path Meta's take after their
// signature is checked. It keeps a small in-memory log of what was sent to each customer (Sent); it writes nothing
// to the database itself and must never be wired in when a real Meta app is configured.
//
// The dashboard's simulator shows the bot's replies from outbound_messages (durable, and it shows queued and held
// messages too); Sent is the fake's own view, for tests and debugging.
package sandbox

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/waorder/waorder/whatsapp"
	"github.com/waorder/waorder/whatsapp/fakegraph"
)

// Acceptor takes a webhook body as the webhook handler does after checking the signature (*ingest.Service).
type Acceptor interface {
	Accept(ctx context.Context, body []byte) error
}

// Sandbox owns the fake Graph API and the status loop.
type Sandbox struct {
	Fake   *fakegraph.Server
	ingest Acceptor
	log    *slog.Logger
	wabaID string
	delay  time.Duration
	sends  chan send
	done   chan struct{}
	cancel context.CancelFunc
	sent   *sentLog
}

type send struct {
	phone, wamid, to string
	at               time.Time
}

// maxPending bounds the sends waiting for their statuses; past it, statuses are skipped (and said so once).
const maxPending = 10000

// New starts a sandbox whose status webhooks go to in. runID keeps wamids unique across restarts on one database.
// delay spaces sent, delivered and read (0: 300 ms).
func New(in Acceptor, log *slog.Logger, runID string, delay time.Duration) *Sandbox {
	if delay == 0 {
		delay = 300 * time.Millisecond
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Sandbox{
		Fake: fakegraph.New(fakegraph.WithWAMIDPrefix("wamid.SANDBOX."+runID+"."), fakegraph.WithoutRecording(),
			fakegraph.WithTemplateStatus("APPROVED")),
		ingest: in, log: log, wabaID: "sandbox-waba", delay: delay,
		sends: make(chan send, maxPending), done: make(chan struct{}), cancel: cancel, sent: newSentLog(),
	}
	s.Fake.OnSent(func(phone, wamid, to string) {
		select {
		case s.sends <- send{phone, wamid, to, time.Now()}:
		default:
			s.log.Warn("sandbox: too many sends waiting for statuses; skipping one", "wamid", wamid)
		}
	})
	go s.loop(ctx)
	return s
}

// HTTPClient is an http.Client whose requests the fake serves in-process.
func (s *Sandbox) HTTPClient() *http.Client {
	return &http.Client{Transport: fakegraph.Transport(logging{next: s.Fake, log: s.sent}), Timeout: 15 * time.Second}
}

// Sent returns the latest messages the fake accepted from the business number metaPhoneID (Meta's id) to the
// customer waID, oldest first: at most the last 20, of the 200 chats written to most recently.
func (s *Sandbox) Sent(metaPhoneID, waID string) []SentMessage {
	return s.sent.get(metaPhoneID, waID)
}

// Close stops the status loop.
func (s *Sandbox) Close() {
	s.cancel()
	<-s.done
}

// loop emits, every delay, one webhook per phone number carrying each waiting message's next status, as Meta
// batches statuses: sent, then delivered, then read.
func (s *Sandbox) loop(ctx context.Context) {
	defer close(s.done)
	t := time.NewTicker(s.delay)
	defer t.Stop()
	var stages [3][]send // waiting for sent, delivered, read
	for {
		select {
		case <-ctx.Done():
			return
		case x := <-s.sends:
			stages[0] = append(stages[0], x)
			continue
		case <-t.C:
		}
		for i, status := range []string{"read", "delivered", "sent"} {
			stage := 2 - i
			if len(stages[stage]) == 0 {
				continue
			}
			s.emit(ctx, status, stages[stage])
			if stage < 2 {
				stages[stage+1] = append(stages[stage+1], stages[stage]...)
			}
			stages[stage] = stages[stage][:0:0]
		}
	}
}

func (s *Sandbox) emit(ctx context.Context, status string, sends []send) {
	byPhone := map[string][]send{}
	for _, x := range sends {
		byPhone[x.phone] = append(byPhone[x.phone], x)
	}
	for phone, xs := range byPhone {
		body := statusWebhook(s.wabaID, phone, status, xs, time.Now())
		if err := s.ingest.Accept(ctx, body); err != nil && ctx.Err() == nil {
			s.log.Warn("sandbox status webhook not stored", "status", status, "messages", len(xs), "err", err)
		}
	}
}

func statusWebhook(wabaID, phone, status string, xs []send, at time.Time) []byte {
	var items []string
	for _, x := range xs {
		items = append(items, fmt.Sprintf(`{"id":%q,"status":%q,"timestamp":"%d","recipient_id":%q}`, x.wamid, status, at.Unix(), x.to))
	}
	return fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":%q,"changes":[{"field":"messages","value":`+
		`{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550000000","phone_number_id":%q},`+
		`"statuses":[%s]}}]}]}`, wabaID, phone, strings.Join(items, ","))
}

// StatusWebhook is the body Meta sends when a message reaches a status.
func StatusWebhook(wabaID, metaPhoneID, wamid, recipient, status string, at time.Time) []byte {
	return statusWebhook(wabaID, metaPhoneID, status, []send{{metaPhoneID, wamid, recipient, at}}, at)
}

// Client returns a Graph API client wired to the fake.
func (s *Sandbox) Client(version string) *whatsapp.Client {
	return whatsapp.NewClient("http://graph.sandbox", version, s.HTTPClient())
}
