package whatsapp

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "webhooks", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// peerCases returns every case of testdata/peer-pywa, keyed "file/case".
func peerCases(t testing.TB) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "peer-pywa", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no peer fixtures: %v", err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cases map[string]json.RawMessage
		if err := json.Unmarshal(b, &cases); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for name, body := range cases {
			out[filepath.Base(f)+"/"+name] = body
		}
	}
	return out
}

// mustParse parses body and returns its only change, failing on any problem.
func mustParse(t *testing.T, body []byte) Change {
	t.Helper()
	n, err := ParseWebhook(body)
	if err != nil {
		t.Fatalf("ParseWebhook: %v", err)
	}
	if p := n.AllProblems(); len(p) > 0 {
		t.Fatalf("unexpected problems: %q", p)
	}
	if n.Object != "whatsapp_business_account" || len(n.Changes) != 1 {
		t.Fatalf("object %q with %d changes, want one change of whatsapp_business_account", n.Object, len(n.Changes))
	}
	return n.Changes[0]
}

func onlyMessage(t *testing.T, c Change, id, typ, from string) InboundMessage {
	t.Helper()
	if len(c.Messages) != 1 {
		t.Fatalf("%d messages, want 1", len(c.Messages))
	}
	m := c.Messages[0]
	if m.ID != id || m.Type != typ || m.From != from || m.SenderKey() != from {
		t.Fatalf("message id %q type %q from %q, want %q %q %q", m.ID, m.Type, m.From, id, typ, from)
	}
	if m.Timestamp.IsZero() || !json.Valid(m.Raw) || !strings.Contains(string(m.Raw), id) {
		t.Fatalf("timestamp %v, raw %s", m.Timestamp, m.Raw)
	}
	return m
}

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func TestParseWebhook_Fixtures(t *testing.T) {
	const customer, wamidPrefix = "16505551234", "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQz"
	tests := map[string]func(t *testing.T, c Change){
		"account_update.json": func(t *testing.T, c Change) {
			eq(t, "field", c.Field, "account_update")
			eq(t, "waba", c.WABAID, "102290129340398")
			if len(c.Messages)+len(c.Statuses) != 0 || !strings.Contains(string(c.Value), "VERIFIED_ACCOUNT") {
				t.Errorf("value %s", c.Value)
			}
		},
		"batch_two_customers.json": func(t *testing.T, c Change) {
			if len(c.Messages) != 2 || len(c.Contacts) != 2 {
				t.Fatalf("%d messages, %d contacts", len(c.Messages), len(c.Contacts))
			}
			eq(t, "first sender", c.Messages[0].SenderKey(), customer)
			eq(t, "first text", c.Messages[0].Text, "menu")
			eq(t, "second sender", c.Messages[1].SenderKey(), "919876543210")
			eq(t, "second text", c.Messages[1].Text, "hola ¿tienen pizza?")
			eq(t, "second id", c.Messages[1].ID, "wamid.HBgMOTE5ODc2NTQzMjEwFQIAEhgUM0JBVENIMDAwMDAwMDAwMDAyRgA=")
			eq(t, "contact 0", c.Contacts[0], Contact{WaID: customer, UserID: "US.13491208655302741918", Name: "Sheena Nelson"})
			eq(t, "contact 1", c.Contacts[1], Contact{WaID: "919876543210", Name: "Ravi Kumar"})
		},
		"button.json": func(t *testing.T, c Change) {
			m := onlyMessage(t, c, wamidPrefix+"QUNDMTIzNDU2Nzg5MEFCQ0RFRgA=", "button", customer)
			eq(t, "button", *m.Button, ButtonReply{Payload: "reorder", Text: "Order again"})
			eq(t, "text", m.Text, "Order again")
			eq(t, "context", m.ContextID, "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI1QjJGRkE4QjBGQjQ4RjJEAA==")
			eq(t, "context from", m.ContextFrom, "15550783881")
		},
		"image.json": func(t *testing.T, c Change) {
			m := onlyMessage(t, c, wamidPrefix+"QUFBMTIzNDU2Nzg5MEFCQ0RFRgA=", "image", customer)
			eq(t, "media", *m.Media, Media{Kind: "image", ID: "1003383421387256", MimeType: "image/jpeg",
				SHA256: "Mg2tpD2ShbRHjbfHLtbP+8JwTsQ0Jk0O2eD2G0o0kr0=", Caption: "This one please"})
			eq(t, "text", m.Text, "This one please")
		},
		"interactive_button_reply.json": func(t *testing.T, c Change) {
			m := onlyMessage(t, c, wamidPrefix+"QUJDMTIzNDU2Nzg5MEFCQ0RFRgA=", "interactive", customer)
			eq(t, "reply", m.Interactive.Type+"/"+m.Interactive.ID+"/"+m.Interactive.Title, "button_reply/checkout/Checkout")
			eq(t, "text", m.Text, "Checkout")
		},
		"interactive_list_reply.json": func(t *testing.T, c Change) {
			m := onlyMessage(t, c, wamidPrefix+"QUREMTIzNDU2Nzg5MEFCQ0RFRgA=", "interactive", customer)
			eq(t, "type", m.Interactive.Type, "list_reply")
			eq(t, "id", m.Interactive.ID, "product:42")
			eq(t, "title", m.Interactive.Title, "Margherita")
			eq(t, "description", m.Interactive.Description, "Tomato, mozzarella, basil")
		},
		"location.json": func(t *testing.T, c Change) {
			m := onlyMessage(t, c, wamidPrefix+"QUZGMTIzNDU2Nzg5MEFCQ0RFRgA=", "location", customer)
			eq(t, "location", *m.Location, Location{Latitude: 37.4848, Longitude: -122.1484, Name: "Main office",
				Address: "1 Hacker Way, Menlo Park, CA 94025"})
		},
		"order.json": func(t *testing.T, c Change) {
			m := onlyMessage(t, c, wamidPrefix+"QTEyQjFGNzI1QTQxMjI5QTMyOQA=", "order", customer)
			eq(t, "timestamp", m.Timestamp, time.Unix(1750096325, 0).UTC())
			eq(t, "catalog", m.Order.CatalogID, "194836987003835")
			eq(t, "note", m.Order.Text, "Please deliver after 7pm")
			if len(m.Order.Items) != 2 {
				t.Fatalf("%d items", len(m.Order.Items))
			}
			eq(t, "item 0", m.Order.Items[0], OrderItem{RetailerID: "di9ozbzfi4", Quantity: 2, UnitPrice: 3000, Currency: "USD", PriceText: "30"})
			eq(t, "item 1", m.Order.Items[1], OrderItem{RetailerID: "nqryix03ez", Quantity: 1, UnitPrice: 2550, Currency: "USD", PriceText: "25.5"})
		},
		"reaction.json": func(t *testing.T, c Change) {
			m := onlyMessage(t, c, wamidPrefix+"QUJCMTIzNDU2Nzg5MEFCQ0RFRgA=", "reaction", customer)
			eq(t, "reaction", *m.Reaction, Reaction{MessageID: "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI1QjJGRkE4QjBGQjQ4RjJCAA==", Emoji: "👍"})
		},
		"status_failed_131047.json": func(t *testing.T, c Change) {
			if len(c.Statuses) != 1 || len(c.Messages) != 0 {
				t.Fatalf("%d statuses, %d messages", len(c.Statuses), len(c.Messages))
			}
			s := c.Statuses[0]
			eq(t, "id", s.ID, "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI1QjJGRkE4QjBGQjQ4RjJFAA==")
			eq(t, "status", s.Status, "failed")
			eq(t, "recipient", s.RecipientID, customer)
			eq(t, "timestamp", s.Timestamp, time.Unix(1744609253, 0).UTC())
			if len(s.Errors) != 1 || s.Errors[0].Code != 131047 || !strings.Contains(s.Errors[0].Details, "24 hours") {
				t.Fatalf("errors %+v", s.Errors)
			}
			eq(t, "title", s.Errors[0].Title, "Re-engagement message")
		},
		"status_read.json": func(t *testing.T, c Change) {
			eq(t, "status", c.Statuses[0].Status, "read")
			eq(t, "id", c.Statuses[0].ID, "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI1QjJGRkE4QjBGQjQ4RjJCAA==")
		},
		"status_sent.json": func(t *testing.T, c Change) {
			s := c.Statuses[0]
			eq(t, "status", s.Status, "sent")
			eq(t, "conversation", s.ConversationID, "6ceb9d929c3c2b4e2a1c1b5d4a6f3e21")
			eq(t, "origin", s.ConversationCategory, "service")
			eq(t, "pricing", s.PricingCategory, "service")
			eq(t, "billable", s.Billable, false)
		},
		"system_user_changed_number.json": func(t *testing.T, c Change) {
			m := onlyMessage(t, c, wamidPrefix+"QUdHMTIzNDU2Nzg5MEFCQ0RFRgA=", "system", customer)
			eq(t, "system type", m.System.Type, "user_changed_number")
			eq(t, "new wa_id", m.System.WaID, "16505559999")
			eq(t, "text", m.Text, "User A changed from 16505551234 to 16505559999")
		},
		"text.json": func(t *testing.T, c Change) {
			m := onlyMessage(t, c, wamidPrefix+"QTRBNjU5OUFFRTAzODEwMTQ0RgA=", "text", customer)
			eq(t, "text", m.Text, "Hi, can I see the menu?")
			eq(t, "phone number id", c.MetaPhoneID, "106540352242922")
			eq(t, "display number", c.DisplayPhoneNumber, "15550783881")
			eq(t, "field", c.Field, "messages")
			eq(t, "timestamp", m.Timestamp, time.Unix(1749416383, 0).UTC())
		},
		"unsupported.json": func(t *testing.T, c Change) {
			m := onlyMessage(t, c, wamidPrefix+"QUVFMTIzNDU2Nzg5MEFCQ0RFRgA=", "unsupported", customer)
			if len(m.Errors) != 1 || m.Errors[0].Code != 131051 {
				t.Fatalf("errors %+v", m.Errors)
			}
		},
	}
	for name, check := range usernameFixtures() {
		tests[name] = check
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "webhooks", "*.json"))
	if len(files) != len(tests) {
		t.Errorf("%d fixture files, %d expectations: every fixture needs one", len(files), len(tests))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			check, ok := tests[name]
			if !ok {
				t.Fatalf("no expectations for %s", name)
			}
			check(t, mustParse(t, readFixture(t, name)))
		})
	}
}

