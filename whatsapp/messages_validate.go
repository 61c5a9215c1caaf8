package whatsapp

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Validate checks m against Meta's rules for its type and returns the first *ValidationError found. The
// constructors call it; call it yourself on a message built or decoded by hand.
func (m OutgoingMessage) Validate() error {
	v := &msgCheck{}
	if m.MessagingProduct != "whatsapp" {
		v.fail("messaging_product", `must be "whatsapp"`)
	}
	switch {
	case m.To != "" && m.Recipient != "":
		v.fail("to", "and recipient are both set: Meta would ignore recipient")
	case m.Recipient != "":
		v.text("recipient", m.Recipient, 160, true)
	default:
		v.text("to", m.To, 64, true)
	}
	switch {
	case m.Type == "text" && m.TextContent != nil:
		v.text("text.body", m.TextContent.Body, MaxTextBody, true)
	case m.Type == "interactive" && m.Interactive != nil:
		v.interactive(m.Interactive)
	case m.Type == "template" && m.Template != nil:
		v.template(m.Template)
	case m.Type == "text" || m.Type == "interactive" || m.Type == "template":
		v.fail(m.Type, "is required")
	default:
		v.fail("type", fmt.Sprintf("%q is not a type this package builds", m.Type))
	}
	if v.err == nil {
		return nil // not a nil *ValidationError in a non-nil error
	}
	return v.err
}

// msgCheck keeps the first rule a message breaks.
type msgCheck struct{ err *ValidationError }

func (v *msgCheck) fail(field, reason string) {
	if v.err == nil {
		v.err = &ValidationError{Field: field, Reason: reason}
	}
}

// text checks the length of s in characters and, if required, that it is not blank.
func (v *msgCheck) text(field, s string, max int, required bool) {
	if required && strings.TrimSpace(s) == "" {
		v.fail(field, "is required")
	} else if n := utf8.RuneCountInString(s); n > max {
		v.fail(field, fmt.Sprintf("is %d characters, more than %d", n, max))
	}
}

func (v *msgCheck) count(field string, n, max int) {
	if n < 1 || n > max {
		v.fail(field, fmt.Sprintf("has %d items, want 1 to %d", n, max))
	}
}

func (v *msgCheck) unique(seen map[string]bool, field, s string) {
	if seen[s] {
		v.fail(field, fmt.Sprintf("%q is used twice", s))
	}
	seen[s] = true
}

func (v *msgCheck) interactive(in *Interactive) {
	bodyMax, bodyRequired := MaxInteractiveBody, in.Type != "product"
	switch {
	case in.Type == "list":
		bodyMax = MaxListBody
	case in.Type == "product" && in.Header != nil:
		v.fail("interactive.header", "is not allowed in a single-product message")
	case in.Type == "product_list" && in.Header == nil:
		v.fail("interactive.header", "is required")
	case in.Type != "button" && in.Type != "product" && in.Type != "product_list":
		v.fail("interactive.type", fmt.Sprintf("%q is not a type this package builds", in.Type))
	}
	switch h := in.Header; {
	case h == nil:
	case h.Type == "image" && in.Type == "button":
		if h.Image == nil || !strings.HasPrefix(h.Image.Link, "https://") && !strings.HasPrefix(h.Image.Link, "http://") {
			v.fail("interactive.header.image.link", "must be an absolute http(s) URL")
		}
	case h.Type == "image":
		v.fail("interactive.header.type", `"image" is allowed only on reply buttons`)
	case h.Type != "text":
		v.fail("interactive.header.type", `must be "text" or "image"`)
	default:
		v.text("interactive.header.text", h.Text, MaxHeaderText, true)
	}
	if in.Body == nil && bodyRequired {
		v.fail("interactive.body", "is required")
	} else if in.Body != nil {
		v.text("interactive.body.text", in.Body.Text, bodyMax, bodyRequired)
	}
	if in.Footer != nil {
		v.text("interactive.footer.text", in.Footer.Text, MaxFooterText, true)
	}
	switch a := in.Action; in.Type {
	case "button":
		v.count("interactive.action.buttons", len(a.Buttons), MaxButtons)
		ids, titles := map[string]bool{}, map[string]bool{}
		for i, b := range a.Buttons {
			f := fmt.Sprintf("interactive.action.buttons[%d]", i)
			if b.Type != "reply" {
				v.fail(f+".type", `must be "reply"`)
			}
			v.text(f+".reply.id", b.Reply.ID, MaxButtonID, true)
			if strings.TrimSpace(b.Reply.ID) != b.Reply.ID {
				v.fail(f+".reply.id", "must not start or end with spaces")
			}
			v.unique(ids, f+".reply.id", b.Reply.ID)
			v.text(f+".reply.title", b.Reply.Title, MaxButtonTitle, true)
			v.unique(titles, f+".reply.title", b.Reply.Title)
		}
	case "list":
		v.text("interactive.action.button", a.Button, MaxListButton, true)
		v.sections(a.Sections, false)
	case "product":
		v.text("interactive.action.catalog_id", a.CatalogID, 256, true)
		v.text("interactive.action.product_retailer_id", a.ProductRetailerID, 256, true)
	case "product_list":
		v.text("interactive.action.catalog_id", a.CatalogID, 256, true)
		v.sections(a.Sections, true)
	}
}

