package fakegraph

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/waorder/waorder/whatsapp"
)

// Kinds of the account-management requests (Embedded Signup, templates, business profile), in Request.Kind and
// as the step FailNext fails.
const (
	KindDebugToken     = "debug_token"      // GET /{version}/debug_token?input_token=
	KindWABAPhones     = "waba_phones"      // GET /{version}/{waba-id}/phone_numbers
	KindSubscribe      = "subscribed_apps"  // POST /{version}/{waba-id}/subscribed_apps
	KindRegister       = "register"         // POST /{version}/{phone-number-id}/register {"messaging_product","pin"}
	KindTemplates      = "templates"        // GET /{version}/{waba-id}/message_templates
	KindCreateTemplate = "create_template"  // POST /{version}/{waba-id}/message_templates
	KindProfile        = "business_profile" // GET /{version}/{phone-number-id}/whatsapp_business_profile
	KindUpdateProfile  = "update_profile"   // POST the same
)

// TokenInfo is what the fake's debug_token says about a token.
type TokenInfo struct {
	Type      string
	Valid     bool
	ExpiresAt time.Time // zero: never
	Scopes    []string
	// WABAs limits the management and messaging scopes to these accounts (granular_scopes); empty: all.
	WABAs []string
}

// Template is a message template the fake keeps for a WABA.
type Template struct {
	ID, Name, Language, Category, Status, Body, RejectedReason string
}

// Profile is the business profile the fake keeps for a number.
type Profile = whatsapp.BusinessProfile

// WithWABA makes the fake know the WhatsApp Business Account waba, owning these phone numbers (GET
// /{waba}/phone_numbers lists them); unknown WABAs answer like Meta for an id that does not exist.
func WithWABA(waba string, phoneNumberIDs ...string) Option {
	return func(s *Server) { s.wabas[waba] = append([]string(nil), phoneNumberIDs...) }
}

// WithTokenInfo sets what debug_token says of token. Other tokens are valid system-user tokens that never expire,
// with both WhatsApp scopes.
func WithTokenInfo(token string, info TokenInfo) Option {
	return func(s *Server) { s.tokens[token] = info }
}

// WithTwoStepPIN makes the number already protected by pin: registering it with another PIN fails (133005).
func WithTwoStepPIN(phoneNumberID, pin string) Option {
	return func(s *Server) { s.pins[phoneNumberID] = pin }
}

// WithTemplateStatus is the status new templates get (default PENDING; a sandbox approves at once).
func WithTemplateStatus(status string) Option {
	return func(s *Server) { s.newTemplateStatus = status }
}

// AddWABA is WithWABA on a running fake.
func (s *Server) AddWABA(waba string, phoneNumberIDs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.wabas[waba] = append(s.wabas[waba], phoneNumberIDs...)
}

// FailNext makes the next requests of kind (KindDebugToken, KindRegister, KindOAuth, ...) get these answers, one
// each, instead of the usual; then they succeed again. Message sends use Script instead.
func (s *Server) FailNext(kind string, responses ...Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext[kind] = append(s.failNext[kind], responses...)
}

// Subscribed reports whether an app subscribed to waba's webhooks.
func (s *Server) Subscribed(waba string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.subscribed[waba]
}

// RegisteredPIN is the PIN the number was registered with, or "" if it was not.
func (s *Server) RegisteredPIN(phoneNumberID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.registered[phoneNumberID]
}

// Templates returns waba's templates.
func (s *Server) Templates(waba string) []Template {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Template(nil), s.templates[waba]...)
}

// SetTemplateStatus changes a template's status (as Meta's review would), with reason for a rejection.
func (s *Server) SetTemplateStatus(waba, name, language, status, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, t := range s.templates[waba] {
		if t.Name == name && t.Language == language {
			s.templates[waba][i].Status, s.templates[waba][i].RejectedReason = status, reason
		}
	}
}

// AddTemplate adds a template to waba as if made in WhatsApp Manager.
func (s *Server) AddTemplate(waba string, t Template) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.ID == "" {
		s.ids++
		t.ID = strconv.Itoa(900000 + s.ids)
	}
	s.templates[waba] = append(s.templates[waba], t)
}

// Profile returns the business profile stored for the number.
func (s *Server) Profile(phoneNumberID string) Profile {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.profiles[phoneNumberID]
}

