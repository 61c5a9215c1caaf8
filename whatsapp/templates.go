package whatsapp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// MessageTemplate is one message template of a WhatsApp Business Account.
type MessageTemplate struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	Language       string `json:"language"`
	Category       string `json:"category"` // UTILITY, MARKETING, AUTHENTICATION
	Status         string `json:"status"`   // APPROVED, PENDING, REJECTED, PAUSED, DISABLED, ...
	RejectedReason string `json:"rejected_reason"`
	Components     []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	} `json:"components"`
}

// Body is the text of the template's BODY component.
func (t MessageTemplate) Body() string {
	for _, c := range t.Components {
		if strings.EqualFold(c.Type, "BODY") {
			return c.Text
		}
	}
	return ""
}

var bodyParamRe = regexp.MustCompile(`\{\{\s*(\d+)\s*\}\}`)

// BodyParams counts the body's positional variables {{1}}, {{2}}, ...: the highest number used.
func BodyParams(body string) int {
	n := 0
	for _, m := range bodyParamRe.FindAllStringSubmatch(body, -1) {
		var k int
		_, _ = fmt.Sscan(m[1], &k)
		n = max(n, k)
	}
	return n
}

// maxTemplatePages bounds paging through a WABA's templates (100 a page).
const maxTemplatePages = 20

// MessageTemplates lists every message template of a WhatsApp Business Account, following Meta's cursors.
func (c *Client) MessageTemplates(ctx context.Context, wabaID, token string) ([]MessageTemplate, error) {
	if err := needID("waba_id", wabaID); err != nil {
		return nil, err
	}
	var all []MessageTemplate
	after := ""
	for range maxTemplatePages {
		q := url.Values{"fields": {"id,name,language,category,status,rejected_reason,components"}, "limit": {"100"}}
		if after != "" {
			q.Set("after", after)
		}
		var out struct {
			Data   []MessageTemplate `json:"data"`
			Paging struct {
				Cursors struct {
					After string `json:"after"`
				} `json:"cursors"`
				Next string `json:"next"`
			} `json:"paging"`
		}
		if err := c.do(ctx, "list message templates", http.MethodGet, c.nodeURL(wabaID, "message_templates")+"?"+q.Encode(),
			token, nil, &out); err != nil {
			return nil, err
		}
		all = append(all, out.Data...)
		if out.Paging.Next == "" || out.Paging.Cursors.After == "" {
			return all, nil
		}
		after = out.Paging.Cursors.After
	}
	return all, nil
}

// NewTemplateRequest is a template to create: one BODY component with positional variables and an example
// value for each (Meta refuses variables without examples).
type NewTemplateRequest struct {
	Name, Language, Category, Body string
	Examples                       []string
}

// CreateMessageTemplate submits a template for review (POST /{waba-id}/message_templates) and returns its id and
// the status Meta gave it (usually PENDING; a UTILITY template may be APPROVED at once).
func (c *Client) CreateMessageTemplate(ctx context.Context, wabaID, token string, t NewTemplateRequest) (string, string, error) {
	if err := needID("waba_id", wabaID); err != nil {
		return "", "", err
	}
	type example struct {
		BodyText [][]string `json:"body_text,omitempty"`
	}
	type component struct {
		Type    string   `json:"type"`
		Text    string   `json:"text"`
		Example *example `json:"example,omitempty"`
	}
	comp := component{Type: "BODY", Text: t.Body}
	if len(t.Examples) > 0 {
		comp.Example = &example{BodyText: [][]string{t.Examples}}
	}
	body, err := json.Marshal(map[string]any{"name": t.Name, "language": t.Language, "category": t.Category,
		"components": []component{comp}})
	if err != nil {
		return "", "", fmt.Errorf("whatsapp: create template: %w", err)
	}
	var out struct {
		ID       string `json:"id"`
		Status   string `json:"status"`
		Category string `json:"category"`
	}
	if err := c.do(ctx, "create message template", http.MethodPost, c.nodeURL(wabaID, "message_templates"), token, body, &out); err != nil {
		return "", "", err
	}
	if out.ID == "" {
		return "", "", fmt.Errorf("whatsapp: create template: no id in the answer: %w", ErrUnexpectedResponse)
	}
	return out.ID, out.Status, nil
}

// BusinessProfile is a phone number's WhatsApp business profile, shown to customers.
type BusinessProfile struct {
	About       string   `json:"about,omitempty"`
	Address     string   `json:"address,omitempty"`
	Description string   `json:"description,omitempty"`
	Email       string   `json:"email,omitempty"`
	Websites    []string `json:"websites,omitempty"`
	Vertical    string   `json:"vertical,omitempty"`
}

// Business profile limits and verticals, as Meta documents them.
const (
	MaxProfileAbout       = 139
	MaxProfileAddress     = 256
	MaxProfileDescription = 512
	MaxProfileEmail       = 128
	MaxProfileWebsite     = 256
	MaxProfileWebsites    = 2
)

// ProfileVerticals are the industries Meta accepts for vertical.
var ProfileVerticals = []string{"UNDEFINED", "OTHER", "AUTO", "BEAUTY", "APPAREL", "EDU", "ENTERTAIN", "EVENT_PLAN",
	"FINANCE", "GROCERY", "GOVT", "HOTEL", "HEALTH", "NONPROFIT", "PROF_SERVICES", "RETAIL", "TRAVEL", "RESTAURANT",
	"ALCOHOL", "ONLINE_GAMBLING", "PHYSICAL_GAMBLING", "OTC_DRUGS", "NOT_A_BIZ"}

// GetBusinessProfile reads GET /{phone-number-id}/whatsapp_business_profile.
func (c *Client) GetBusinessProfile(ctx context.Context, phoneNumberID, token string) (BusinessProfile, error) {
	if err := needPhoneNumberID(phoneNumberID); err != nil {
		return BusinessProfile{}, err
	}
	var out struct {
		Data []BusinessProfile `json:"data"`
	}
	u := c.nodeURL(phoneNumberID, "whatsapp_business_profile") + "?fields=about,address,description,email,websites,vertical"
	if err := c.do(ctx, "read business profile", http.MethodGet, u, token, nil, &out); err != nil {
		return BusinessProfile{}, err
	}
	if len(out.Data) == 0 {
		return BusinessProfile{}, nil
	}
	return out.Data[0], nil
}

// UpdateBusinessProfile writes the profile with POST /{phone-number-id}/whatsapp_business_profile. Meta keeps
// fields the body leaves out, so an emptied field is sent as "" to clear it.
func (c *Client) UpdateBusinessProfile(ctx context.Context, phoneNumberID, token string, p BusinessProfile) error {
	if err := needPhoneNumberID(phoneNumberID); err != nil {
		return err
	}
	body := map[string]any{"messaging_product": "whatsapp", "about": p.About, "address": p.Address,
		"description": p.Description, "email": p.Email, "websites": p.Websites}
	if p.Websites == nil {
		body["websites"] = []string{}
	}
	if p.Vertical != "" {
		body["vertical"] = p.Vertical
	}
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("whatsapp: update business profile: %w", err)
	}
	return c.success(ctx, "update business profile", c.nodeURL(phoneNumberID, "whatsapp_business_profile"), token, b)
}