// sections checks the sections of a list (rows) or of a multi-product message (products).
func (v *msgCheck) sections(sections []Section, products bool) {
	const p = "interactive.action.sections"
	maxSections, maxItems, what := MaxListSections, MaxListRows, "rows"
	if products {
		maxSections, maxItems, what = MaxProductSections, MaxProducts, "products"
	}
	v.count(p, len(sections), maxSections)
	total, ids := 0, map[string]bool{}
	for i, s := range sections {
		f := fmt.Sprintf("%s[%d]", p, i)
		v.text(f+".title", s.Title, MaxSectionTitle, len(sections) > 1)
		items, others := len(s.Rows), len(s.ProductItems)
		if products {
			items, others = others, items
		}
		if items == 0 || others > 0 {
			v.fail(f, "must have "+what+", and only "+what)
		}
		total += items
		for j, r := range s.Rows {
			rf := fmt.Sprintf("%s.rows[%d]", f, j)
			v.text(rf+".id", r.ID, MaxRowID, true)
			v.unique(ids, rf+".id", r.ID)
			v.text(rf+".title", r.Title, MaxRowTitle, true)
			v.text(rf+".description", r.Description, MaxRowDescription, false)
		}
		for j, it := range s.ProductItems {
			v.text(fmt.Sprintf("%s.product_items[%d].product_retailer_id", f, j), it.ProductRetailerID, 256, true)
		}
	}
	if total > maxItems {
		v.fail(p, fmt.Sprintf("have %d %s in all, more than %d", total, what, maxItems))
	}
}

func (v *msgCheck) template(t *TemplateContent) {
	v.text("template.name", t.Name, MaxTemplateName, true)
	v.text("template.language.code", t.Language.Code, 16, true)
	for i, c := range t.Components {
		f, max := fmt.Sprintf("template.components[%d]", i), 32768
		if c.Type == "header" {
			max = MaxTemplateHeaderText
		} else if c.Type != "body" {
			v.fail(f+".type", fmt.Sprintf("%q is not a type this package builds", c.Type))
		}
		for j, prm := range c.Parameters {
			pf := fmt.Sprintf("%s.parameters[%d]", f, j)
			if prm.Type != "text" {
				v.fail(pf+".type", `must be "text"`)
			}
			v.text(pf+".text", prm.Text, max, true)
			// Meta refuses these (error 132018) instead of rendering them.
			if strings.ContainsAny(prm.Text, "\n\t") || strings.Contains(prm.Text, "     ") {
				v.fail(pf+".text", "must not contain new lines, tabs or more than 4 spaces in a row")
			}
		}
	}
}