// account answers the account-management routes; false means the request is none of them.
func (s *Server) account(w http.ResponseWriter, r *http.Request, req Request, parts []string) bool {
	n := len(parts)
	last, node := parts[n-1], ""
	if n >= 2 {
		node = parts[n-2]
	}
	get, post := r.Method == http.MethodGet, r.Method == http.MethodPost
	var answer func(Request) Response
	switch {
	case get && last == "debug_token":
		req.Kind, answer = KindDebugToken, s.debugToken
	case get && last == "phone_numbers" && node != "":
		req.Kind, answer = KindWABAPhones, func(req Request) Response { return s.wabaPhones(node) }
	case post && last == "subscribed_apps" && node != "":
		req.Kind, answer = KindSubscribe, func(req Request) Response { return s.subscribe(node) }
	case post && last == "register" && node != "":
		req.Kind, req.MetaPhoneID, answer = KindRegister, node, s.register
	case get && last == "message_templates" && node != "":
		req.Kind, answer = KindTemplates, func(req Request) Response { return s.listTemplates(node) }
	case post && last == "message_templates" && node != "":
		req.Kind, answer = KindCreateTemplate, func(req Request) Response { return s.createTemplate(node, req.Body) }
	case get && last == "whatsapp_business_profile" && node != "":
		req.Kind, req.MetaPhoneID, answer = KindProfile, node, s.profile
	case post && last == "whatsapp_business_profile" && node != "":
		req.Kind, req.MetaPhoneID, answer = KindUpdateProfile, node, s.updateProfile
	default:
		return false
	}
	at := s.record(req)
	resp := s.authError(req)
	if resp.isZero() {
		resp = s.scripted(req.Kind)
	}
	if resp.isZero() {
		resp = answer(req)
	}
	s.finish(w, at, resp)
	return true
}

// scripted takes the next FailNext answer for kind, or a zero Response.
func (s *Server) scripted(kind string) Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.failNext[kind]
	if len(q) == 0 {
		return Response{}
	}
	s.failNext[kind] = q[1:]
	return q[0]
}

func ok(v any) Response {
	b, _ := json.Marshal(v)
	return Response{Status: http.StatusOK, Body: b}
}

func success() Response { return ok(map[string]bool{"success": true}) }

// noSuchObject is Meta's answer for an id that does not exist or the token cannot see.
func noSuchObject(id string) Response {
	return Err(http.StatusBadRequest, whatsapp.CodeInvalidParameter, "Unsupported get request. Object with ID '"+id+
		"' does not exist, cannot be loaded due to missing permissions, or does not support this operation.")
}

func (s *Server) debugToken(req Request) Response {
	q, _ := url.ParseQuery(req.Query)
	input := q.Get("input_token")
	if input == "" {
		return InvalidParameter("input_token is required")
	}
	s.mu.Lock()
	info, known := s.tokens[input]
	revoked := s.revoked[input]
	appID := s.appID
	s.mu.Unlock()
	if !known {
		info = TokenInfo{Type: "SYSTEM_USER", Valid: true, Scopes: []string{whatsapp.ScopeManagement, whatsapp.ScopeMessaging}}
	}
	if revoked {
		info.Valid = false
	}
	type granular struct {
		Scope     string   `json:"scope"`
		TargetIDs []string `json:"target_ids,omitempty"`
	}
	data := map[string]any{"app_id": appID, "type": info.Type, "application": "Fake App", "is_valid": info.Valid,
		"scopes": info.Scopes, "expires_at": 0}
	if !info.ExpiresAt.IsZero() {
		data["expires_at"] = info.ExpiresAt.Unix()
	}
	var gs []granular
	for _, sc := range info.Scopes {
		g := granular{Scope: sc}
		if sc == whatsapp.ScopeManagement || sc == whatsapp.ScopeMessaging {
			g.TargetIDs = info.WABAs
		}
		gs = append(gs, g)
	}
	data["granular_scopes"] = gs
	return ok(map[string]any{"data": data})
}

func (s *Server) wabaPhones(waba string) Response {
	s.mu.Lock()
	ids, known := s.wabas[waba]
	phones := make([]PhoneNumber, 0, len(ids))
	for _, id := range ids {
		phones = append(phones, s.phoneLocked(id))
	}
	s.mu.Unlock()
	if !known {
		return noSuchObject(waba)
	}
	return ok(map[string]any{"data": phones})
}

func (s *Server) subscribe(waba string) Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, known := s.wabas[waba]; !known {
		return noSuchObject(waba)
	}
	s.subscribed[waba] = true
	return success()
}

// pinMismatch is Meta's answer to a PIN other than the number's two-step verification PIN.
func pinMismatch() Response {
	return Err(http.StatusBadRequest, 133005, "Two step verification PIN Mismatch")
}