func TestParseWebhook_PeerCases(t *testing.T) {
	cases := peerCases(t)
	if len(cases) != 74 {
		t.Errorf("%d peer cases, want 74", len(cases))
	}
	names := make([]string, 0, len(cases))
	for name := range cases {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		body := cases[name]
		t.Run(name, func(t *testing.T) {
			n, err := ParseWebhook(body)
			if err != nil {
				t.Fatal(err)
			}
			if p := n.AllProblems(); len(p) > 0 {
				t.Errorf("problems: %q", p)
			}
			if len(n.Changes) == 0 {
				t.Fatal("no changes")
			}
			// Every item in the body is there, with its id.
			var want struct {
				Entry []struct {
					Changes []struct {
						Value struct {
							Messages      []struct{ ID string }
							MessageEchoes []struct{ ID string } `json:"message_echoes"`
							Statuses      []struct{ ID string }
						}
					}
				}
			}
			if err := json.Unmarshal(body, &want); err != nil {
				t.Fatal(err)
			}
			i := 0
			for _, e := range want.Entry {
				for _, wc := range e.Changes {
					c := n.Changes[i]
					i++
					if len(c.Value) == 0 || c.Field == "" || c.WABAID == "" {
						t.Errorf("change %d: field %q waba %q value %d bytes", i, c.Field, c.WABAID, len(c.Value))
					}
					checkIDs(t, "messages", len(wc.Value.Messages), len(c.Messages), func(j int) (string, string) { return wc.Value.Messages[j].ID, c.Messages[j].ID })
					checkIDs(t, "echoes", len(wc.Value.MessageEchoes), len(c.Echoes), func(j int) (string, string) { return wc.Value.MessageEchoes[j].ID, c.Echoes[j].ID })
					checkIDs(t, "statuses", len(wc.Value.Statuses), len(c.Statuses), func(j int) (string, string) { return wc.Value.Statuses[j].ID, c.Statuses[j].ID })
				}
			}
		})
	}
}

