package whatsapp

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// runes returns n two-byte characters, so that a byte-counting check would fail where a rune-counting one passes.
func runes(n int) string { return strings.Repeat("é", n) }

func mustJSON(t *testing.T, m OutgoingMessage, err error) []byte {
	t.Helper()
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameJSON compares two JSON documents by value, so key order and spacing do not matter.
func sameJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got invalid JSON %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expected JSON: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("JSON differs\n got: %s\nwant: %s", got, want)
	}
}

// The expected bodies follow the request examples of Meta's Cloud API documentation (Messages API, interactive
// reply buttons and list messages, sharing products, template messages).
func TestOutgoingMessage_MatchesMetaJSON(t *testing.T) {
	const to = "+16505551234"
	t.Run("text", func(t *testing.T) {
		m, err := NewText(to, "As requested, here's the link to our latest product: https://www.meta.com/quest/quest-3/", true)
		sameJSON(t, mustJSON(t, m, err), `{"messaging_product":"whatsapp","recipient_type":"individual",
			"to":"+16505551234","type":"text","text":{"preview_url":true,
			"body":"As requested, here's the link to our latest product: https://www.meta.com/quest/quest-3/"}}`)
	})
	t.Run("text without preview", func(t *testing.T) {
		m, err := NewText(to, "Hello", false)
		sameJSON(t, mustJSON(t, m, err), `{"messaging_product":"whatsapp","recipient_type":"individual",
			"to":"+16505551234","type":"text","text":{"body":"Hello"}}`)
	})
	t.Run("reply buttons", func(t *testing.T) {
		m, err := NewReplyButtons(to, "Hi Pablo! Your gardening workshop is scheduled for 9am tomorrow. Use the buttons if you need to reschedule. Thank you!",
			[]Button{{ID: "change-button", Title: "Change"}, {ID: "cancel-button", Title: "Cancel"}},
			WithHeader("Workshop"), WithFooter("Lucky Shrub: Your gateway to succulents!™"))
		sameJSON(t, mustJSON(t, m, err), `{"messaging_product":"whatsapp","recipient_type":"individual",
			"to":"+16505551234","type":"interactive","interactive":{"type":"button",
			"header":{"type":"text","text":"Workshop"},
			"body":{"text":"Hi Pablo! Your gardening workshop is scheduled for 9am tomorrow. Use the buttons if you need to reschedule. Thank you!"},
			"footer":{"text":"Lucky Shrub: Your gateway to succulents!™"},
			"action":{"buttons":[{"type":"reply","reply":{"id":"change-button","title":"Change"}},
				{"type":"reply","reply":{"id":"cancel-button","title":"Cancel"}}]}}}`)
	})
	t.Run("list", func(t *testing.T) {
		m, err := NewList(to, "Which shipping option do you prefer?", "Shipping Options", []Section{
			{Title: "I want it ASAP!", Rows: []Row{
				{ID: "priority_express", Title: "Priority Mail Express", Description: "Next Day to 2 Days"},
				{ID: "priority_mail", Title: "Priority Mail", Description: "1–3 Days"}}},
			{Title: "I can wait a bit", Rows: []Row{
				{ID: "usps_ground_advantage", Title: "USPS Ground Advantage", Description: "2-5 Days"},
				{ID: "media_mail", Title: "Media Mail", Description: "2-8 Days"}}},
		}, WithHeader("Choose Shipping Option"), WithFooter("Lucky Shrub: Your gateway to succulents™"))
		sameJSON(t, mustJSON(t, m, err), `{"messaging_product":"whatsapp","recipient_type":"individual",
			"to":"+16505551234","type":"interactive","interactive":{"type":"list",
			"header":{"type":"text","text":"Choose Shipping Option"},
			"body":{"text":"Which shipping option do you prefer?"},
			"footer":{"text":"Lucky Shrub: Your gateway to succulents™"},
			"action":{"button":"Shipping Options","sections":[
				{"title":"I want it ASAP!","rows":[
					{"id":"priority_express","title":"Priority Mail Express","description":"Next Day to 2 Days"},
					{"id":"priority_mail","title":"Priority Mail","description":"1–3 Days"}]},
				{"title":"I can wait a bit","rows":[
					{"id":"usps_ground_advantage","title":"USPS Ground Advantage","description":"2-5 Days"},
					{"id":"media_mail","title":"Media Mail","description":"2-8 Days"}]}]}}}`)
	})
	t.Run("single product", func(t *testing.T) {
		m, err := NewProduct(to, "194836987003835", "di9ozbzfi4", "Our best seller", "Lucky Shrub")
		sameJSON(t, mustJSON(t, m, err), `{"messaging_product":"whatsapp","recipient_type":"individual",
			"to":"+16505551234","type":"interactive","interactive":{"type":"product",
			"body":{"text":"Our best seller"},"footer":{"text":"Lucky Shrub"},
			"action":{"catalog_id":"194836987003835","product_retailer_id":"di9ozbzfi4"}}}`)
	})
	t.Run("single product without body or footer", func(t *testing.T) {
		m, err := NewProduct(to, "194836987003835", "di9ozbzfi4", "", "")
		sameJSON(t, mustJSON(t, m, err), `{"messaging_product":"whatsapp","recipient_type":"individual",
			"to":"+16505551234","type":"interactive","interactive":{"type":"product",
			"action":{"catalog_id":"194836987003835","product_retailer_id":"di9ozbzfi4"}}}`)
	})
	t.Run("multi product", func(t *testing.T) {
		m, err := NewProductList(to, "194836987003835", "Our top sellers", "Tap to browse", []ProductSection{
			{Title: "Succulents", RetailerIDs: []string{"di9ozbzfi4", "nqryix03ez"}},
			{Title: "Pots", RetailerIDs: []string{"pot-1"}},
		}, WithFooter("Lucky Shrub"))
		sameJSON(t, mustJSON(t, m, err), `{"messaging_product":"whatsapp","recipient_type":"individual",
			"to":"+16505551234","type":"interactive","interactive":{"type":"product_list",
			"header":{"type":"text","text":"Our top sellers"},"body":{"text":"Tap to browse"},
			"footer":{"text":"Lucky Shrub"},
			"action":{"catalog_id":"194836987003835","sections":[
				{"title":"Succulents","product_items":[{"product_retailer_id":"di9ozbzfi4"},{"product_retailer_id":"nqryix03ez"}]},
				{"title":"Pots","product_items":[{"product_retailer_id":"pot-1"}]}]}}}`)
	})
	t.Run("template", func(t *testing.T) {
		m, err := NewTemplate(to, "order_confirmation", "en_US",
			[]TemplateComponent{TemplateHeaderText("#1042"), TemplateBodyText("Pablo", "860198-230332")})
		sameJSON(t, mustJSON(t, m, err), `{"messaging_product":"whatsapp","recipient_type":"individual",
			"to":"+16505551234","type":"template","template":{"name":"order_confirmation",
			"language":{"policy":"deterministic","code":"en_US"},"components":[
				{"type":"header","parameters":[{"type":"text","text":"#1042"}]},
				{"type":"body","parameters":[{"type":"text","text":"Pablo"},{"type":"text","text":"860198-230332"}]}]}}`)
	})
	t.Run("template without variables", func(t *testing.T) {
		m, err := NewTemplate(to, "hello_world", "en_US", nil)
		sameJSON(t, mustJSON(t, m, err), `{"messaging_product":"whatsapp","recipient_type":"individual",
			"to":"+16505551234","type":"template","template":{"name":"hello_world",
			"language":{"policy":"deterministic","code":"en_US"}}}`)
	})
}

