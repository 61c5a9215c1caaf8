package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/whatsapp"
)

// HoldReason is the last_error of a message held because the customer's 24-hour window is closed and the business
// has no template to send instead.
const HoldReason = "outside 24h window, no template configured"

// hold keeps m until cust writes again (the claim releases it then), with reason.
func (o *Outbox) hold(db context.Context, m models.OutboundMessage, cust models.Customer, code int, reason string) error {
	var last time.Time
	if cust.LastInboundAt != nil {
		last = *cust.LastInboundAt
	}
	o.count("held")
	o.log.InfoContext(db, "outbound message held until the customer writes", "id", m.ID, "reason", reason)
	return o.store.HoldOutbound(db, m, last, code, reason)
}

// maxTemplateParam bounds the original text passed as the template's body parameter: Meta renders at most 1024
// characters of a template body.
const maxTemplateParam = 1024

// outsideWindow handles a free-form message that cannot go as it is because the customer's window is closed
// (found by our clock, or by Meta's 131047, given as code). With a window template configured, the claimed row now
// carries that template, with the original text as its body parameter, and the new payload is returned with send
// true. Without one, the message is held until the customer writes again.
func (o *Outbox) outsideWindow(db context.Context, m models.OutboundMessage, cust models.Customer, code int) (string, bool, error) {
	biz, err := o.store.Business(db, m.BusinessID)
	if err != nil {
		return "", false, err
	}
	if biz.WindowTemplate == "" {
		return "", false, o.hold(db, m, cust, code, HoldReason)
	}
	var orig whatsapp.OutgoingMessage
	if err := json.Unmarshal([]byte(m.Payload), &orig); err != nil {
		return "", false, o.fail(db, m, 0, "stored payload is not a message: "+err.Error())
	}
	lang := biz.TemplateLanguage
	if lang == "" {
		lang = "en_US"
	}
	// A template Meta rejected, paused or disabled is not sent (Meta would refuse it): the message waits for the
	// customer, and the dashboard tells the merchant why. One never synced is trusted as configured.
	if t, err := o.store.Template(db, biz.ID, biz.WindowTemplate, lang); err == nil && !t.Usable() {
		return "", false, o.hold(db, m, cust, code, fmt.Sprintf("outside 24h window, template %s is %s", t.Name, strings.ToLower(t.Status)))
	} else if err != nil && !errors.Is(err, models.ErrNotFound) {
		return "", false, err
	}
	params, err := o.templateParams(db, biz, m, orig.Text())
	if err != nil {
		return "", false, err
	}
	tm, err := whatsapp.NewTemplate(m.ToWaID, biz.WindowTemplate, lang,
		[]whatsapp.TemplateComponent{whatsapp.TemplateBodyText(params...)})
	if err != nil {
		return "", false, o.fail(db, m, 0, fmt.Sprintf("cannot build window template %q: %v", biz.WindowTemplate, err))
	}
	b, err := json.Marshal(tm)
	if err != nil {
		return "", false, fmt.Errorf("encode window template: %w", err)
	}
	if err := o.store.ReplaceOutboundPayload(db, m, "template", string(b)); err != nil {
		return "", false, err
	}
	return string(b), true, nil
}

// templateParams fills the window template's body variables from the sources the merchant chose
// (Business.TemplateParams); without a choice, the one variable is the original text. Order details come from the
// order a status notification is about (its idempotency key, "order:<id>:status:<status>").
func (o *Outbox) templateParams(db context.Context, biz models.Business, m models.OutboundMessage, text string) ([]string, error) {
	if strings.TrimSpace(biz.TemplateParams) == "" {
		return []string{templateParam(text)}, nil
	}
	var order *models.Order
	var status string
	var orderID int64
	if n, _ := fmt.Sscanf(m.IdempotencyKey, "order:%d:status:%s", &orderID, &status); n == 2 {
		ord, err := o.store.Order(db, m.BusinessID, orderID)
		if err != nil && !errors.Is(err, models.ErrNotFound) {
			return nil, err
		}
		if err == nil {
			order = &ord
		}
	}
	var out []string
	for _, src := range strings.Split(biz.TemplateParams, ",") {
		v := ""
		switch strings.TrimSpace(src) {
		case models.ParamOrderNumber:
			if order != nil {
				v = fmt.Sprintf("#%d", order.Number)
			}
		case models.ParamOrderStatus:
			v = strings.ReplaceAll(status, "_", " ")
		case models.ParamBusinessName:
			v = biz.Name
		case models.ParamMessage:
			v = text
		}
		out = append(out, templateParam(v))
	}
	return out, nil
}

// templateParam fits text into a template variable, which Meta refuses with new lines, tabs or runs of spaces
// (132018): one line, single spaces, at most maxTemplateParam characters.
func templateParam(text string) string {
	var lines []string
	for _, line := range strings.Split(text, "\n") {
		if line = strings.Join(strings.Fields(line), " "); line != "" {
			lines = append(lines, line)
		}
	}
	text = strings.Join(lines, " · ")
	if text == "" {
		text = "-"
	}
	return whatsapp.TruncateRunes(text, maxTemplateParam)
}
