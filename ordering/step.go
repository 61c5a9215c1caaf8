package ordering

import (
	"slices"
	"strings"
	"time"

	"github.com/waorder/waorder/locale"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/whatsapp"
)

// maxQuantity bounds one line, so a typo ("100") is caught.
const maxQuantity = 50

// Outcome is what one message did: the conversation's next state, the replies, and at most one change to the
// customer's orders (a new one to store, or a pending one to cancel).
type Outcome struct {
	State   State
	Replies []whatsapp.OutgoingMessage
	Order   *OrderDraft
	Cancel  *models.Order // the customer cancelled this pending order
	// NeedsHuman, when set, flags the thread for a person in the merchant's inbox, saying why.
	NeedsHuman string
	// Language is the conversation's language after this message: the one a greeting picked, else the one it had.
	Language string
}

// Step is the bot: from the state, a message, the catalog (available and unavailable products) and the business,
// it computes the next state, the replies, and an order when the customer confirmed one. It does no I/O. Replies
// are in the conversation's language: the one a greeting in this message picks ("hola"), else the one an earlier
// greeting picked, else the business's.
func Step(st State, in Input, cat []models.Product, biz Business, now time.Time) Outcome {
	st.Cart = slices.Clone(st.Cart) // lines are edited in place below; the caller's state stays as it was
	st.Applied = slices.Clone(st.Applied)
	lang := in.Language
	if g := locale.FromGreeting(in.Text); g != "" && in.ReplyID == "" {
		lang = g
	}
	r := &turn{st: st, in: in, cat: cat, biz: biz, p: locale.For(lang, biz.Language)}
	r.run(now)
	if !r.missed {
		r.st.Misses = 0
	}
	return Outcome{State: r.st, Replies: r.out, Order: r.draft, Cancel: r.cancel, NeedsHuman: r.needsHuman, Language: lang}
}

type turn struct {
	st     State
	in     Input
	cat    []models.Product
	biz    Business
	p      locale.Printer // the conversation's language
	out    []whatsapp.OutgoingMessage
	draft  *OrderDraft
	cancel *models.Order
	// missed is set when the bot did not understand this message; needsHuman when the thread needs a person.
	missed     bool
	needsHuman string
}

// missesBeforeHuman is how many messages in a row the bot may not understand before it calls a person.
const missesBeforeHuman = 2

func (r *turn) run(now time.Time) {
	var cmd string
	if r.in.ReplyID == "" { // a button's title is not a typed command: a "Clear" tap must not act as "clear"
		cmd = command(r.in.Text)
	}
	switch cmd {
	case "help":
		r.help()
		return
	case "status":
		r.status()
		return
	case "cancel order":
		r.askCancelOrder()
		return
	case "human":
		r.needsHuman = models.NeedsAsked
		r.text(r.p.T("bot.human_coming", "Shop", r.biz.Name))
		return
	case "cancel":
		r.reset()
		r.text(r.p.T("bot.cart_emptied"))
		return
	}
	if t, ok := parseTap(r.in.ReplyID); ok && t.kind == "co" {
		r.cancelOrder(t.order) // whatever the hours: an order already placed can be called off
		return
	}
	if silent[r.in.Other] {
		return // nothing the customer expects an answer to
	}
	if open, hours := openNow(r.biz, now, r.p); !open {
		r.text(r.p.T("bot.closed", "Shop", r.biz.Name, "Hours", hours))
		return
	}
	if t, ok := parseTap(r.in.ReplyID); ok {
		r.greet()
		r.tap(t)
		return
	}
	switch {
	case len(r.in.Order) > 0:
		r.catalogOrder()
	case cmd == "menu":
		r.greet()
		r.menu(0)
	case cmd == "cart":
		r.cart()
	case r.in.Other != "":
		if r.st.Step == StepNew || r.in.Other == "request_welcome" {
			r.greet()
			r.menu(0)
			return
		}
		r.text(r.p.T("bot.cannot_read") + " " + r.p.T("bot.help"))
	case r.st.Step == StepNew:
		r.greet()
		if p, ok := r.find(r.in.Text); ok {
			r.pick(p.RetailerID)
			return
		}
		r.menu(0)
	default:
		r.typed()
	}
}

// reset empties the cart and starts over, keeping what guards against repeated taps.
func (r *turn) reset() {
	r.st = State{Step: StepMenu, Applied: r.st.Applied, PlacedSig: r.st.PlacedSig}
}

// silent lists message types that get no answer: reactions, system notices, deletions and edits of earlier
// messages. Media and other types the bot cannot read get a short reply, so the customer is never left waiting.
var silent = map[string]bool{"reaction": true, "system": true, "revoke": true, "edit": true, "ephemeral": true}

