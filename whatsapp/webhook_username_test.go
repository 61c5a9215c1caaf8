package whatsapp

import (
	"strings"
	"testing"
)

// usernameFixtures are the expectations for testdata/webhooks/username_*.json: a user with a username who shares
// no phone number, known by a business-scoped user id only.
func usernameFixtures() map[string]func(t *testing.T, c Change) {
	const user, prefix = "BR.1502576394655843", "wamid.HBgUQlIuMTUwMjU3NjM5NDY1NTg0MxUCABIYFDNBVVNFUk5BTU"
	ana := Contact{UserID: user, ParentUserID: "BR.ENT.99887766554433221100", Name: "Ana Lima", Username: "ana.lima"}
	onlyFrom := func(t *testing.T, c Change, id, typ string) InboundMessage {
		t.Helper()
		if len(c.Messages) != 1 || len(c.Contacts) != 1 {
			t.Fatalf("%d messages, %d contacts", len(c.Messages), len(c.Contacts))
		}
		eq(t, "contact", c.Contacts[0], ana)
		m := c.Messages[0]
		eq(t, "id", m.ID, id)
		eq(t, "type", m.Type, typ)
		eq(t, "from", m.From, "")
		return m
	}
	return map[string]func(t *testing.T, c Change){
		"username_text.json": func(t *testing.T, c Change) {
			m := onlyFrom(t, c, prefix+"VURVhUMDAwMQA=", "text")
			eq(t, "sender", m.SenderKey(), user)
			eq(t, "text", m.Text, "Oi! Can I see the menu?")
		},
		"username_interactive_reply.json": func(t *testing.T, c Change) {
			m := onlyFrom(t, c, prefix+"VJTlRFUjAwMDIA", "interactive")
			eq(t, "sender", m.SenderKey(), user)
			eq(t, "reply", m.Interactive.ID, "checkout")
		},
		"username_order.json": func(t *testing.T, c Change) {
			m := onlyFrom(t, c, prefix+"VPUkRFUjAwMDMA", "order")
			eq(t, "sender", m.SenderKey(), user)
			if m.Order == nil || len(m.Order.Items) != 1 || m.Order.Items[0].RetailerID != "di9ozbzfi4" {
				t.Fatalf("order %+v", m.Order)
			}
		},
		"username_no_sender.json": func(t *testing.T, c Change) {
			m := onlyFrom(t, c, prefix+"VOT1NFTkRFUgA=", "text")
			eq(t, "sender", m.SenderKey(), "") // the contact names the sender; see ingest
			eq(t, "problem", m.Problem, "")
		},
		"username_status.json": func(t *testing.T, c Change) {
			if len(c.Statuses) != 1 {
				t.Fatalf("%d statuses", len(c.Statuses))
			}
			st := c.Statuses[0]
			eq(t, "status", st.Status, "delivered")
			eq(t, "recipient", st.RecipientID, "")
			eq(t, "recipient user id", st.RecipientUserID, user)
			if !strings.HasPrefix(st.ID, "wamid.") || st.Problem != "" {
				t.Fatalf("status %+v", st)
			}
		},
	}
}