func buttons(n int) []Button {
	out := make([]Button, n)
	for i := range out {
		out[i] = Button{ID: fmt.Sprintf("b%d", i), Title: fmt.Sprintf("B%d", i)}
	}
	return out
}

func rows(prefix string, n int) []Row {
	out := make([]Row, n)
	for i := range out {
		out[i] = Row{ID: fmt.Sprintf("%s%d", prefix, i), Title: fmt.Sprintf("Row %d", i)}
	}
	return out
}

func retailerIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("sku-%d", i)
	}
	return out
}

func text(body string) error { return errOf(NewText("1", body, false)) }

func replyButtons(body string, b []Button, opts ...InteractiveOption) error {
	return errOf(NewReplyButtons("1", body, b, opts...))
}

func product(body, footer string) error { return errOf(NewProduct("1", "cat", "sku", body, footer)) }

func list(body, button string, sections []Section, opts ...InteractiveOption) error {
	return errOf(NewList("1", body, button, sections, opts...))
}

func productList(header, body string, sections []ProductSection, opts ...InteractiveOption) error {
	return errOf(NewProductList("1", "cat", header, body, sections, opts...))
}

// TestLimits builds each field at its limit (which must pass) and one over (which must fail on that field).
func TestLimits(t *testing.T) {
	oneRow := []Section{{Rows: rows("r", 1)}}
	oneProduct := []ProductSection{{RetailerIDs: []string{"sku"}}}
	cases := []struct {
		name, field string
		limit       int
		build       func(n int) error
	}{
		{"text body", "text.body", 4096, func(n int) error { return text(runes(n)) }},
		{"buttons body", "interactive.body.text", 1024, func(n int) error { return replyButtons(runes(n), buttons(1)) }},
		{"buttons header", "interactive.header.text", 60, func(n int) error {
			return replyButtons("b", buttons(1), WithHeader(runes(n)))
		}},
		{"buttons footer", "interactive.footer.text", 60, func(n int) error {
			return replyButtons("b", buttons(1), WithFooter(runes(n)))
		}},
		{"button count", "interactive.action.buttons", 3, func(n int) error { return replyButtons("b", buttons(n)) }},
		{"button id", "interactive.action.buttons[0].reply.id", 256, func(n int) error {
			return replyButtons("b", []Button{{ID: runes(n), Title: "ok"}})
		}},
		{"button title", "interactive.action.buttons[0].reply.title", 20, func(n int) error {
			return replyButtons("b", []Button{{ID: "id", Title: runes(n)}})
		}},
		{"list body", "interactive.body.text", 4096, func(n int) error { return list(runes(n), "Menu", oneRow) }},
		{"list header", "interactive.header.text", 60, func(n int) error {
			return list("b", "Menu", oneRow, WithHeader(runes(n)))
		}},
		{"list footer", "interactive.footer.text", 60, func(n int) error {
			return list("b", "Menu", oneRow, WithFooter(runes(n)))
		}},
		{"list button", "interactive.action.button", 20, func(n int) error { return list("b", runes(n), oneRow) }},
		{"list sections", "interactive.action.sections", 10, func(n int) error {
			var secs []Section
			for i := range n {
				secs = append(secs, Section{Title: fmt.Sprint("S", i), Rows: rows(fmt.Sprint("s", i, "r"), 1)})
			}
			return list("b", "Menu", secs)
		}},
		{"list rows in all", "interactive.action.sections", 10, func(n int) error {
			return list("b", "Menu", []Section{{Title: "A", Rows: rows("a", n/2)}, {Title: "B", Rows: rows("b", n-n/2)}})
		}},
		{"row id", "interactive.action.sections[0].rows[0].id", 200, func(n int) error {
			return list("b", "Menu", []Section{{Rows: []Row{{ID: runes(n), Title: "t"}}}})
		}},
		{"row title", "interactive.action.sections[0].rows[0].title", 24, func(n int) error {
			return list("b", "Menu", []Section{{Rows: []Row{{ID: "id", Title: runes(n)}}}})
		}},
		{"row description", "interactive.action.sections[0].rows[0].description", 72, func(n int) error {
			return list("b", "Menu", []Section{{Rows: []Row{{ID: "id", Title: "t", Description: runes(n)}}}})
		}},
		{"list section title", "interactive.action.sections[0].title", 24, func(n int) error {
			return list("b", "Menu", []Section{{Title: runes(n), Rows: rows("r", 1)}})
		}},
		{"product body", "interactive.body.text", 1024, func(n int) error { return product(runes(n), "") }},
		{"product footer", "interactive.footer.text", 60, func(n int) error { return product("", runes(n)) }},
		{"product list header", "interactive.header.text", 60, func(n int) error {
			return productList(runes(n), "b", oneProduct)
		}},
		{"product list body", "interactive.body.text", 1024, func(n int) error {
			return productList("h", runes(n), oneProduct)
		}},
		{"product list footer", "interactive.footer.text", 60, func(n int) error {
			return productList("h", "b", oneProduct, WithFooter(runes(n)))
		}},
		{"product sections", "interactive.action.sections", 10, func(n int) error {
			var secs []ProductSection
			for i := range n {
				secs = append(secs, ProductSection{Title: fmt.Sprint("S", i), RetailerIDs: []string{"sku"}})
			}
			return productList("h", "b", secs)
		}},
		{"products in all", "interactive.action.sections", 30, func(n int) error {
			return productList("h", "b", []ProductSection{{Title: "A", RetailerIDs: retailerIDs(n / 2)},
				{Title: "B", RetailerIDs: retailerIDs(n - n/2)}})
		}},
		{"product section title", "interactive.action.sections[0].title", 24, func(n int) error {
			return productList("h", "b", []ProductSection{{Title: runes(n), RetailerIDs: []string{"sku"}}})
		}},
		{"template header parameter", "template.components[0].parameters[0].text", 60, func(n int) error {
			return errOf(NewTemplate("1", "t", "en", []TemplateComponent{TemplateHeaderText(runes(n))}))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.build(c.limit); err != nil {
				t.Fatalf("at the limit (%d): %v", c.limit, err)
			}
			err := c.build(c.limit + 1)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("one over the limit (%d): want a *ValidationError, got %v", c.limit+1, err)
			}
			if ve.Field != c.field {
				t.Errorf("field = %q, want %q (%v)", ve.Field, c.field, err)
			}
		})
	}
}