// typed handles typed text that is not a command, by the step the conversation is in.
func (r *turn) typed() {
	if id := typedChoice(r.st.Step, r.in.Text); id != "" {
		if id == "confirm" {
			id += ":" + orderSig(r.st) // typed words always mean the order as it is now
		}
		t, _ := parseTap(id)
		r.tap(t)
		return
	}
	_, number := parseQuantity(r.in.Text)
	switch {
	case r.st.Step == StepQuantity, r.st.Pending != "" && number: // a late tap may have shown the cart in between
		r.quantity()
	case r.st.Step == StepAddress && (r.in.Location != nil || strings.TrimSpace(r.in.Text) != ""):
		r.address()
	case r.st.Step == StepContact && strings.TrimSpace(r.in.Text) != "":
		r.contact()
	case r.st.Step == StepNote && strings.TrimSpace(r.in.Text) != "":
		r.st.Note = whatsapp.TruncateRunes(strings.TrimSpace(r.in.Text), maxNote)
		r.confirm()
	default:
		if p, ok := r.find(r.in.Text); ok { // a product's name picks it at any step that does not wait for free text
			r.pick(p.RetailerID)
			return
		}
		r.unknown()
	}
}

// typedChoice maps what a customer may type instead of tapping a button to that button's id, by step.
func typedChoice(step, text string) string {
	t := strings.ToLower(strings.Trim(strings.TrimSpace(text), "!.?/ "))
	in := func(words ...string) bool { return slices.Contains(words, t) }
	switch {
	case in("checkout", "check out", "pay", "done", "finalizar", "finalizar pedido", "pagar", "listo", "pronto"):
		return "checkout"
	case step == StepCart && in("add more", "more", "agregar más", "más", "adicionar mais", "mais"):
		return "more"
	case step == StepFulfillment && in("delivery", "deliver", "delivered", "envío", "envio", "a domicilio", "entrega"):
		return "delivery"
	case step == StepFulfillment && in("pickup", "pick up", "collect", "takeaway", "recoger", "para llevar", "retirada", "retirar"):
		return "pickup"
	case step == StepConfirm && in("yes", "y", "ok", "okay", "confirm", "sure", "sí", "si", "vale", "confirmar", "sim"):
		return "confirm"
	case step == StepConfirm && in("no", "n", "back", "volver", "não", "nao", "voltar"):
		return "back"
	case step == StepConfirm && in("note", "add note", "add a note", "nota", "añadir una nota", "observação", "observacao"):
		return "note"
	}
	return ""
}

func (r *turn) unknown() {
	r.missed = true
	if r.st.Misses++; r.st.Misses >= missesBeforeHuman {
		r.needsHuman = models.NeedsNotUnderstood
		r.st.Misses = 0
		r.text(r.p.T("bot.not_understood_human", "Shop", r.biz.Name))
		return
	}
	r.text(r.p.T("bot.not_understood") + " " + r.p.T("bot.help"))
	switch r.st.Step {
	case StepCart, StepConfirm:
		r.cart()
	case StepAddress:
		r.askAddress()
	case StepContact:
		r.askContact()
	}
}

func (r *turn) help() { r.text(r.p.T("bot.help")) }

// greet welcomes a customer at the start of a conversation.
func (r *turn) greet() {
	if r.st.Step != StepNew {
		return
	}
	greet := r.biz.Greeting
	if greet == "" {
		greet = r.p.T("bot.welcome", "Shop", r.biz.Name)
	}
	r.text(greet)
}

func (r *turn) status() {
	o := r.in.LastOrder
	if o == nil {
		r.text(r.p.T("bot.no_orders"))
		return
	}
	r.text(r.p.T("bot.order_status", "Number", o.Number, "Total", whatsapp.FormatMoney(o.TotalMinor, o.Currency),
		"Status", r.p.Status(string(o.Status))))
}

// find matches typed text to a product by name or retailer id.
func (r *turn) find(text string) (models.Product, bool) {
	t := strings.ToLower(strings.TrimSpace(text))
	if t == "" {
		return models.Product{}, false
	}
	for _, p := range r.cat {
		if strings.ToLower(p.Name) == t || strings.ToLower(p.RetailerID) == t {
			return p, true
		}
	}
	return models.Product{}, false
}

func (r *turn) product(retailerID string) (models.Product, bool) {
	for _, p := range r.cat {
		if p.RetailerID == retailerID {
			return p, true
		}
	}
	return models.Product{}, false
}

func (r *turn) text(body string) {
	m, err := whatsapp.NewText(r.in.To, whatsapp.TruncateRunes(body, whatsapp.MaxTextBody), false)
	if err == nil {
		r.out = append(r.out, m)
	}
}

func (r *turn) buttons(body string, bs ...whatsapp.Button) { r.buttonsWith(nil, body, bs...) }

// buttonsWith sends reply buttons with optional parts (a picture header); when Meta's rules refuse the message, the
// body goes as plain text.
func (r *turn) buttonsWith(opts []whatsapp.InteractiveOption, body string, bs ...whatsapp.Button) {
	m, err := whatsapp.NewReplyButtons(r.in.To, whatsapp.TruncateRunes(body, whatsapp.MaxInteractiveBody), bs, opts...)
	if err != nil {
		r.text(body)
		return
	}
	r.out = append(r.out, m)
}
