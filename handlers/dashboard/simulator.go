package dashboard

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/waorder/waorder/handlers/httpx"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/whatsapp"
)

// The simulator (sandbox mode only) lets a person chat with the bot as a customer. What they type or tap becomes a
// webhook body shaped and signed like Meta's and goes into the same ingest path as real webhooks; the bot's replies
// are read back from the outbox.

const (
	simDefaultWaID = "15550100001"
	simDefaultName = "Sandbox Customer"
)

var simWaIDRe = regexp.MustCompile(`^\d{6,15}$`)

type simulatorView struct {
	WaID, Name string
	PhoneID    int64
	Numbers    []struct {
		ID       int64
		Label    string
		Selected bool
	}
}

// simTarget reads who the customer is and which business number they write to.
func (d *Handler) simTarget(c *fiber.Ctx) (waID, name string, phone models.PhoneNumber, numbers []models.PhoneNumber, err error) {
	p, _ := principal(c)
	waID, name = c.Query("wa_id", c.FormValue("wa_id")), strings.TrimSpace(c.Query("name", c.FormValue("name")))
	if !simWaIDRe.MatchString(waID) {
		waID = simDefaultWaID
	}
	if name == "" {
		name = simDefaultName
	}
	numbers, err = d.Merchant.PhoneNumbers(c.UserContext(), p.BusinessID)
	if err != nil || len(numbers) == 0 {
		return waID, name, phone, numbers, err
	}
	phone = numbers[0]
	want, _ := strconv.ParseInt(c.Query("phone", c.FormValue("phone")), 10, 64)
	for _, n := range numbers {
		if n.ID == want {
			phone = n
		}
	}
	return waID, name, phone, numbers, nil
}

// simulator is the chat page.
func (d *Handler) simulator(c *fiber.Ctx) error {
	waID, name, phone, numbers, err := d.simTarget(c)
	if err != nil {
		return d.fail(c, err)
	}
	v := simulatorView{WaID: waID, Name: name, PhoneID: phone.ID}
	for _, n := range numbers {
		label := n.DisplayPhoneNumber
		if label == "" {
			label = n.MetaPhoneID
		}
		v.Numbers = append(v.Numbers, struct {
			ID       int64
			Label    string
			Selected bool
		}{n.ID, label, n.ID == phone.ID})
	}
	return d.render(c, fiber.StatusOK, "simulator", "simulator", v)
}

// simulatorMessages answers the conversation of the simulated customer as JSON, for the page to poll.
func (d *Handler) simulatorMessages(c *fiber.Ctx) error {
	p, _ := principal(c)
	waID, _, _, _, err := d.simTarget(c)
	if err != nil {
		return httpx.JSONError(c, fiber.StatusInternalServerError, "internal", "could not load the conversation")
	}
	msgs := []messageView{}
	cust, err := d.Merchant.CustomerByWaID(c.UserContext(), p.BusinessID, waID)
	if err == nil {
		biz, berr := d.business(c)
		if berr != nil {
			return httpx.JSONError(c, fiber.StatusInternalServerError, "internal", "could not load the business")
		}
		msgs, err = d.conversation(c.UserContext(), p.BusinessID, cust.ID, localOf(biz), 80)
	}
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		d.Log.Error("simulator: load conversation", "err", err)
		return httpx.JSONError(c, fiber.StatusInternalServerError, "internal", "could not load the conversation")
	}
	return c.JSON(fiber.Map{"messages": msgs})
}

// simulatorSend posts one customer message: typed text, or a tap on a reply button or list row.
func (d *Handler) simulatorSend(c *fiber.Ctx) error {
	waID, name, phone, _, err := d.simTarget(c)
	if err != nil {
		return d.fail(c, err)
	}
	if phone.ID == 0 {
		return httpx.JSONError(c, fiber.StatusBadRequest, "bad_request", "this business has no WhatsApp number")
	}
	msg, err := simMessage(waID, c.FormValue("text"), c.FormValue("reply_kind"), c.FormValue("reply_id"), c.FormValue("reply_title"))
	if err != nil {
		return httpx.JSONError(c, fiber.StatusBadRequest, "bad_request", err.Error())
	}
	body, err := simWebhook(phone, waID, name, msg)
	if err != nil {
		return d.fail(c, err)
	}
	// Signed like Meta signs it, and checked like the webhook checks it, before taking the webhook's path.
	if !whatsapp.VerifySignature(body, whatsapp.Sign(body, d.AppSecret), d.AppSecret) {
		return d.fail(c, errors.New("simulator: no app secret to sign with"))
	}
	if err := d.Ingest.Accept(c.UserContext(), body); err != nil {
		return d.fail(c, err)
	}
	if strings.Contains(c.Get(fiber.HeaderAccept), "application/json") {
		return c.JSON(fiber.Map{"ok": true})
	}
	q := url.Values{"wa_id": {waID}, "name": {name}, "phone": {strconv.FormatInt(phone.ID, 10)}}
	return c.Redirect("/simulator?"+q.Encode(), fiber.StatusSeeOther)
}

// simMessage builds the message object Meta would deliver for a text or an interactive reply.
func simMessage(waID, text, kind, replyID, replyTitle string) (map[string]any, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	m := map[string]any{"from": waID, "id": "wamid.SIM" + strings.ToUpper(hex.EncodeToString(b)),
		"timestamp": strconv.FormatInt(time.Now().Unix(), 10)}
	switch kind {
	case "button", "list":
		if replyID == "" || len(replyID) > 256 || len(replyTitle) > 100 {
			return nil, errors.New("a reply needs its id and title")
		}
		typ := map[string]string{"button": "button_reply", "list": "list_reply"}[kind]
		m["type"] = "interactive"
		m["interactive"] = map[string]any{"type": typ, typ: map[string]string{"id": replyID, "title": replyTitle}}
	case "":
		text = strings.TrimSpace(text)
		if text == "" || len(text) > 4096 {
			return nil, errors.New("type a message (at most 4096 characters)")
		}
		m["type"] = "text"
		m["text"] = map[string]string{"body": text}
	default:
		return nil, errors.New("unknown reply kind")
	}
	return m, nil
}

// simWebhook wraps a message in the envelope of whatsapp/testdata/webhooks/text.json for the business's number.
func simWebhook(phone models.PhoneNumber, waID, name string, msg map[string]any) ([]byte, error) {
	value := map[string]any{
		"messaging_product": "whatsapp",
		"metadata":          map[string]string{"display_phone_number": phone.DisplayPhoneNumber, "phone_number_id": phone.MetaPhoneID},
		"contacts":          []any{map[string]any{"profile": map[string]string{"name": name}, "wa_id": waID}},
		"messages":          []any{msg},
	}
	return json.Marshal(map[string]any{
		"object": "whatsapp_business_account",
		"entry":  []any{map[string]any{"id": phone.WABAID, "changes": []any{map[string]any{"field": "messages", "value": value}}}},
	})
}
