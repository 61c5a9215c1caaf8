package whatsapp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// Permissions a business token needs for the Cloud API (Meta: "whatsapp_business_management" to manage the
// account, "whatsapp_business_messaging" to send).
const (
	ScopeManagement = "whatsapp_business_management"
	ScopeMessaging  = "whatsapp_business_messaging"
)

// TokenInfo is what GET /debug_token says about an access token.
type TokenInfo struct {
	AppID     string
	Type      string // USER, SYSTEM_USER, PAGE, APP
	Valid     bool
	ExpiresAt time.Time // zero: never expires (system-user tokens)
	Scopes    []string
	// Targets maps a scope to the ids it is limited to (granular_scopes); a scope absent here covers all.
	Targets map[string][]string
}

// HasScope reports whether the token was granted scope.
func (t TokenInfo) HasScope(scope string) bool { return slices.Contains(t.Scopes, scope) }

// CoversTarget reports whether scope reaches id: granted, and either unlimited or limited to a list holding id.
func (t TokenInfo) CoversTarget(scope, id string) bool {
	if !t.HasScope(scope) {
		return false
	}
	ids, limited := t.Targets[scope]
	return !limited || slices.Contains(ids, id)
}

// DebugToken inspects inputToken with GET /debug_token. appToken authorises the call: the app's own token
// ("{app-id}|{app-secret}") or, without an app, the token itself.
func (c *Client) DebugToken(ctx context.Context, inputToken, appToken string) (TokenInfo, error) {
	var out struct {
		Data struct {
			AppID          any      `json:"app_id"` // a string from Meta; tolerated as a number
			Type           string   `json:"type"`
			IsValid        bool     `json:"is_valid"`
			ExpiresAt      int64    `json:"expires_at"`
			Scopes         []string `json:"scopes"`
			GranularScopes []struct {
				Scope     string   `json:"scope"`
				TargetIDs []string `json:"target_ids"`
			} `json:"granular_scopes"`
		} `json:"data"`
	}
	u := c.nodeURL("debug_token", "") + "?" + url.Values{"input_token": {inputToken}}.Encode()
	if err := c.do(ctx, "debug token", http.MethodGet, u, appToken, nil, &out); err != nil {
		return TokenInfo{}, err
	}
	d := out.Data
	info := TokenInfo{AppID: idString(d.AppID), Type: d.Type, Valid: d.IsValid, Scopes: d.Scopes, Targets: map[string][]string{}}
	if d.ExpiresAt > 0 {
		info.ExpiresAt = time.Unix(d.ExpiresAt, 0).UTC()
	}
	for _, g := range d.GranularScopes {
		if len(g.TargetIDs) > 0 {
			info.Targets[g.Scope] = g.TargetIDs
		}
	}
	return info, nil
}

// idString is a Graph API id that came as a JSON string or number.
func idString(v any) string {
	switch id := v.(type) {
	case string:
		return id
	case float64:
		return strconv.FormatFloat(id, 'f', -1, 64)
	}
	return ""
}

// WABAPhoneNumber is one phone number of a WhatsApp Business Account, as GET /{waba-id}/phone_numbers lists it.
type WABAPhoneNumber struct {
	ID                 string `json:"id"`
	DisplayPhoneNumber string `json:"display_phone_number"`
	VerifiedName       string `json:"verified_name"`
	QualityRating      string `json:"quality_rating"`
}

// WABAPhoneNumbers lists the phone numbers a WhatsApp Business Account owns (the first page of up to 100 is all a
// business has in practice: Meta allows a few numbers per account unless raised).
func (c *Client) WABAPhoneNumbers(ctx context.Context, wabaID, token string) ([]WABAPhoneNumber, error) {
	if err := needID("waba_id", wabaID); err != nil {
		return nil, err
	}
	var out struct {
		Data []WABAPhoneNumber `json:"data"`
	}
	u := c.nodeURL(wabaID, "phone_numbers") + "?fields=id,display_phone_number,verified_name,quality_rating&limit=100"
	if err := c.do(ctx, "list phone numbers", http.MethodGet, u, token, nil, &out); err != nil {
		return nil, err
	}
	return out.Data, nil
}