func TestValidation_Rules(t *testing.T) {
	twoSections := func(firstTitle string) []Section {
		return []Section{{Title: firstTitle, Rows: rows("a", 1)}, {Title: "B", Rows: rows("b", 1)}}
	}
	cases := []struct {
		name, field string
		err         error
	}{
		{"empty text", "text.body", errOf(NewText("1", " \n", false))},
		{"no recipient", "to", errOf(NewText("", "hi", false))},
		{"no buttons", "interactive.action.buttons", errOf(NewReplyButtons("1", "b", nil))},
		{"empty button body", "interactive.body.text", errOf(NewReplyButtons("1", "", buttons(1)))},
		{"duplicate button id", "interactive.action.buttons[1].reply.id",
			errOf(NewReplyButtons("1", "b", []Button{{ID: "x", Title: "A"}, {ID: "x", Title: "B"}}))},
		{"duplicate button title", "interactive.action.buttons[1].reply.title",
			errOf(NewReplyButtons("1", "b", []Button{{ID: "x", Title: "A"}, {ID: "y", Title: "A"}}))},
		{"button id with spaces", "interactive.action.buttons[0].reply.id",
			errOf(NewReplyButtons("1", "b", []Button{{ID: " x", Title: "A"}}))},
		{"empty button title", "interactive.action.buttons[0].reply.title",
			errOf(NewReplyButtons("1", "b", []Button{{ID: "x"}}))},
		{"no sections", "interactive.action.sections", errOf(NewList("1", "b", "Menu", nil))},
		{"untitled section among two", "interactive.action.sections[0].title", errOf(NewList("1", "b", "Menu", twoSections("")))},
		{"section without rows", "interactive.action.sections[0]",
			errOf(NewList("1", "b", "Menu", []Section{{Title: "A"}}))},
		{"duplicate row id across sections", "interactive.action.sections[1].rows[0].id",
			errOf(NewList("1", "b", "Menu", []Section{{Title: "A", Rows: rows("r", 1)}, {Title: "B", Rows: rows("r", 1)}}))},
		{"empty row title", "interactive.action.sections[0].rows[0].title",
			errOf(NewList("1", "b", "Menu", []Section{{Rows: []Row{{ID: "x"}}}}))},
		{"empty list button", "interactive.action.button", errOf(NewList("1", "b", "", twoSections("A")))},
		{"product without catalog", "interactive.action.catalog_id", errOf(NewProduct("1", "", "sku", "", ""))},
		{"product without retailer id", "interactive.action.product_retailer_id", errOf(NewProduct("1", "cat", "", "", ""))},
		{"product list without header", "interactive.header.text",
			errOf(NewProductList("1", "cat", "", "b", []ProductSection{{RetailerIDs: []string{"a"}}}))},
		{"product list without body", "interactive.body.text",
			errOf(NewProductList("1", "cat", "h", "", []ProductSection{{RetailerIDs: []string{"a"}}}))},
		{"empty product section", "interactive.action.sections[0]",
			errOf(NewProductList("1", "cat", "h", "b", []ProductSection{{Title: "A"}}))},
		{"untitled product section among two", "interactive.action.sections[1].title",
			errOf(NewProductList("1", "cat", "h", "b", []ProductSection{{Title: "A", RetailerIDs: []string{"a"}}, {RetailerIDs: []string{"b"}}}))},
		{"template without name", "template.name", errOf(NewTemplate("1", "", "en", nil))},
		{"template without language", "template.language.code", errOf(NewTemplate("1", "t", "", nil))},
		{"empty template parameter", "template.components[0].parameters[1].text",
			errOf(NewTemplate("1", "t", "en", []TemplateComponent{TemplateBodyText("a", "")}))},
		{"new line in template parameter", "template.components[0].parameters[0].text",
			errOf(NewTemplate("1", "t", "en", []TemplateComponent{TemplateBodyText("12 Main St\nApt 3")}))},
		{"tab in template parameter", "template.components[0].parameters[0].text",
			errOf(NewTemplate("1", "t", "en", []TemplateComponent{TemplateBodyText("a\tb")}))},
		{"five spaces in template parameter", "template.components[0].parameters[0].text",
			errOf(NewTemplate("1", "t", "en", []TemplateComponent{TemplateBodyText("a     b")}))},
		{"unknown type", "type", OutgoingMessage{MessagingProduct: "whatsapp", To: "1", Type: "image"}.Validate()},
		{"type without its object", "text", OutgoingMessage{MessagingProduct: "whatsapp", To: "1", Type: "text"}.Validate()},
		{"wrong product", "messaging_product", OutgoingMessage{MessagingProduct: "sms", To: "1", Type: "text",
			TextContent: &TextContent{Body: "x"}}.Validate()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ve *ValidationError
			if !errors.As(c.err, &ve) {
				t.Fatalf("want a *ValidationError on %s, got %v", c.field, c.err)
			}
			if ve.Field != c.field {
				t.Errorf("field = %q, want %q (%v)", ve.Field, c.field, c.err)
			}
			if !strings.Contains(ve.Error(), c.field) || ve.Reason == "" {
				t.Errorf("error %q does not say what is wrong", ve.Error())
			}
		})
	}
	if _, err := NewTemplate("1", "t", "en", []TemplateComponent{TemplateBodyText("a    b")}); err != nil {
		t.Errorf("four spaces in a row are allowed: %v", err)
	}
	var nilErr error = OutgoingMessage{}.Validate()
	if nilErr == nil {
		t.Error("the zero message must not validate")
	}
}

