package dashboard

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/waorder/waorder/locale"
	"github.com/waorder/waorder/models"
)

// messageView is one bubble of a conversation, on the order page and (as JSON) in the simulator.
type messageView struct {
	ID       string        `json:"id"`
	Inbound  bool          `json:"-"`
	Dir      string        `json:"dir"` // in | out
	Text     string        `json:"text"`
	Header   string        `json:"header,omitempty"`
	Footer   string        `json:"footer,omitempty"`
	Choices  string        `json:"-"` // the buttons or rows offered, in one line, for the order page
	Buttons  []choiceView  `json:"buttons,omitempty"`
	Sections []sectionView `json:"sections,omitempty"`
	Time     string        `json:"time"`
	Full     string        `json:"-"`
	Status   string        `json:"status,omitempty"`
	Error    string        `json:"error,omitempty"`
	Media    *mediaView    `json:"media,omitempty"` // a customer's picture, voice note, video or document
	// HeaderImage is a product picture at the top of one of our messages.
	HeaderImage string     `json:"header_image,omitempty"`
	Place       *placeView `json:"place,omitempty"` // a shared location
	at          time.Time
}

type choiceView struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

type sectionView struct {
	Title string       `json:"title,omitempty"`
	Rows  []choiceView `json:"rows"`
}

// conversation merges what a customer sent and what we sent them, oldest first, keeping the last limit messages.
func (d *Handler) conversation(ctx context.Context, bizID, customerID int64, loc local, limit int) ([]messageView, error) {
	in, out, err := d.Merchant.Messages(ctx, bizID, customerID, limit)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	msgs, err := d.inboundViews(ctx, bizID, in, loc, now)
	if err != nil {
		return nil, err
	}
	for _, m := range out {
		v := outboundView(loc.p, m)
		v.Time, v.Full, v.at = clock(m.CreatedAt, loc, now), fullTime(m.CreatedAt, loc), m.CreatedAt
		msgs = append(msgs, v)
	}
	sort.SliceStable(msgs, func(i, j int) bool { return msgs[i].at.Before(msgs[j].at) })
	if len(msgs) > limit {
		msgs = msgs[len(msgs)-limit:]
	}
	return msgs, nil
}

// inboundViews are a customer's messages as bubbles, with their files (pictures, voice notes, documents) and
// shared locations.
func (d *Handler) inboundViews(ctx context.Context, bizID int64, in []models.InboundMessage, loc local,
	now time.Time) ([]messageView, error) {
	var withFiles []int64
	for _, m := range in {
		if models.IsMediaKind(m.Type) {
			withFiles = append(withFiles, m.ID)
		}
	}
	files, err := d.Merchant.Files(ctx, bizID, withFiles)
	if err != nil {
		return nil, err
	}
	views := make([]messageView, 0, len(in))
	for _, m := range in {
		v := inboundView(m, loc, now)
		if f, ok := files[m.ID]; ok {
			v.Media = newMediaView(loc.p, f)
			if m.Body == "" || m.Body == f.Filename {
				v.Text = "" // the file says it; "[image]" or the document's name would only repeat it
			}
		}
		if m.Type == "location" {
			if v.Place = newPlaceView(m); v.Place != nil {
				v.Text = ""
			}
		}
		views = append(views, v)
	}
	return views, nil
}

// inboundView is a customer's message as a bubble.
func inboundView(m models.InboundMessage, loc local, now time.Time) messageView {
	text := m.Body
	if text == "" {
		text = inboundSummary(loc.p, m)
	}
	return messageView{ID: "in-" + strconv.FormatInt(m.ID, 10), Inbound: true, Dir: "in", Text: text,
		Time: clock(m.SentAt, loc, now), Full: fullTime(m.SentAt, loc), at: m.SentAt}
}

// graphMessage is the part of a Graph API send request the dashboard shows.
type graphMessage struct {
	Type string `json:"type"`
	Text struct {
		Body string `json:"body"`
	} `json:"text"`
	Interactive struct {
		Type   string `json:"type"`
		Header struct {
			Text  string `json:"text"`
			Image struct {
				Link string `json:"link"`
			} `json:"image"`
		} `json:"header"`
		Body struct {
			Text string `json:"text"`
		} `json:"body"`
		Footer struct {
			Text string `json:"text"`
		} `json:"footer"`
		Action struct {
			Button     string `json:"button"`
			RetailerID string `json:"product_retailer_id"`
			Buttons    []struct {
				Reply choiceView `json:"reply"`
			} `json:"buttons"`
			Sections []struct {
				Title        string       `json:"title"`
				Rows         []choiceView `json:"rows"`
				ProductItems []struct {
					RetailerID string `json:"product_retailer_id"`
				} `json:"product_items"`
			} `json:"sections"`
		} `json:"action"`
	} `json:"interactive"`
	Template struct {
		Name     string `json:"name"`
		Language struct {
			Code string `json:"code"`
		} `json:"language"`
		Components []struct {
			Parameters []struct {
				Text string `json:"text"`
			} `json:"parameters"`
		} `json:"components"`
	} `json:"template"`
}

