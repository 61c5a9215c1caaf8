package whatsapp

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Meta's limits for outgoing messages, in characters (runes). The constructors enforce them so that a message
// Meta would refuse fails before it is queued; fit data (product names, ...) into them with TruncateRunes.
const (
	MaxTextBody, MaxListBody, MaxInteractiveBody = 4096, 4096, 1024 // MaxInteractiveBody: buttons, products
	MaxHeaderText, MaxFooterText                 = 60, 60
	MaxButtons, MaxButtonID, MaxButtonTitle      = 3, 256, 20
	MaxListButton, MaxListSections, MaxListRows  = 20, 10, 10 // rows across all sections
	MaxRowID, MaxRowTitle, MaxRowDescription     = 200, 24, 72
	MaxSectionTitle                              = 24
	MaxProductSections, MaxProducts              = 10, 30 // products across all sections
	MaxTemplateName, MaxTemplateHeaderText       = 512, 60
)

// OutgoingMessage is exactly the JSON body of POST /{phone-number-id}/messages. Build it with the New*
// constructors; the send queue stores json.Marshal(m) and passes those bytes to Client.Send later. A stored
// payload decodes back with json.Unmarshal, for Text and Summary.
type OutgoingMessage struct {
	MessagingProduct string           `json:"messaging_product"`   // always "whatsapp"
	RecipientType    string           `json:"recipient_type"`      // always "individual"
	To               string           `json:"to,omitempty"`        // the customer's phone number (wa_id)
	Recipient        string           `json:"recipient,omitempty"` // or, when no phone is known, their BSUID
	Type             string           `json:"type"`                // "text", "interactive" or "template"
	TextContent      *TextContent     `json:"text,omitempty"`
	Interactive      *Interactive     `json:"interactive,omitempty"`
	Template         *TemplateContent `json:"template,omitempty"`
}

// TextContent is the "text" object.
type TextContent struct {
	PreviewURL bool   `json:"preview_url,omitempty"`
	Body       string `json:"body"`
}

// Interactive is the "interactive" object: Type is "button", "list", "product" or "product_list".
type Interactive struct {
	Type   string             `json:"type"`
	Header *InteractiveHeader `json:"header,omitempty"`
	Body   *InteractiveText   `json:"body,omitempty"`
	Footer *InteractiveText   `json:"footer,omitempty"`
	Action InteractiveAction  `json:"action"`
}

// InteractiveHeader is a text header, or (reply buttons only) an image header.
type InteractiveHeader struct {
	Type  string     `json:"type"` // "text" or "image"
	Text  string     `json:"text,omitempty"`
	Image *MediaLink `json:"image,omitempty"`
}

// MediaLink names media Meta fetches itself: a public https link (JPEG or PNG for images, at most 5 MB).
type MediaLink struct {
	Link string `json:"link"`
}

// InteractiveText is the {"text": ...} object of an interactive body or footer.
type InteractiveText struct {
	Text string `json:"text"`
}

func (t *InteractiveText) text() string {
	if t == nil {
		return ""
	}
	return t.Text
}

// InteractiveAction is what the customer can do: tap reply buttons, open a list (Button is its label), look at
// one product, or browse sections of products.
type InteractiveAction struct {
	Buttons           []ActionButton `json:"buttons,omitempty"`
	Button            string         `json:"button,omitempty"`
	CatalogID         string         `json:"catalog_id,omitempty"`
	ProductRetailerID string         `json:"product_retailer_id,omitempty"`
	Sections          []Section      `json:"sections,omitempty"`
}

// ActionButton is one reply button as Meta wants it: {"type":"reply","reply":{"id","title"}}.
type ActionButton struct {
	Type  string `json:"type"`
	Reply Button `json:"reply"`
}

// Button is a reply button; ID comes back in the webhook when the customer taps it.
type Button struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// Section groups the rows of a list message, or the ProductItems of a multi-product message (see
// ProductSection). Title is required when there is more than one section.
type Section struct {
	Title        string        `json:"title,omitempty"`
	Rows         []Row         `json:"rows,omitempty"`
	ProductItems []ProductItem `json:"product_items,omitempty"`
}

// Row is one choice of a list message; ID comes back in the webhook when the customer picks it.
type Row struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// ProductItem is one catalog product of a multi-product message.
type ProductItem struct {
	ProductRetailerID string `json:"product_retailer_id"`
}

// ProductSection is the input of NewProductList: a titled group of catalog products by retailer id.
type ProductSection struct {
	Title       string
	RetailerIDs []string
}

// InteractiveOption adds an optional part to an interactive message.
type InteractiveOption func(*Interactive)

