package whatsapp

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// whMessage is a message as it arrives. Each part is decoded on its own when the whole does not decode, so a
// bad part costs only itself (see whDecode).
type whMessage struct {
	ID          whString       `json:"id"`
	From        whString       `json:"from"`
	FromUserID  whString       `json:"from_user_id"`
	To          whString       `json:"to"`
	ToUserID    whString       `json:"to_user_id"`
	Timestamp   whTime         `json:"timestamp"`
	Type        whString       `json:"type"`
	Context     *whContext     `json:"context"`
	Text        *whText        `json:"text"`
	Image       *whMedia       `json:"image"`
	Video       *whMedia       `json:"video"`
	Audio       *whMedia       `json:"audio"`
	Document    *whMedia       `json:"document"`
	Sticker     *whMedia       `json:"sticker"`
	Interactive *whInteractive `json:"interactive"`
	Button      *struct {
		Payload whString `json:"payload"`
		Text    whString `json:"text"`
	} `json:"button"`
	Location *struct {
		Latitude  whFloat  `json:"latitude"`
		Longitude whFloat  `json:"longitude"`
		Name      whString `json:"name"`
		Address   whString `json:"address"`
		URL       whString `json:"url"`
	} `json:"location"`
	Order    *whOrder `json:"order"`
	Reaction *struct {
		MessageID whString `json:"message_id"`
		Emoji     whString `json:"emoji"`
	} `json:"reaction"`
	System   *whSystem `json:"system"`
	Identity *struct {
		Hash whString `json:"hash"`
	} `json:"identity"`
	Edit *struct {
		OriginalMessageID whString        `json:"original_message_id"`
		Message           json.RawMessage `json:"message"`
	} `json:"edit"`
	Revoke *struct {
		OriginalMessageID whString `json:"original_message_id"`
	} `json:"revoke"`
	Referral json.RawMessage `json:"referral"`
	Contacts []struct {
		Name *struct {
			FormattedName whString `json:"formatted_name"`
		} `json:"name"`
	} `json:"contacts"`
	Errors []whError `json:"errors"`
}

type whText struct {
	Body whString `json:"body"`
}

type whContext struct {
	From                whString `json:"from"`
	ID                  whString `json:"id"`
	Forwarded           whBool   `json:"forwarded"`
	FrequentlyForwarded whBool   `json:"frequently_forwarded"`
	ReferredProduct     *struct {
		CatalogID         whString `json:"catalog_id"`
		ProductRetailerID whString `json:"product_retailer_id"`
	} `json:"referred_product"`
}

type whMedia struct {
	ID       whString `json:"id"`
	MimeType whString `json:"mime_type"`
	SHA256   whString `json:"sha256"`
	Caption  whString `json:"caption"`
	Filename whString `json:"filename"`
	URL      whString `json:"url"`
	Voice    whBool   `json:"voice"`
	Animated whBool   `json:"animated"`
}

type whReplyRow struct {
	ID          whString `json:"id"`
	Title       whString `json:"title"`
	Description whString `json:"description"`
}

type whInteractive struct {
	Type        whString    `json:"type"`
	ButtonReply *whReplyRow `json:"button_reply"`
	ListReply   *whReplyRow `json:"list_reply"`
	NFMReply    *struct {
		ResponseJSON json.RawMessage `json:"response_json"`
		Body         whString        `json:"body"`
		Name         whString        `json:"name"`
	} `json:"nfm_reply"`
	CallPermissionReply *struct {
		Response whString `json:"response"`
	} `json:"call_permission_reply"`
}

type whOrder struct {
	CatalogID    whString `json:"catalog_id"`
	Text         whString `json:"text"`
	ProductItems []struct {
		ProductRetailerID whString  `json:"product_retailer_id"`
		Quantity          whInt     `json:"quantity"`
		ItemPrice         whDecimal `json:"item_price"`
		Currency          whString  `json:"currency"`
	} `json:"product_items"`
}