func errOf(_ OutgoingMessage, err error) error { return err }

func TestText_And_Summary(t *testing.T) {
	must := func(m OutgoingMessage, err error) OutgoingMessage {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	cases := []struct {
		m             OutgoingMessage
		text, summary string
	}{
		{must(NewText("1", "Hello\n\nthere", false)), "Hello\n\nthere", "Hello there"},
		{must(NewReplyButtons("1", "Confirm order #12?", []Button{{ID: "y", Title: "Yes"}, {ID: "n", Title: "No"}},
			WithFooter("Total $12.50"))),
			"Confirm order #12?\nTotal $12.50\n[Yes] [No]", "Confirm order #12? Total $12.50 [Yes] [No]"},
		{must(NewList("1", "Our menu", "View menu", []Section{{Rows: []Row{{ID: "1", Title: "Burger"}, {ID: "2", Title: "Fries"}}}},
			WithHeader("Joe's"))),
			"Joe's\nOur menu\n[View menu] Burger, Fries", "Joe's Our menu [View menu] Burger, Fries"},
		{must(NewProduct("1", "cat", "sku-9", "", "")), "Product sku-9", "Product sku-9"},
		{must(NewProductList("1", "cat", "Top", "Pick", []ProductSection{{RetailerIDs: []string{"a", "b"}}})),
			"Top\nPick\nProducts (2): a, b", "Top Pick Products (2): a, b"},
		{must(NewTemplate("1", "order_ready", "en", []TemplateComponent{TemplateBodyText("Ana", "#7")})),
			"Template order_ready (en): Ana | #7", "Template order_ready (en): Ana | #7"},
		{OutgoingMessage{Type: "image"}, "[image message]", "[image message]"},
	}
	for _, c := range cases {
		if got := c.m.Text(); got != c.text {
			t.Errorf("Text() = %q, want %q", got, c.text)
		}
		if got := c.m.Summary(); got != c.summary {
			t.Errorf("Summary() = %q, want %q", got, c.summary)
		}
	}
	long := must(NewText("1", runes(300), false))
	if got := long.Summary(); len([]rune(got)) != 100 || !strings.HasSuffix(got, "…") {
		t.Errorf("Summary of a long text = %d runes %q", len([]rune(got)), got)
	}
}

// The send queue stores the marshalled message; what it reads back must be the same message.
func TestOutgoingMessage_RoundTripsThroughJSON(t *testing.T) {
	m, err := NewList("1", "b", "Menu", []Section{{Title: "A", Rows: rows("a", 2)}, {Title: "B", Rows: rows("b", 1)}},
		WithHeader("h"), WithFooter("f"))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(m)
	var back OutgoingMessage
	if err := json.Unmarshal(payload, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, m) {
		t.Errorf("round trip changed the message:\n got %+v\nwant %+v", back, m)
	}
	if err := back.Validate(); err != nil {
		t.Error(err)
	}
}

func TestTruncateRunes(t *testing.T) {
	cases := []struct {
		in   string
		n    int
		want string
	}{
		{"Burger", 24, "Burger"},
		{"Double cheeseburger with fries", 10, "Double ch…"},
		{"Pizza margherita", 7, "Pizza…"}, // the space before the cut goes
		{"ééééé", 3, "éé…"},
		{"abc", 1, "a"},
		{"abc", 0, ""},
	}
	for _, c := range cases {
		if got := TruncateRunes(c.in, c.n); got != c.want {
			t.Errorf("TruncateRunes(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}