// WithHeader adds a text header. An empty text adds nothing.
func WithHeader(text string) InteractiveOption {
	return func(i *Interactive) {
		if text != "" {
			i.Header = &InteractiveHeader{Type: "text", Text: text}
		}
	}
}

// WithHeaderImage adds an image header: Meta downloads link (public, https, JPEG or PNG) when it delivers the
// message. Only reply-button messages may have one. An empty link adds nothing.
func WithHeaderImage(link string) InteractiveOption {
	return func(i *Interactive) {
		if link != "" {
			i.Header = &InteractiveHeader{Type: "image", Image: &MediaLink{Link: link}}
		}
	}
}

// WithFooter adds a footer. An empty text adds nothing.
func WithFooter(text string) InteractiveOption {
	return func(i *Interactive) {
		if text != "" {
			i.Footer = &InteractiveText{Text: text}
		}
	}
}

// TemplateContent is the "template" object: an approved template by name and language, and the values of its
// variables. Templates are the only messages allowed outside the 24-hour customer service window.
type TemplateContent struct {
	Name       string              `json:"name"`
	Language   TemplateLanguage    `json:"language"`
	Components []TemplateComponent `json:"components,omitempty"`
}

// TemplateLanguage selects the template's translation; Policy is always "deterministic".
type TemplateLanguage struct {
	Policy string `json:"policy,omitempty"`
	Code   string `json:"code"`
}

// TemplateComponent fills the variables of one part ("header" or "body") of a template, in order.
type TemplateComponent struct {
	Type       string              `json:"type"`
	Parameters []TemplateParameter `json:"parameters"`
}

// TemplateParameter is the value of one {{n}} variable; Type is "text".
type TemplateParameter struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// The constructors take to, the customer's phone number or, when none is known, their business-scoped user id;
// see Address.

// NewText builds a text message; previewURL asks WhatsApp to render a preview of the first URL in body.
func NewText(to, body string, previewURL bool) (OutgoingMessage, error) {
	m := newMessage(to, "text")
	m.TextContent = &TextContent{PreviewURL: previewURL, Body: body}
	return validated(m)
}

// NewReplyButtons builds a message with one to three reply buttons; WithHeader and WithFooter add the optional
// parts.
func NewReplyButtons(to, body string, buttons []Button, opts ...InteractiveOption) (OutgoingMessage, error) {
	in := &Interactive{Type: "button", Body: &InteractiveText{Text: body}}
	for _, b := range buttons {
		in.Action.Buttons = append(in.Action.Buttons, ActionButton{Type: "reply", Reply: b})
	}
	return newInteractive(to, in, opts)
}

// NewList builds a list message: buttonText opens a menu of sections of rows (at most ten rows in all).
func NewList(to, body, buttonText string, sections []Section, opts ...InteractiveOption) (OutgoingMessage, error) {
	in := &Interactive{Type: "list", Body: &InteractiveText{Text: body}}
	in.Action.Button, in.Action.Sections = buttonText, append([]Section(nil), sections...)
	return newInteractive(to, in, opts)
}

// NewProduct builds a single-product message showing one catalog item; body and footer may be empty.
func NewProduct(to, catalogID, retailerID, body, footer string) (OutgoingMessage, error) {
	in := &Interactive{Type: "product"}
	if body != "" {
		in.Body = &InteractiveText{Text: body}
	}
	in.Action.CatalogID, in.Action.ProductRetailerID = catalogID, retailerID
	return newInteractive(to, in, []InteractiveOption{WithFooter(footer)})
}

// NewProductList builds a multi-product message: a header and a body (both required), and up to 30 catalog
// products in up to 10 sections. WithFooter adds a footer.
func NewProductList(to, catalogID, header, body string, sections []ProductSection, opts ...InteractiveOption) (OutgoingMessage, error) {
	in := &Interactive{Type: "product_list", Body: &InteractiveText{Text: body}}
	in.Action.CatalogID = catalogID
	for _, s := range sections {
		sec := Section{Title: s.Title}
		for _, id := range s.RetailerIDs {
			sec.ProductItems = append(sec.ProductItems, ProductItem{ProductRetailerID: id})
		}
		in.Action.Sections = append(in.Action.Sections, sec)
	}
	// The header is not optional here, so it wins over a WithHeader option.
	opts = append(opts, func(i *Interactive) { i.Header = &InteractiveHeader{Type: "text", Text: header} })
	return newInteractive(to, in, opts)
}