type whSystem struct {
	Type     whString `json:"type"`
	Body     whString `json:"body"`
	WaID     whString `json:"wa_id"`
	NewWaID  whString `json:"new_wa_id"`
	Identity whString `json:"identity"`
	UserID   whString `json:"user_id"`
}

// maxEditDepth bounds edits of edits; Meta sends one level.
const maxEditDepth = 2

// decodeMessage turns one messages[] item into an InboundMessage. It never fails: what it cannot decode is
// described in Problem and remains in Raw.
func decodeMessage(raw json.RawMessage, depth int) InboundMessage {
	var w whMessage
	problems := whDecode(raw, &w)
	m := InboundMessage{
		ID: string(w.ID), From: string(w.From), FromUserID: string(w.FromUserID), To: string(w.To),
		ToUserID: string(w.ToUserID), Timestamp: time.Time(w.Timestamp), Type: string(w.Type),
		Errors: convertErrors(w.Errors), Raw: raw,
	}
	if c := w.Context; c != nil {
		m.ContextID, m.ContextFrom = string(c.ID), string(c.From)
		m.Forwarded, m.FrequentlyForwarded = bool(c.Forwarded), bool(c.FrequentlyForwarded)
		if rp := c.ReferredProduct; rp != nil {
			m.ReferredProduct = &ReferredProduct{CatalogID: string(rp.CatalogID), RetailerID: string(rp.ProductRetailerID)}
		}
	}
	m.Media = convertMedia(&w, m.Type)
	if in := w.Interactive; in != nil {
		var p string
		m.Interactive, p = convertInteractive(in)
		if p != "" {
			problems = append(problems, p)
		}
	}
	if b := w.Button; b != nil {
		m.Button = &ButtonReply{Payload: string(b.Payload), Text: string(b.Text)}
	}
	if l := w.Location; l != nil {
		m.Location = &Location{Latitude: float64(l.Latitude), Longitude: float64(l.Longitude),
			Name: string(l.Name), Address: string(l.Address), URL: string(l.URL)}
	}
	if w.Order != nil {
		m.Order = &Order{CatalogID: string(w.Order.CatalogID), Text: string(w.Order.Text)}
		for i, it := range w.Order.ProductItems {
			item := OrderItem{RetailerID: string(it.ProductRetailerID), Quantity: int(it.Quantity),
				Currency: string(it.Currency), PriceText: string(it.ItemPrice)}
			if item.PriceText != "" {
				price, err := MinorUnits(item.PriceText, item.Currency)
				if err != nil {
					problems = append(problems, fmt.Sprintf("order.product_items[%d].item_price: %v", i, err))
				}
				item.UnitPrice = price
			}
			m.Order.Items = append(m.Order.Items, item)
		}
	}
	if r := w.Reaction; r != nil {
		m.Reaction = &Reaction{MessageID: string(r.MessageID), Emoji: string(r.Emoji)}
	}
	if s := w.System; s != nil {
		m.System = &System{Type: string(s.Type), Body: string(s.Body), WaID: string(s.WaID),
			NewWaID: string(s.NewWaID), Identity: string(s.Identity), UserID: string(s.UserID)}
		if m.System.Identity == "" && w.Identity != nil {
			m.System.Identity = string(w.Identity.Hash)
		}
	}
	if e := w.Edit; e != nil {
		m.Edit = &Edit{OriginalMessageID: string(e.OriginalMessageID)}
		if !whIsNull(e.Message) && depth < maxEditDepth {
			inner := decodeMessage(e.Message, depth+1)
			if inner.Problem != "" {
				problems = append(problems, "edit.message: "+inner.Problem)
			}
			m.Edit.Message = &inner
		}
	}
	if w.Revoke != nil {
		m.RevokedMessageID = string(w.Revoke.OriginalMessageID)
	}
	if !whIsNull(w.Referral) {
		m.Referral = w.Referral
	}
	var names []string
	for _, c := range w.Contacts {
		if c.Name != nil && c.Name.FormattedName != "" {
			names = append(names, string(c.Name.FormattedName))
		}
	}
	var body string
	if w.Text != nil {
		body = string(w.Text.Body)
	}
	m.Text = summary(&m, body, strings.Join(names, ", "))
	m.Problem = strings.Join(problems, "; ")
	return m
}

