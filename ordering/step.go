package ordering

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/whatsapp"
)

// maxQuantity bounds one line, so a typo ("100") is caught.
const maxQuantity = 50

// Step is the bot: from the state, a message, the catalog (available and unavailable products) and the business,
// it computes the next state, the replies, and an order when the customer confirmed one. It does no I/O.
func Step(st State, in Input, cat []models.Product, biz Business, now time.Time) (State, []whatsapp.OutgoingMessage, *OrderDraft) {
	st.Cart = slices.Clone(st.Cart) // lines are edited in place below; the caller's state stays as it was
	r := &turn{st: st, in: in, cat: cat, biz: biz}
	r.run(now)
	return r.st, r.out, r.draft
}

type turn struct {
	st    State
	in    Input
	cat   []models.Product
	biz   Business
	out   []whatsapp.OutgoingMessage
	draft *OrderDraft
}

func (r *turn) run(now time.Time) {
	cmd := command(r.in.Text)
	switch cmd {
	case "help":
		r.help()
		return
	case "status":
		r.status()
		return
	case "cancel":
		r.st = State{Step: StepMenu}
		r.text("Your cart is empty now. Send *menu* whenever you want to order.")
		return
	}
	if silent[r.in.Other] {
		return // nothing the customer expects an answer to
	}
	if open, hours := openNow(r.biz, now); !open {
		r.text(fmt.Sprintf("Sorry, %s is closed right now. Opening hours: %s. Send *status* to follow an order.", r.biz.Name, hours))
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
		r.text("Sorry, I can only read text, taps and shared locations here. " + helpText)
	case r.st.Step == StepNew:
		r.greet()
		if p, ok := r.find(r.in.Text); ok {
			r.pick(p.RetailerID)
			return
		}
		r.menu(0)
	default:
		r.answer()
	}
}

// silent lists message types that get no answer: reactions, system notices, deletions and edits of earlier
// messages. Media and other types the bot cannot read get a short reply, so the customer is never left waiting.
var silent = map[string]bool{"reaction": true, "system": true, "revoke": true, "edit": true, "ephemeral": true}

// answer handles a message that is not a command, by the step the conversation is in.
func (r *turn) answer() {
	id := r.in.ReplyID
	if id == "" {
		id = typedChoice(r.st.Step, r.in.Text)
	}
	switch {
	case strings.HasPrefix(id, "page:"):
		n, _ := strconv.Atoi(strings.TrimPrefix(id, "page:"))
		r.menu(n)
	case strings.HasPrefix(id, "p:"):
		r.pick(strings.TrimPrefix(id, "p:"))
	case id == "more":
		r.menu(0)
	case id == "clear":
		r.st = State{Step: StepMenu}
		r.text("Cart cleared.")
		r.menu(0)
	case id == "checkout":
		r.checkout()
	case id == "delivery" || id == "pickup":
		if len(r.st.Cart) == 0 || r.biz.Fulfillment != models.FulfillBoth && string(r.biz.Fulfillment) != id {
			r.checkout() // a stale button, or a way this business does not offer
			return
		}
		r.st.Fulfillment = id
		if id == "delivery" {
			r.askAddress()
		} else {
			r.confirm()
		}
	case id == "confirm" && r.st.Step == StepConfirm:
		r.place()
	case id == "back":
		r.cart()
	case id == "cancel":
		r.st = State{Step: StepMenu}
		r.text("Cancelled. Send *menu* whenever you want to order.")
	case r.st.Step == StepQuantity:
		r.quantity()
	case r.st.Step == StepAddress && (r.in.Location != nil || strings.TrimSpace(r.in.Text) != ""):
		r.address()
	case r.st.Step == StepContact && strings.TrimSpace(r.in.Text) != "":
		r.contact()
	case r.st.Step == StepMenu:
		if p, ok := r.find(r.in.Text); ok {
			r.pick(p.RetailerID)
			return
		}
		r.unknown()
	default:
		r.unknown()
	}
}

// typedChoice maps what a customer may type instead of tapping a button to that button's id, by step.
func typedChoice(step, text string) string {
	t := strings.ToLower(strings.Trim(strings.TrimSpace(text), "!.?/ "))
	switch {
	case t == "checkout" || t == "check out" || t == "pay" || t == "done":
		return "checkout"
	case step == StepCart && (t == "add more" || t == "more"):
		return "more"
	case step == StepFulfillment && (t == "delivery" || t == "deliver" || t == "delivered"):
		return "delivery"
	case step == StepFulfillment && (t == "pickup" || t == "pick up" || t == "collect" || t == "takeaway"):
		return "pickup"
	case step == StepConfirm && (t == "yes" || t == "y" || t == "ok" || t == "okay" || t == "confirm" || t == "sure"):
		return "confirm"
	case step == StepConfirm && (t == "no" || t == "n" || t == "back"):
		return "back"
	}
	return ""
}

func (r *turn) unknown() {
	r.text("Sorry, I didn't get that. " + helpText)
	switch r.st.Step {
	case StepCart, StepConfirm:
		r.cart()
	case StepAddress:
		r.askAddress()
	case StepContact:
		r.askContact()
	}
}

const helpText = "You can send: *menu* to see what we have, *cart* to see your order so far, *cancel* to start over, " +
	"*status* to follow your last order, *help* for this message."

func (r *turn) help() { r.text(helpText) }

// greet welcomes a customer at the start of a conversation.
func (r *turn) greet() {
	if r.st.Step != StepNew {
		return
	}
	greet := r.biz.Greeting
	if greet == "" {
		greet = fmt.Sprintf("Welcome to %s! 👋", r.biz.Name)
	}
	r.text(greet)
}

func (r *turn) status() {
	o := r.in.LastOrder
	if o == nil {
		r.text("You have no orders yet. Send *menu* to order.")
		return
	}
	r.text(fmt.Sprintf("Order #%d (%s) is *%s*.", o.Number, whatsapp.FormatMoney(o.TotalMinor, o.Currency), statusWords(o.Status)))
}

func statusWords(s models.OrderStatus) string {
	return strings.ReplaceAll(string(s), "_", " ")
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

func (r *turn) buttons(body string, bs ...whatsapp.Button) {
	m, err := whatsapp.NewReplyButtons(r.in.To, whatsapp.TruncateRunes(body, whatsapp.MaxInteractiveBody), bs)
	if err != nil {
		r.text(body)
		return
	}
	r.out = append(r.out, m)
}