// outboundView reads a queued Graph API request back into a bubble: text, header, footer, and the reply buttons or
// list rows it offers. What has no text of its own (a template, a single product) is worded in p's language: the
// stored Summary is English.
func outboundView(p locale.Printer, m models.OutboundMessage) messageView {
	v := messageView{ID: "out-" + strconv.FormatInt(m.ID, 10), Dir: "out", Text: m.Summary, Status: string(m.Status)}
	if m.Status == models.OutFailed || m.Status == models.OutHeld {
		v.Error = m.LastError
	}
	var g graphMessage
	if json.Unmarshal([]byte(m.Payload), &g) != nil {
		return v
	}
	var choices []string
	switch g.Type {
	case "text":
		v.Text = g.Text.Body
	case "template":
		v.Text = templateText(p, g)
	case "interactive":
		in := g.Interactive
		v.Text, v.Header, v.Footer = in.Body.Text, in.Header.Text, in.Footer.Text
		if v.Text == "" && in.Type == "product" {
			v.Text = p.T("conversation.product", "SKU", in.Action.RetailerID)
		}
		// A product picture's link is public (PUBLIC_URL/p/…); the page shows it from this origin, as its CSP wants.
		if _, key, ok := strings.Cut(in.Header.Image.Link, "/p/"); ok {
			v.HeaderImage = "/p/" + key
		}
		for _, b := range in.Action.Buttons {
			v.Buttons = append(v.Buttons, b.Reply)
			choices = append(choices, b.Reply.Title)
		}
		for _, s := range in.Action.Sections {
			sv := sectionView{Title: s.Title, Rows: s.Rows}
			for _, it := range s.ProductItems {
				sv.Rows = append(sv.Rows, choiceView{ID: it.RetailerID, Title: it.RetailerID})
			}
			for _, r := range sv.Rows {
				choices = append(choices, r.Title)
			}
			v.Sections = append(v.Sections, sv)
		}
	}
	if v.Text == "" {
		v.Text = m.Summary
	}
	if len(choices) > 6 {
		choices = append(choices[:6], "…")
	}
	v.Choices = strings.Join(choices, " · ")
	return v
}

// templateText is a template message in p's language: its name, language and the values it fills.
func templateText(p locale.Printer, g graphMessage) string {
	var values []string
	for _, c := range g.Template.Components {
		for _, v := range c.Parameters {
			values = append(values, v.Text)
		}
	}
	if len(values) == 0 {
		return p.T("conversation.template", "Name", g.Template.Name, "Language", g.Template.Language.Code)
	}
	return p.T("conversation.template_values", "Name", g.Template.Name, "Language", g.Template.Language.Code,
		"Values", strings.Join(values, " | "))
}

// outboundSummary is one of our messages in a line, in p's language: the stored Summary, except where that is
// English (a template, a single product).
func outboundSummary(p locale.Printer, m models.OutboundMessage) string {
	var g graphMessage
	if json.Unmarshal([]byte(m.Payload), &g) != nil {
		return m.Summary
	}
	switch {
	case g.Type == "template":
		return templateText(p, g)
	case g.Type == "interactive" && g.Interactive.Type == "product" && g.Interactive.Body.Text == "":
		return p.T("conversation.product", "SKU", g.Interactive.Action.RetailerID)
	}
	return m.Summary
}

// inboundKinds are the message types without a text the catalogs name (conversation.kind_<type>); the media
// kinds have theirs (media.kind_<type>).
var inboundKinds = []string{"location", "contacts", "reaction", "unsupported", "order"}

// inboundSummary describes, in p's language, a message the ingest left without a text: a catalog cart lists its
// lines, anything else says what kind of message it is.
func inboundSummary(p locale.Printer, m models.InboundMessage) string {
	if m.Type == "order" {
		var o struct {
			Order struct {
				Items []struct {
					SKU      string `json:"product_retailer_id"`
					Quantity int    `json:"quantity"`
				} `json:"product_items"`
			} `json:"order"`
		}
		if json.Unmarshal([]byte(m.Payload), &o) == nil && len(o.Order.Items) > 0 {
			lines := make([]string, len(o.Order.Items))
			for i, it := range o.Order.Items {
				lines[i] = strconv.Itoa(it.Quantity) + "× " + it.SKU
			}
			return p.T("conversation.cart", "Lines", strings.Join(lines, ", "))
		}
	}
	var kind string
	switch {
	case models.IsMediaKind(m.Type):
		id := "media.kind_" + m.Type // built from a value: TestCatalog_IDsBuiltFromValuesExist checks each
		kind = p.T(id)
	case slices.Contains(inboundKinds, m.Type):
		id := "conversation.kind_" + m.Type
		kind = p.T(id)
	default:
		kind = p.T("conversation.kind_other", "Type", strings.ReplaceAll(m.Type, "_", " "))
	}
	return p.T("conversation.kind", "Kind", kind)
}