// NewTemplate builds a template message; languageCode is the approved translation, e.g. "en_US" or "es".
func NewTemplate(to, name, languageCode string, components []TemplateComponent) (OutgoingMessage, error) {
	m := newMessage(to, "template")
	m.Template = &TemplateContent{Name: name, Components: components,
		Language: TemplateLanguage{Policy: "deterministic", Code: languageCode}}
	return validated(m)
}

// TemplateBodyText fills the body variables {{1}}, {{2}}, ... with params, in order.
func TemplateBodyText(params ...string) TemplateComponent {
	return TemplateComponent{Type: "body", Parameters: textParams(params)}
}

// TemplateHeaderText fills the one variable a text header may have.
func TemplateHeaderText(param string) TemplateComponent {
	return TemplateComponent{Type: "header", Parameters: textParams([]string{param})}
}

func textParams(params []string) []TemplateParameter {
	out := make([]TemplateParameter, len(params))
	for i, p := range params {
		out[i] = TemplateParameter{Type: "text", Text: p}
	}
	return out
}

func newMessage(to, typ string) OutgoingMessage {
	m := OutgoingMessage{MessagingProduct: "whatsapp", RecipientType: "individual", Type: typ}
	m.Address(to)
	return m
}

// IsUserID reports whether id is a business-scoped user id ("US.13491208655302741918", a parent id has ".ENT.")
// rather than a phone-based wa_id, which is digits only.
func IsUserID(id string) bool { return strings.Contains(id, ".") }

// Address sets who the message goes to: a phone number goes in "to", a business-scoped user id in "recipient"
// (Meta reads "to" first when both are set, so only one is).
func (m *OutgoingMessage) Address(to string) {
	if IsUserID(to) {
		m.To, m.Recipient = "", to
		return
	}
	m.To, m.Recipient = to, ""
}

// Addressee is whoever the message goes to: "to", else "recipient".
func (m OutgoingMessage) Addressee() string {
	if m.To != "" {
		return m.To
	}
	return m.Recipient
}

func newInteractive(to string, in *Interactive, opts []InteractiveOption) (OutgoingMessage, error) {
	for _, o := range opts {
		o(in)
	}
	m := newMessage(to, "interactive")
	m.Interactive = in
	return validated(m)
}

func validated(m OutgoingMessage) (OutgoingMessage, error) {
	if err := m.Validate(); err != nil {
		return OutgoingMessage{}, err
	}
	return m, nil
}

// TruncateRunes shortens s to at most n characters, ending it with "…" when something was cut.
func TruncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 1 {
		return string([]rune(s)[:max(n, 0)])
	}
	return strings.TrimRight(string([]rune(s)[:n-1]), " ") + "…"
}

// Text renders the message for people, with the choices it offers, e.g. "Your order is ready\n[Track] [Help]":
// for storage beside the payload and for the conversation view.
func (m OutgoingMessage) Text() string {
	var lines, choices []string
	add := func(s string) {
		if s != "" {
			lines = append(lines, s)
		}
	}
	switch in, t := m.Interactive, m.Template; {
	case m.Type == "text" && m.TextContent != nil:
		add(m.TextContent.Body)
	case m.Type == "template" && t != nil:
		for _, c := range t.Components {
			for _, p := range c.Parameters {
				choices = append(choices, p.Text)
			}
		}
		add(strings.TrimSuffix("Template "+t.Name+" ("+t.Language.Code+"): "+strings.Join(choices, " | "), ": "))
	case m.Type == "interactive" && in != nil:
		if in.Header != nil {
			add(in.Header.Text)
		}
		add(in.Body.text())
		add(in.Footer.text())
		a := in.Action
		for _, b := range a.Buttons {
			choices = append(choices, "["+b.Reply.Title+"]")
		}
		for _, s := range a.Sections {
			for _, r := range s.Rows {
				choices = append(choices, r.Title)
			}
			for _, p := range s.ProductItems {
				choices = append(choices, p.ProductRetailerID)
			}
		}
		switch in.Type {
		case "button":
			add(strings.Join(choices, " "))
		case "list":
			add("[" + a.Button + "] " + strings.Join(choices, ", "))
		case "product":
			add("Product " + a.ProductRetailerID)
		case "product_list":
			add(fmt.Sprintf("Products (%d): %s", len(choices), strings.Join(choices, ", ")))
		}
	default:
		add("[" + m.Type + " message]")
	}
	return strings.Join(lines, "\n")
}

// Summary is Text on one line and at most 100 characters, for lists and previews.
func (m OutgoingMessage) Summary() string {
	return TruncateRunes(strings.Join(strings.Fields(m.Text()), " "), 100)
}
