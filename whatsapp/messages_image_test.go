package whatsapp

import (
	"errors"
	"testing"
)

// Meta's reply-buttons contract: "header":{"type":"image","image":{"link":"<ASSET_URL>"}}.
func TestNewReplyButtons_ImageHeaderIsALinkMetaFetches(t *testing.T) {
	m, err := NewReplyButtons("+16505551234", "Margherita — $9.00 each. How many?", []Button{{ID: "q1", Title: "1"}},
		WithHeaderImage("https://orders.example.com/p/b1/products/ab12.jpg"))
	sameJSON(t, mustJSON(t, m, err), `{"messaging_product":"whatsapp","recipient_type":"individual",
		"to":"+16505551234","type":"interactive","interactive":{"type":"button",
		"header":{"type":"image","image":{"link":"https://orders.example.com/p/b1/products/ab12.jpg"}},
		"body":{"text":"Margherita — $9.00 each. How many?"},
		"action":{"buttons":[{"type":"reply","reply":{"id":"q1","title":"1"}}]}}}`)
	if got := m.Text(); got != "Margherita — $9.00 each. How many?\n[1]" {
		t.Fatalf("summary %q", got)
	}
}

func TestImageHeader_RefusedOnListsAndWithoutAnAbsoluteLink(t *testing.T) {
	var ve *ValidationError
	if _, err := NewList("1", "b", "Menu", []Section{{Rows: []Row{{ID: "r", Title: "R"}}}},
		WithHeaderImage("https://x.example/p.jpg")); !errors.As(err, &ve) || ve.Field != "interactive.header.type" {
		t.Fatalf("image header on a list: %v", err)
	}
	if _, err := NewReplyButtons("1", "b", []Button{{ID: "q", Title: "1"}},
		WithHeaderImage("/p/b1/x.jpg")); !errors.As(err, &ve) || ve.Field != "interactive.header.image.link" {
		t.Fatalf("relative link: %v", err)
	}
}
