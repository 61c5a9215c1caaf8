package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/whatsapp"
)

// HoldReason is the last_error of a message held because the customer's 24-hour window is closed and the business
// has no template to send instead.
const HoldReason = "outside 24h window, no template configured"

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
		var last time.Time
		if cust.LastInboundAt != nil {
			last = *cust.LastInboundAt
		}
		o.count("held")
		return "", false, o.store.HoldOutbound(db, m, last, code, HoldReason)
	}
	var orig whatsapp.OutgoingMessage
	if err := json.Unmarshal([]byte(m.Payload), &orig); err != nil {
		return "", false, o.fail(db, m, 0, "stored payload is not a message: "+err.Error())
	}
	lang := biz.TemplateLanguage
	if lang == "" {
		lang = "en_US"
	}
	tm, err := whatsapp.NewTemplate(firstSet(cust.Recipient(), m.ToWaID), biz.WindowTemplate, lang,
		[]whatsapp.TemplateComponent{whatsapp.TemplateBodyText(templateParam(orig.Text()))})
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

func firstSet(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