func (s *Server) register(req Request) Response {
	var body struct {
		MessagingProduct string `json:"messaging_product"`
		PIN              string `json:"pin"`
	}
	if err := json.Unmarshal(req.Body, &body); err != nil {
		return InvalidParameter("the request body is not valid JSON")
	}
	if body.MessagingProduct != "whatsapp" {
		return InvalidParameter(`messaging_product must be "whatsapp"`)
	}
	if !regexp.MustCompile(`^\d{6}$`).MatchString(body.PIN) {
		return Err(http.StatusBadRequest, whatsapp.CodeRequiredParameter, "Parameter pin must be a 6-digit number")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if want, set := s.pins[req.MetaPhoneID]; set && want != body.PIN {
		return pinMismatch()
	}
	s.pins[req.MetaPhoneID] = body.PIN
	s.registered[req.MetaPhoneID] = body.PIN
	return success()
}

func (s *Server) listTemplates(waba string) Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, known := s.wabas[waba]; !known {
		return noSuchObject(waba)
	}
	type component struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	out := []map[string]any{}
	for _, t := range s.templates[waba] {
		m := map[string]any{"id": t.ID, "name": t.Name, "language": t.Language, "category": t.Category, "status": t.Status,
			"components": []component{{"BODY", t.Body}}}
		if t.RejectedReason != "" {
			m["rejected_reason"] = t.RejectedReason
		}
		out = append(out, m)
	}
	return ok(map[string]any{"data": out, "paging": map[string]any{"cursors": map[string]string{"before": "b", "after": "a"}}})
}

var templateNameRe = regexp.MustCompile(`^[a-z0-9_]{1,512}$`)

func (s *Server) createTemplate(waba string, raw []byte) Response {
	var body struct {
		Name       string `json:"name"`
		Language   string `json:"language"`
		Category   string `json:"category"`
		Components []struct {
			Type    string `json:"type"`
			Text    string `json:"text"`
			Example struct {
				BodyText [][]string `json:"body_text"`
			} `json:"example"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		return InvalidParameter("the request body is not valid JSON")
	}
	switch {
	case !templateNameRe.MatchString(body.Name):
		return InvalidParameter("name must be lower-case letters, digits and underscores")
	case body.Language == "":
		return InvalidParameter("language is required")
	case !slices.Contains([]string{"UTILITY", "MARKETING", "AUTHENTICATION"}, body.Category):
		return InvalidParameter("category must be UTILITY, MARKETING or AUTHENTICATION")
	case len(body.Components) == 0 || !strings.EqualFold(body.Components[0].Type, "BODY") || body.Components[0].Text == "":
		return InvalidParameter("a BODY component with text is required")
	}
	text := body.Components[0].Text
	if n := whatsapp.BodyParams(text); n > 0 && (len(body.Components[0].Example.BodyText) == 0 ||
		len(body.Components[0].Example.BodyText[0]) != n) {
		return InvalidParameter("the body has " + strconv.Itoa(n) + " variables and needs an example for each")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, known := s.wabas[waba]; !known {
		return noSuchObject(waba)
	}
	for _, t := range s.templates[waba] {
		if t.Name == body.Name && t.Language == body.Language {
			return Err(http.StatusBadRequest, whatsapp.CodeInvalidParameter,
				"Message template \""+body.Name+"\" already exists in "+body.Language)
		}
	}
	s.ids++
	t := Template{ID: strconv.Itoa(900000 + s.ids), Name: body.Name, Language: body.Language, Category: body.Category,
		Status: s.newTemplateStatus, Body: text}
	s.templates[waba] = append(s.templates[waba], t)
	return ok(map[string]string{"id": t.ID, "status": t.Status, "category": t.Category})
}

func (s *Server) profile(req Request) Response {
	s.mu.Lock()
	p := s.profiles[req.MetaPhoneID]
	s.mu.Unlock()
	type withProduct struct {
		Profile
		MessagingProduct string `json:"messaging_product"`
	}
	return ok(map[string]any{"data": []withProduct{{p, "whatsapp"}}})
}

func (s *Server) updateProfile(req Request) Response {
	var body struct {
		Profile
		MessagingProduct string `json:"messaging_product"`
	}
	if err := json.Unmarshal(req.Body, &body); err != nil {
		return InvalidParameter("the request body is not valid JSON")
	}
	p := body.Profile
	switch {
	case body.MessagingProduct != "whatsapp":
		return InvalidParameter(`messaging_product must be "whatsapp"`)
	case len([]rune(p.About)) > whatsapp.MaxProfileAbout:
		return InvalidParameter("about is longer than 139 characters")
	case len([]rune(p.Address)) > whatsapp.MaxProfileAddress, len([]rune(p.Description)) > whatsapp.MaxProfileDescription,
		len(p.Email) > whatsapp.MaxProfileEmail, len(p.Websites) > whatsapp.MaxProfileWebsites:
		return InvalidParameter("a field is longer than Meta allows")
	case p.Vertical != "" && !slices.Contains(whatsapp.ProfileVerticals, p.Vertical):
		return InvalidParameter("vertical is not one of Meta's")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.profiles[req.MetaPhoneID] = p
	return success()
}