// SubscribeApp subscribes the token's app to the WhatsApp Business Account's webhooks
// (POST /{waba-id}/subscribed_apps): without it no webhook about this account ever arrives.
func (c *Client) SubscribeApp(ctx context.Context, wabaID, token string) error {
	if err := needID("waba_id", wabaID); err != nil {
		return err
	}
	return c.success(ctx, "subscribe app", c.nodeURL(wabaID, "subscribed_apps"), token, nil)
}

// pinRe is Meta's two-step verification PIN: six digits.
var pinRe = regexp.MustCompile(`^\d{6}$`)

// Register registers the phone number for the Cloud API (POST /{phone-number-id}/register) with its two-step
// verification PIN, setting the PIN if the number has none yet. Without it, sends from the number fail.
func (c *Client) Register(ctx context.Context, phoneNumberID, token, pin string) error {
	if err := needPhoneNumberID(phoneNumberID); err != nil {
		return err
	}
	if !pinRe.MatchString(pin) {
		return &ValidationError{Field: "pin", Reason: "must be six digits"}
	}
	body, _ := json.Marshal(map[string]string{"messaging_product": "whatsapp", "pin": pin})
	return c.success(ctx, "register phone number", c.nodeURL(phoneNumberID, "register"), token, body)
}

// PhoneNumberDetails is what the dashboard shows of a connected number.
type PhoneNumberDetails struct {
	PhoneNumberInfo
	MessagingLimit string // messaging_limit_tier: TIER_250, TIER_1K, ..., TIER_UNLIMITED
	Throughput     string // throughput.level: STANDARD, HIGH, NOT_APPLICABLE
	NameStatus     string // name_status: APPROVED, PENDING_REVIEW, DECLINED, ...
}

// PhoneNumberDetails reads a number's display number, verified name, quality rating, messaging limit and
// throughput (GET /{phone-number-id}?fields=...).
func (c *Client) PhoneNumberDetails(ctx context.Context, phoneNumberID, token string) (PhoneNumberDetails, error) {
	if err := needPhoneNumberID(phoneNumberID); err != nil {
		return PhoneNumberDetails{}, err
	}
	var out struct {
		PhoneNumberInfo
		MessagingLimitTier string `json:"messaging_limit_tier"`
		NameStatus         string `json:"name_status"`
		Throughput         struct {
			Level string `json:"level"`
		} `json:"throughput"`
	}
	u := c.nodeURL(phoneNumberID, "") +
		"?fields=display_phone_number,verified_name,quality_rating,messaging_limit_tier,throughput,name_status"
	if err := c.do(ctx, "read phone number", http.MethodGet, u, token, nil, &out); err != nil {
		return PhoneNumberDetails{}, err
	}
	if out.DisplayPhoneNumber == "" {
		return PhoneNumberDetails{}, fmt.Errorf("whatsapp: read phone number: no display_phone_number: %w", ErrUnexpectedResponse)
	}
	if out.ID == "" {
		out.ID = phoneNumberID
	}
	return PhoneNumberDetails{PhoneNumberInfo: out.PhoneNumberInfo, MessagingLimit: out.MessagingLimitTier,
		Throughput: out.Throughput.Level, NameStatus: out.NameStatus}, nil
}

// success POSTs body (nil: none) and expects {"success":true}.
func (c *Client) success(ctx context.Context, op, u, token string, body []byte) error {
	var out struct {
		Success bool `json:"success"`
	}
	if body == nil {
		body = []byte("{}")
	}
	if err := c.do(ctx, op, http.MethodPost, u, token, body, &out); err != nil {
		return err
	}
	if !out.Success {
		return fmt.Errorf("whatsapp: %s: no success in the answer: %w", op, ErrUnexpectedResponse)
	}
	return nil
}

// needID refuses an empty id, which would address another Graph API node.
func needID(field, id string) error {
	if id == "" {
		return &ValidationError{Field: field, Reason: "is required"}
	}
	return nil
}
