// Package ordering is the conversational bot: a pure state machine (Step) that turns a customer's message into
// replies and, at the end, an order; and the Bot, which loads what Step needs, runs it, and commits the new state,
// the order and the replies in one transaction. It never sends anything itself: replies go to the outbox.
package ordering

import (
	"strings"
	"time"

	"github.com/waorder/waorder/locale"
	"github.com/waorder/waorder/models"
)

// Steps of a conversation.
const (
	StepNew         = ""
	StepMenu        = "menu"
	StepQuantity    = "quantity"
	StepCart        = "cart"
	StepFulfillment = "fulfillment"
	StepAddress     = "address"
	StepContact     = "contact" // a delivery's contact number, from a customer whose phone is unknown
	StepConfirm     = "confirm"
	StepNote        = "note"
)

// State is what the bot remembers about one customer's conversation (stored as JSON).
type State struct {
	Step        string     `json:"step"`
	Cart        []CartLine `json:"cart,omitempty"`
	Pending     string     `json:"pending,omitempty"` // retailer id waiting for a quantity
	Page        int        `json:"page,omitempty"`
	Fulfillment string     `json:"fulfillment,omitempty"`
	Address     string     `json:"address,omitempty"`
	Latitude    *float64   `json:"lat,omitempty"`
	Longitude   *float64   `json:"lng,omitempty"`
	Contact     string     `json:"contact,omitempty"`    // the delivery's contact number, when one was asked for
	Source      string     `json:"source,omitempty"`     // "catalog" when the cart came from a WhatsApp catalog order
	SourceKey   string     `json:"source_key,omitempty"` // that order message's wamid
	LastWamid   string     `json:"last_wamid,omitempty"` // the last message handled: a re-run of it is a no-op
	Note        string     `json:"note,omitempty"`       // the customer's note for the kitchen
	Applied     []string   `json:"applied,omitempty"`    // quantity questions already answered (see ids.go)
	PlacedSig   string     `json:"placed_sig,omitempty"` // orderSig and cartSig of the last order placed
	PlacedCart  string     `json:"placed_cart,omitempty"`
	Misses      int        `json:"misses,omitempty"` // messages in a row the bot did not understand
}

// CartLine is one product in the cart, at our price.
type CartLine struct {
	RetailerID string `json:"retailer_id"`
	ProductID  int64  `json:"product_id"`
	Name       string `json:"name"`
	Quantity   int    `json:"quantity"`
	UnitPrice  int64  `json:"unit_price"`
}

// Total is the cart's sum in minor units.
func (s State) Total() int64 {
	var t int64
	for _, l := range s.Cart {
		t += int64(l.Quantity) * l.UnitPrice
	}
	return t
}

// Input is a customer's message, reduced to what the bot acts on.
type Input struct {
	Wamid     string
	To        string // where replies go: the customer's phone number, else their BSUID
	HasPhone  bool   // the customer's phone number is known
	Text      string // typed text
	ReplyID   string // id of a tapped button or list row
	Location  *Location
	Order     []OrderLine   // a cart sent from the WhatsApp catalog
	OrderNote string        // the text the customer typed with that cart
	Other     string        // a type the bot does not act on (reaction, sticker, …)
	LastOrder *models.Order // for "status" and "cancel order"
	Target    *models.Order // the customer's order a tapped id names (co:<id>), when it exists
	Language  string        // the conversation's language, "" until a greeting picked one
}

// Location is a shared location.
type Location struct {
	Latitude, Longitude float64
	Name, Address       string
}

// OrderLine is one line of a catalog order as Meta reported it.
type OrderLine struct {
	RetailerID string
	Quantity   int
	UnitPrice  int64
	Currency   string
}

// Business is what the bot needs to know about the business.
type Business struct {
	Name          string
	Greeting      string
	Currency      string
	Fulfillment   models.Fulfillment
	MinOrderMinor int64
	OpeningHours  string
	Timezone      string
	// DeliveryFeeMinor is charged on deliveries; from FreeDeliveryOverMinor (when > 0) on, delivery is free.
	DeliveryFeeMinor      int64
	FreeDeliveryOverMinor int64
	// RequireContactPhone: deliveries to customers whose phone is unknown need a contact number.
	RequireContactPhone bool
	// Language is the business's: the bot's until a customer's greeting picks another for their conversation.
	Language string
	// PicturesURL is the public https address product pictures are served under (PUBLIC_URL + "/p/"); the item
	// message shows a product's picture from there. Empty: no pictures in messages.
	PicturesURL string
}

// OrderDraft is an order the conversation completed; the Bot numbers and stores it.
type OrderDraft struct {
	Items       []models.OrderItem
	Fulfillment models.Fulfillment
	Address     string
	Contact     string
	Latitude    *float64
	Longitude   *float64
	Source      string
	SourceKey   string
	Note        string
	// DeliveryFeeMinor is the fee the customer saw when confirming.
	DeliveryFeeMinor int64
}

// command recognises the words that work at any point, in each language the bot speaks (the help text names the
// first of each in its language).
func command(text string) string {
	t := strings.ToLower(strings.Trim(strings.TrimSpace(text), "!¡.?¿/ "))
	if locale.FromGreeting(t) != "" && !strings.ContainsAny(t, "0123456789") {
		return "menu" // "hola", "bom dia", "hello there": a greeting opens the menu
	}
	switch t {
	case "menu", "start", "order", "catalog", "catalogue", "menú", "carta", "cardápio", "cardapio", "pedir":
		return "menu"
	case "cart", "basket", "my cart", "bag", "carrito", "mi carrito", "carrinho", "meu carrinho":
		return "cart"
	case "cancel", "stop", "clear", "reset", "empty", "cancelar", "vaciar", "esvaziar", "limpar":
		return "cancel"
	case "cancel order", "cancel my order", "cancelar pedido", "cancelar mi pedido", "cancelar meu pedido":
		return "cancel order"
	case "status", "my order", "order status", "where is my order", "track", "estado", "mi pedido", "meu pedido":
		return "status"
	case "agent", "human", "person", "a person", "talk to a person", "speak to a person", "humano", "persona", "agente",
		"atendente", "pessoa":
		return "human"
	case "help", "?", "commands", "ajuda", "ayuda":
		return "help"
	}
	return ""
}

// openNow reports whether the business is open at now, and its hours in words in p's language. Hours that cannot
// be read (a settings page always validates them) leave the bot open rather than turning customers away.
func openNow(b Business, now time.Time, p locale.Printer) (bool, string) {
	hours, err := models.ParseOpeningHours(b.OpeningHours)
	if err != nil {
		return true, ""
	}
	loc := models.Business{Timezone: b.Timezone}.Location()
	words := models.HoursWords{Closed: func(date string) string { return p.T("hours.closed_on", "Date", date) }}
	for i, key := range models.DayKeys {
		words.Days[i] = p.T("hours." + key)
	}
	return hours.IsOpen(now, loc), hours.DescribeIn(now.In(loc), words)
}
