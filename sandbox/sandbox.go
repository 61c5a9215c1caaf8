// Package sandbox is the service's stand-in for Meta when no Meta account is configured: the Graph API client talks
// to an in-process fake (no socket, no network), and every message the fake "sends" is answered with signed status
// webhooks (sent, delivered, read) through the same path Meta's would take. It stores nothing itself.
package sandbox

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
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
	wg     sync.WaitGroup
	ctx    context.Context
	cancel context.CancelFunc
}

// New starts a sandbox whose status webhooks go to in. runID keeps wamids unique across restarts on one database.
// delay spaces sent, delivered and read (0: 300 ms).
func New(in Acceptor, log *slog.Logger, runID string, delay time.Duration) *Sandbox {
	if delay == 0 {
		delay = 300 * time.Millisecond
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Sandbox{Fake: fakegraph.New(fakegraph.WithWAMIDPrefix("wamid.SANDBOX." + runID + ".")), ingest: in, log: log,
		wabaID: "sandbox-waba", delay: delay, ctx: ctx, cancel: cancel}
	s.Fake.OnSent(s.sent)
	return s
}

// HTTPClient is an http.Client whose requests the fake serves in-process.
func (s *Sandbox) HTTPClient() *http.Client {
	return &http.Client{Transport: fakegraph.Transport(s.Fake), Timeout: 15 * time.Second}
}

// Close stops pending status webhooks.
func (s *Sandbox) Close() {
	s.cancel()
	s.wg.Wait()
}

func (s *Sandbox) sent(phoneNumberID, wamid, to string) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for _, status := range []string{"sent", "delivered", "read"} {
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(s.delay):
			}
			body := StatusWebhook(s.wabaID, phoneNumberID, wamid, to, status, time.Now())
			if err := s.ingest.Accept(s.ctx, body); err != nil && s.ctx.Err() == nil {
				s.log.Warn("sandbox status webhook not stored", "wamid", wamid, "status", status, "err", err)
			}
		}
	}()
}

// StatusWebhook is the body Meta sends when a message reaches a status.
func StatusWebhook(wabaID, phoneNumberID, wamid, recipient, status string, at time.Time) []byte {
	return fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":%q,"changes":[{"field":"messages","value":`+
		`{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550000000","phone_number_id":%q},`+
		`"statuses":[{"id":%q,"status":%q,"timestamp":"%d","recipient_id":%q}]}}]}]}`,
		wabaID, phoneNumberID, wamid, status, at.Unix(), recipient)
}

// Client returns a Graph API client wired to the fake.
func (s *Sandbox) Client(version string) *whatsapp.Client {
	return whatsapp.NewClient("http://graph.sandbox", version, s.HTTPClient())
}
