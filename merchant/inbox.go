package merchant

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/whatsapp"
)

// maxThreads bounds the inbox list.
const maxThreads = 200

// Threads lists the business's conversations, those waiting for a person first, then newest first, with unread counts.
func (s *Service) Threads(ctx context.Context, bizID int64) ([]models.Thread, error) {
	return s.store.Threads(ctx, bizID, maxThreads)
}

// Thread loads one customer's thread (starting an empty one for a customer who never wrote) and marks it read.
func (s *Service) Thread(ctx context.Context, bizID, customerID int64) (models.Thread, error) {
	if _, err := s.store.Customer(ctx, bizID, customerID); err != nil {
		return models.Thread{}, err
	}
	if _, err := s.store.Conversation(ctx, bizID, customerID); err != nil {
		return models.Thread{}, err
	}
	th, err := s.store.Thread(ctx, bizID, customerID)
	if err != nil {
		return th, err
	}
	if th.Unread > 0 {
		if err := s.store.MarkThreadRead(ctx, bizID, customerID, s.now()); err != nil {
			return th, err
		}
	}
	return th, nil
}

// TakeOver makes user answer the customer by hand; the bot stays quiet for them until HandBack.
func (s *Service) TakeOver(ctx context.Context, bizID, customerID, userID int64) error {
	if _, err := s.store.Customer(ctx, bizID, customerID); err != nil {
		return err
	}
	return s.store.TakeOver(ctx, bizID, customerID, userID, s.now())
}

// HandBack gives the customer back to the bot.
func (s *Service) HandBack(ctx context.Context, bizID, customerID int64) error {
	if _, err := s.store.Customer(ctx, bizID, customerID); err != nil {
		return err
	}
	return s.store.HandBack(ctx, bizID, customerID)
}

// Reply is a merchant's hand-written message to a customer.
type Reply struct {
	CustomerID int64
	UserID     int64
	Key        string // unique per form submission: a double submit sends once
	Text       string
	// Template, with its Language and body Params, is sent instead of Text (outside the 24-hour window).
	Template, Language string
	Params             []string
}

// SendReply queues a merchant's reply: text inside the 24-hour window (models.ErrWindowClosed outside it), or one of the
// business's approved templates at any time. Replying takes the conversation over, so the bot does not talk over
// the person.
func (s *Service) SendReply(ctx context.Context, bizID int64, r Reply) error {
	r.Text = strings.TrimSpace(r.Text)
	if r.Key == "" || utf8.RuneCountInString(r.Key) > 64 {
		return models.Invalid("key", "the form is missing its key; reload the page")
	}
	cust, err := s.store.Customer(ctx, bizID, r.CustomerID)
	if err != nil {
		return err
	}
	msg, err := s.replyMessage(ctx, bizID, cust, r)
	if err != nil {
		return err
	}
	payload, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("reply to customer %d: %w", cust.ID, err)
	}
	err = s.store.Tx(ctx, func(tx *repository.Store) error {
		phone, err := sendingNumber(ctx, tx, bizID)
		if err != nil {
			return err
		}
		if phone == nil {
			return models.ErrNoNumber
		}
		out := models.OutboundMessage{BusinessID: bizID, PhoneNumberID: phone.ID, CustomerID: cust.ID, ToWaID: cust.WaID,
			Kind: msg.Type, Payload: string(payload), Summary: msg.Summary(),
			IdempotencyKey: fmt.Sprintf("agent:%d:%d:%s", bizID, cust.ID, r.Key)}
		if _, err := tx.EnqueueOutbound(ctx, &out); err != nil {
			return err
		}
		return tx.TakeOver(ctx, bizID, cust.ID, r.UserID, s.now())
	})
	if err != nil {
		return err
	}
	if s.waker != nil {
		s.waker.Wake()
	}
	return nil
}

func (s *Service) replyMessage(ctx context.Context, bizID int64, cust models.Customer, r Reply) (whatsapp.OutgoingMessage, error) {
	if r.Template == "" {
		switch {
		case r.Text == "":
			return whatsapp.OutgoingMessage{}, models.Invalid("text", "write a message")
		case utf8.RuneCountInString(r.Text) > whatsapp.MaxTextBody:
			return whatsapp.OutgoingMessage{}, models.Invalid("text", fmt.Sprintf("a message is at most %d characters", whatsapp.MaxTextBody))
		case !cust.WindowOpen(s.now()):
			return whatsapp.OutgoingMessage{}, models.ErrWindowClosed
		}
		return whatsapp.NewText(cust.WaID, r.Text, false)
	}
	t, err := s.store.Template(ctx, bizID, r.Template, r.Language)
	if errors.Is(err, models.ErrNotFound) || err == nil && !t.Usable() {
		return whatsapp.OutgoingMessage{}, models.Invalid("template", "pick one of your approved templates")
	}
	if err != nil {
		return whatsapp.OutgoingMessage{}, err
	}
	for len(r.Params) > t.ParamCount && strings.TrimSpace(r.Params[len(r.Params)-1]) == "" {
		r.Params = r.Params[:len(r.Params)-1] // the form has boxes for the longest template
	}
	if len(r.Params) != t.ParamCount {
		return whatsapp.OutgoingMessage{}, models.Invalid("template", fmt.Sprintf("this template needs %d values", t.ParamCount))
	}
	for _, p := range r.Params {
		if strings.TrimSpace(p) == "" || utf8.RuneCountInString(p) > 1000 {
			return whatsapp.OutgoingMessage{}, models.Invalid("template", "fill in every value of the template (up to 1000 characters each)")
		}
	}
	var comps []whatsapp.TemplateComponent
	if len(r.Params) > 0 {
		comps = append(comps, whatsapp.TemplateBodyText(r.Params...))
	}
	m, err := whatsapp.NewTemplate(cust.WaID, t.Name, t.Language, comps)
	if err != nil {
		return m, models.Invalid("template", err.Error())
	}
	return m, nil
}

// ApprovedTemplates lists the templates a merchant may send by hand.
func (s *Service) ApprovedTemplates(ctx context.Context, bizID int64) ([]models.MessageTemplate, error) {
	all, err := s.store.Templates(ctx, bizID)
	if err != nil {
		return nil, err
	}
	var out []models.MessageTemplate
	for _, t := range all {
		if t.Usable() {
			out = append(out, t)
		}
	}
	return out, nil
}
