package onboarding

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/whatsapp"
)

// OrderTemplateName is the template we create for order updates outside the 24-hour window.
const OrderTemplateName = "order_update"

// orderTemplateBodies is our wording of the order-update template, per language, with its variables: {{1}} the
// order number, {{2}} the status, {{3}} the business name (OrderTemplateParams).
var orderTemplateBodies = map[string]string{
	"en_US": "Your order {{1}} at {{3}} is now: {{2}}. Reply to this message if you have a question.",
	"en":    "Your order {{1}} at {{3}} is now: {{2}}. Reply to this message if you have a question.",
	"es":    "Tu pedido {{1}} en {{3}} ahora está: {{2}}. Responde a este mensaje si tienes alguna pregunta.",
	"pt_BR": "Seu pedido {{1}} em {{3}} agora está: {{2}}. Responda esta mensagem se tiver alguma dúvida.",
}

// OrderTemplateParams is where the order-update template's variables come from.
var OrderTemplateParams = []string{models.ParamOrderNumber, models.ParamOrderStatus, models.ParamBusinessName}

// OrderTemplateLanguages lists the languages we have wording for.
func OrderTemplateLanguages() []string {
	out := make([]string, 0, len(orderTemplateBodies))
	for l := range orderTemplateBodies {
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}

// account finds the business's WABA and a token for it: its first connected (or restricted) number's.
func (s *Service) account(ctx context.Context, bizID int64) (models.PhoneNumber, string, error) {
	phones, err := s.Store.PhoneNumbers(ctx, bizID)
	if err != nil {
		return models.PhoneNumber{}, "", err
	}
	for _, p := range phones {
		if p.WABAID == "" || (p.Status != models.PhoneConnected && p.Status != models.PhoneRestricted) {
			continue
		}
		token, err := s.Box.Open(p.AccessTokenEnc)
		if err != nil {
			continue
		}
		return p, token, nil
	}
	return models.PhoneNumber{}, "", models.ErrNoNumber
}

// MetaError is a Graph API refusal of something the merchant asked for, with Meta's message.
type MetaError struct{ Message string }

func (e MetaError) Error() string { return e.Message }

func asMetaError(op string, err error) error {
	var apiErr *whatsapp.APIError
	var te *whatsapp.TransportError
	if errors.As(err, &apiErr) || errors.As(err, &te) {
		return MetaError{Message: metaMessage(err)}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// SyncTemplates replaces the stored templates with the WABA's, as Meta lists them.
func (s *Service) SyncTemplates(ctx context.Context, bizID int64) ([]models.MessageTemplate, error) {
	p, token, err := s.account(ctx, bizID)
	if err != nil {
		return nil, err
	}
	list, err := s.Graph.MessageTemplates(ctx, p.WABAID, token)
	if err != nil {
		return nil, asMetaError("list templates", err)
	}
	ts := make([]models.MessageTemplate, 0, len(list))
	seen := map[string]bool{}
	for _, t := range list {
		if seen[t.Name+"/"+t.Language] {
			continue
		}
		seen[t.Name+"/"+t.Language] = true
		body := t.Body()
		ts = append(ts, models.MessageTemplate{BusinessID: bizID, MetaID: t.ID, Name: t.Name, Language: t.Language,
			Category: t.Category, Status: t.Status, Reason: rejectedReason(t.RejectedReason), Body: body,
			ParamCount: whatsapp.BodyParams(body)})
	}
	if err := s.Store.ReplaceTemplates(ctx, bizID, ts); err != nil {
		return nil, err
	}
	return s.Store.Templates(ctx, bizID)
}

func rejectedReason(r string) string {
	if r == "NONE" {
		return ""
	}
	return r
}

// CreateOrderTemplate submits our order-update template (UTILITY) in language for Meta's review and stores it
// with the status Meta gave.
func (s *Service) CreateOrderTemplate(ctx context.Context, bizID int64, language string) (models.MessageTemplate, error) {
	body, ok := orderTemplateBodies[language]
	if !ok {
		return models.MessageTemplate{}, models.Invalid("language",
			"Choose one of the languages offered: "+strings.Join(OrderTemplateLanguages(), ", ")+".")
	}
	p, token, err := s.account(ctx, bizID)
	if err != nil {
		return models.MessageTemplate{}, err
	}
	biz, err := s.Store.Business(ctx, bizID)
	if err != nil {
		return models.MessageTemplate{}, err
	}
	id, status, err := s.Graph.CreateMessageTemplate(ctx, p.WABAID, token, whatsapp.NewTemplateRequest{
		Name: OrderTemplateName, Language: language, Category: "UTILITY", Body: body,
		Examples: []string{"#1042", "ready for pickup", exampleName(biz.Name)}})
	if err != nil {
		return models.MessageTemplate{}, asMetaError("create template", err)
	}
	if status == "" {
		status = "PENDING"
	}
	t := models.MessageTemplate{BusinessID: bizID, MetaID: id, Name: OrderTemplateName, Language: language,
		Category: "UTILITY", Status: status, Body: body, ParamCount: whatsapp.BodyParams(body)}
	if err := s.Store.SaveTemplate(ctx, &t); err != nil {
		return models.MessageTemplate{}, err
	}
	return t, nil
}

// exampleName is the business name as a template example: Meta refuses new lines and long runs of spaces.
func exampleName(name string) string {
	name = strings.Join(strings.Fields(name), " ")
	if name == "" {
		return "Our shop"
	}
	return whatsapp.TruncateRunes(name, 60)
}

var templateKeyRe = regexp.MustCompile(`^[a-z0-9_]{1,512}$`)

// ChooseWindowTemplate sets the approved template sent for notifications outside the 24-hour window, and where
// each of its body variables comes from (one source per variable, in order). An empty name stops using one.
func (s *Service) ChooseWindowTemplate(ctx context.Context, bizID int64, name, language string, params []string) error {
	if name == "" {
		return s.setWindowTemplate(ctx, bizID, "", language, nil)
	}
	if !templateKeyRe.MatchString(name) {
		return models.Invalid("template", "Choose a template from the list.")
	}
	t, err := s.Store.Template(ctx, bizID, name, language)
	if errors.Is(err, models.ErrNotFound) {
		return models.Invalid("template", "That template is not in the list: sync the templates and choose again.")
	}
	if err != nil {
		return err
	}
	if !t.Usable() {
		return models.Invalid("template", fmt.Sprintf("%s (%s) is %s, not approved: only approved templates can be sent.",
			t.Name, t.Language, strings.ToLower(t.Status)))
	}
	params = slices.DeleteFunc(slices.Clone(params), func(p string) bool { return p == "" })
	if len(params) != t.ParamCount {
		return models.Invalid("params", fmt.Sprintf("%s has %d variables: choose what fills each of them.", t.Name, t.ParamCount))
	}
	for _, p := range params {
		if !slices.ContainsFunc(models.TemplateParamSources, func(src struct{ Key, Label string }) bool { return src.Key == p }) {
			return models.Invalid("params", "Choose each variable's value from the list.")
		}
	}
	return s.setWindowTemplate(ctx, bizID, name, language, params)
}

func (s *Service) setWindowTemplate(ctx context.Context, bizID int64, name, language string, params []string) error {
	if language == "" {
		language = "en_US"
	}
	if err := s.Store.SetWindowTemplate(ctx, bizID, name, language, strings.Join(params, ",")); err != nil {
		return err
	}
	s.invalidate(ctx, bizID)
	return nil
}

// OrderTemplateWording is our order-update template's text in language ("" if we have none).
func OrderTemplateWording(language string) string { return orderTemplateBodies[language] }
