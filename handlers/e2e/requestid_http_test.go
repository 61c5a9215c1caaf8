package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/waorder/waorder/app/apptest"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/requestid"
	"github.com/waorder/waorder/testutil"
)

// One signed webhook with a proxy's X-Request-ID: the webhook's log line, the bot's and the outbox's name the same
// id, and it is stored with the customer's message and with every reply to it.
func TestRequestID_FollowsOneWebhookToTheSend(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			logs := &apptest.Logs{}
			e := newDashEnvLogging(t, be.Open(t), logs.Logger())
			id := "trace-" + testutil.RandomHex(6)
			if got := e.webhookWithID(t, e.textWebhook("351910000040", "Rita Alves", "hello"), id); got != id {
				t.Fatalf("response X-Request-ID %q, want the proxy's %q", got, id)
			}
			if got := e.webhookWithID(t, e.textWebhook("351910000041", "Rui Lopes", "hello"), "not a token; <x>"); !requestid.Valid(got) || got == "not a token; <x>" {
				t.Fatalf("response X-Request-ID %q for a malformed one: want a new valid id", got)
			}
			cust, err := e.store.CustomerByWaID(ctx, e.biz.ID, "351910000040") // stored before the 200
			if err != nil {
				t.Fatal(err)
			}
			var replies []models.OutboundMessage
			dashEventually(t, 20*time.Second, "the replies sent", func() bool {
				var err error
				replies, err = e.store.OutboundForCustomer(ctx, e.biz.ID, cust.ID, 20)
				if err != nil || len(replies) == 0 {
					return false
				}
				for _, r := range replies {
					if r.Status == models.OutQueued {
						return false
					}
				}
				return true
			})
			for _, r := range replies {
				if r.RequestID != id || r.Status != models.OutSent && r.Status != models.OutDelivered && r.Status != models.OutRead {
					t.Errorf("reply %d (%s): request id %q, status %s; want %q, sent", r.ID, r.Summary, r.RequestID, r.Status, id)
				}
			}
			in, err := e.store.InboundMessages(ctx, e.biz.ID, 10)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range in {
				if m.CustomerID == cust.ID && m.RequestID != id {
					t.Errorf("inbound message %s stored with request id %q, want %q", m.Wamid, m.RequestID, id)
				}
			}
			want := map[string]bool{"webhook stored": false, "inbound message handled": false, "outbound message sent": false}
			dashEventually(t, 10*time.Second, "the webhook's, the bot's and the send's log lines with the id", func() bool {
				for _, l := range logs.Lines() {
					if msg, _ := l["msg"].(string); l[requestid.Key] == id {
						if _, ok := want[msg]; ok {
							want[msg] = true
						}
					}
				}
				return want["webhook stored"] && want["inbound message handled"] && want["outbound message sent"]
			})
			for _, l := range logs.Lines() {
				if w, _ := l["wamid"].(string); l["msg"] == "outbound message sent" && l[requestid.Key] == id && w == "" {
					t.Errorf("send line without the wamid: %v", l)
				}
			}
		})
	}
}