// convertMedia returns the media part named by the message type, or else the first one present.
func convertMedia(w *whMessage, typ string) *Media {
	parts := [...]struct {
		kind string
		md   *whMedia
	}{{"image", w.Image}, {"video", w.Video}, {"audio", w.Audio}, {"document", w.Document}, {"sticker", w.Sticker}}
	pick := -1
	for i, p := range parts {
		if p.md != nil && (pick < 0 || p.kind == typ) {
			pick = i
		}
	}
	if pick < 0 {
		return nil
	}
	md := parts[pick].md
	return &Media{Kind: parts[pick].kind, ID: string(md.ID), MimeType: string(md.MimeType), SHA256: string(md.SHA256),
		Caption: string(md.Caption), Filename: string(md.Filename), URL: string(md.URL),
		Voice: bool(md.Voice), Animated: bool(md.Animated)}
}

func convertInteractive(in *whInteractive) (*InteractiveReply, string) {
	r := &InteractiveReply{Type: string(in.Type)}
	row := in.ButtonReply
	if row == nil || r.Type == "list_reply" && in.ListReply != nil {
		row = in.ListReply
	}
	if row != nil {
		r.ID, r.Title, r.Description = string(row.ID), string(row.Title), string(row.Description)
	}
	if cp := in.CallPermissionReply; cp != nil && row == nil {
		r.Title = string(cp.Response)
	}
	nfm := in.NFMReply
	if nfm == nil {
		return r, ""
	}
	r.Title, r.FlowName = string(nfm.Body), string(nfm.Name)
	// Meta sends response_json as a string holding JSON.
	switch whKind(nfm.ResponseJSON) {
	case "nothing", "null":
	case "object", "array":
		r.ResponseJSON = nfm.ResponseJSON
	case "string":
		var s string
		if json.Unmarshal(nfm.ResponseJSON, &s) == nil && json.Valid([]byte(s)) {
			r.ResponseJSON = json.RawMessage(s)
			break
		}
		fallthrough
	default:
		return r, "interactive.nfm_reply.response_json: not JSON"
	}
	return r, ""
}

// summary picks the human-readable text of a message: the part its type names first, else the first part that
// has any text.
func summary(m *InboundMessage, body, contactNames string) string {
	var media, interactive, button, location, reaction, system, order, edit string
	if m.Media != nil {
		media = m.Media.Caption
		if media == "" && m.Media.Kind == "document" {
			media = m.Media.Filename
		}
	}
	if m.Interactive != nil {
		interactive = m.Interactive.Title
	}
	if m.Button != nil {
		button = m.Button.Text
	}
	if l := m.Location; l != nil {
		location = l.Name
		if location == "" {
			location = l.Address
		}
	}
	if m.Reaction != nil {
		reaction = m.Reaction.Emoji
	}
	if m.System != nil {
		system = m.System.Body
	}
	if m.Order != nil {
		order = m.Order.Text
	}
	if m.Edit != nil && m.Edit.Message != nil {
		edit = m.Edit.Message.Text
	}
	switch m.Type {
	case "text":
		return body
	case "image", "video", "audio", "document", "sticker":
		return media
	case "interactive":
		return interactive
	case "button":
		return button
	case "location":
		return location
	case "reaction":
		return reaction
	case "system":
		return system
	case "order":
		return order
	case "contacts":
		return contactNames
	case "edit":
		return edit
	case "revoke", "unsupported":
		return ""
	}
	for _, s := range []string{body, media, interactive, button, location, reaction, system, order, contactNames, edit} {
		if s != "" {
			return s
		}
	}
	return ""
}

// DecodeMessage decodes one stored message object (InboundMessage.Raw) again, as ParseWebhook would have.
func DecodeMessage(raw json.RawMessage) InboundMessage { return decodeMessage(raw, 0) }