func checkIDs(t *testing.T, what string, wantLen, gotLen int, ids func(int) (want, got string)) {
	t.Helper()
	if wantLen != gotLen {
		t.Errorf("%s: %d, want %d", what, gotLen, wantLen)
		return
	}
	for j := range wantLen {
		if want, got := ids(j); want != got || got == "" {
			t.Errorf("%s[%d]: id %q, want %q", what, j, got, want)
		}
	}
}

func TestParseWebhook_PeerDetails(t *testing.T) {
	cases := peerCases(t)
	first := func(name string) (Change, InboundMessage) {
		t.Helper()
		c := mustParse(t, cases[name])
		if len(c.Messages) > 0 {
			return c, c.Messages[0]
		}
		if len(c.Echoes) > 0 {
			return c, c.Echoes[0]
		}
		return c, InboundMessage{}
	}
	_, m := first("edited_message.json/image")
	if m.Type != "edit" || m.Edit == nil || m.Edit.Message == nil || m.Edit.Message.Media == nil {
		t.Fatalf("edit: %+v", m)
	}
	eq(t, "edit original", m.Edit.OriginalMessageID, "wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA=")
	eq(t, "edit text", m.Text, "Updated image caption")
	_, m = first("deleted_message.json/revoke")
	eq(t, "revoked", m.RevokedMessageID, "<ORIGINAL_WHATSAPP_MESSAGE_ID>")
	c, m := first("outgoing_message.json/text")
	eq(t, "echo field", c.Field, "smb_message_echoes")
	eq(t, "echo to", m.To+" "+m.ToUserID+" "+m.Text, "<WHATSAPP_USER_PHONE_NUMBER> <BSUID> Test message")
	_, m = first("flow_completion.json/completion")
	eq(t, "flow", m.Interactive.Type+" "+m.Interactive.FlowName, "nfm_reply flow")
	var flow map[string]string
	if err := json.Unmarshal(m.Interactive.ResponseJSON, &flow); err != nil || flow["flow_token"] == "" {
		t.Errorf("flow response %s: %v", m.Interactive.ResponseJSON, err)
	}
	_, m = first("callback_button.json/quick_reply_without_context")
	eq(t, "from user id", m.FromUserID, "US.13491208655302741918")
	_, m = first("message.json/voice")
	eq(t, "voice", m.Media.Kind+" "+m.Media.MimeType, "audio audio/ogg; codecs=opus")
	eq(t, "voice flag", m.Media.Voice, true)
	_, m = first("message.json/unreaction_no_emoji")
	eq(t, "unreaction", *m.Reaction, Reaction{MessageID: "wamid.yzxyzx="})
	_, m = first("message.json/forwarded_many_times")
	eq(t, "frequently forwarded", m.FrequentlyForwarded, true)
	_, m = first("message.json/contacts")
	eq(t, "shared contacts", m.Text, "Chandler Bing, Monica, Rachel Green")
	_, m = first("message.json/referral")
	if !strings.Contains(string(m.Referral), "CTWA_CLID") {
		t.Errorf("referral %s", m.Referral)
	}
	_, m = first("message.json/order")
	eq(t, "ILS item", m.Order.Items[1], OrderItem{RetailerID: "FRENCH_FRIES", Quantity: 2, UnitPrice: 3500, Currency: "ILS", PriceText: "35"})
	_, m = first("system.json/identity_change")
	eq(t, "identity", m.System.Type+" "+m.System.Identity, "customer_identity_changed xyzxyz")
	c, _ = first("message.json/interactive_message_with_err")
	eq(t, "value errors", len(c.Errors) == 1 && c.Errors[0].Code == 131000, true)
	c, _ = first("message_status.json/with_tracker")
	eq(t, "biz opaque", c.Statuses[0].BizOpaqueCallbackData, "some data")
	eq(t, "billable", c.Statuses[0].Billable, true)
	c, _ = first("call_status.json/call_status")
	eq(t, "call status", c.Statuses[0].Type+" "+c.Statuses[0].Status, "call RINGING")
	c, _ = first("message_status.json/group")
	eq(t, "username", c.Contacts[0].Username, "<USERNAME>")
}
