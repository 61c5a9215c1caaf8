package fakegraph

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/waorder/waorder/whatsapp"
)

// ServeHTTP routes by the end of the path, so the fake also works under a prefix (e.g. a sandbox mounting it at
// /graph): …/oauth/access_token, …/{phone-number-id}/messages, and GET …/{phone-number-id}.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		return // the client went away
	}
	req := Request{Kind: KindUnknown, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
		Authorization: r.Header.Get("Authorization"), Body: body, Time: time.Now()}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	n := len(parts)
	if n >= 1 && parts[n-1] != "" && (s.serveMedia(w, r, req, parts) || s.account(w, r, req, parts)) {
		return
	}
	switch {
	case r.Method == http.MethodGet && n >= 2 && parts[n-2] == "oauth" && parts[n-1] == "access_token":
		req.Kind = KindOAuth
		at := s.record(req)
		resp := s.scripted(KindOAuth)
		if resp.isZero() {
			resp = s.exchange(r)
		}
		s.finish(w, at, resp)
	case r.Method == http.MethodPost && n >= 2 && parts[n-1] == "messages":
		req.MetaPhoneID = parts[n-2]
		s.messages(r.Context(), w, req)
	case r.Method == http.MethodGet && n >= 2 && strings.HasPrefix(parts[n-2], "v") && parts[n-1] != "":
		req.Kind, req.MetaPhoneID = KindPhoneNumber, parts[n-1]
		s.finish(w, s.record(req), s.phoneNumber(req))
	default:
		s.finish(w, s.record(req), Err(http.StatusBadRequest, whatsapp.CodeInvalidParameter,
			"Unsupported "+strings.ToLower(r.Method)+" request"))
	}
}

// authError is Meta's answer to a missing or revoked token, or a zero Response when the token will do.
func (s *Server) authError(req Request) Response {
	token := req.Token()
	s.mu.Lock()
	revoked := s.revoked[token]
	s.mu.Unlock()
	switch {
	case token == "":
		return Err(http.StatusUnauthorized, whatsapp.CodeAccessToken, "Invalid OAuth access token - Cannot parse access token")
	case revoked:
		return Err(http.StatusUnauthorized, whatsapp.CodeAccessToken,
			"Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.")
	}
	return Response{}
}

func (s *Server) messages(ctx context.Context, w http.ResponseWriter, req Request) {
	var m struct {
		whatsapp.OutgoingMessage
		Status    string `json:"status"`
		MessageID string `json:"message_id"`
	}
	err := json.Unmarshal(req.Body, &m)
	req.Kind, req.To = KindSend, m.Addressee()
	if err == nil && m.Status != "" {
		req.Kind = KindMarkRead
	}
	at := s.record(req)
	if resp := s.authError(req); !resp.isZero() {
		s.finish(w, at, resp)
		return
	}
	if resp := checkMessage(req.Kind, err, m.OutgoingMessage, m.Status, m.MessageID); !resp.isZero() {
		s.finish(w, at, resp)
		return
	}
	if req.Kind == KindMarkRead {
		s.finish(w, at, Response{Status: http.StatusOK, Body: []byte(`{"success":true}`)})
		return
	}
	resp := s.decide(req)
	if resp.Delay > 0 {
		t := time.NewTimer(resp.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return // the client gave up: nothing was sent
		}
	}
	var wamid string
	if resp.Body == nil && resp.Status >= 200 && resp.Status < 300 {
		wamid, resp.Body = s.accept(req)
	}
	s.update(at, func(r *Request) { r.WAMID = wamid })
	s.finish(w, at, resp)
	if wamid != "" {
		s.notify(req.MetaPhoneID, wamid, req.To)
	}
}

// checkMessage answers like Meta for a body it would refuse: not JSON, not messaging_product "whatsapp", no
// recipient, or breaking the rules package whatsapp checks.
func checkMessage(kind string, err error, m whatsapp.OutgoingMessage, status, messageID string) Response {
	switch {
	case err != nil:
		return InvalidParameter("the request body is not valid JSON")
	case m.MessagingProduct != "whatsapp":
		return InvalidParameter(`messaging_product must be "whatsapp"`)
	case kind == KindMarkRead && (status != "read" || messageID == ""):
		return InvalidParameter(`status must be "read" and message_id is required`)
	case kind == KindMarkRead:
		return Response{}
	case m.Addressee() == "" || m.Type == "":
		return Err(http.StatusBadRequest, whatsapp.CodeRequiredParameter, "Required parameter is missing: to (or recipient) and type")
	case whatsapp.IsUserID(m.To):
		return InvalidParameter("to must be a phone number: send to a business-scoped user id with recipient")
	}
	if m.Type == "text" || m.Type == "interactive" || m.Type == "template" {
		if err := m.Validate(); err != nil {
			return InvalidParameter(err.Error())
		}
	}
	return Response{}
}

// decide picks the answer to a send: the responder's, else the script's next, else OK.
func (s *Server) decide(req Request) Response {
	resp := Response{}
	if s.responder != nil {
		resp = s.responder(req)
	}
	if resp.isZero() {
		s.mu.Lock()
		if len(s.script) > 0 {
			resp, s.script = s.script[0], s.script[1:]
		}
		s.mu.Unlock()
	}
	if resp.Status == 0 {
		resp.Status = http.StatusOK
	}
	return resp
}

// accept gives a send its wamid and Meta's success body.
func (s *Server) accept(req Request) (string, []byte) {
	s.mu.Lock()
	s.wamids++
	wamid := s.prefix + strconv.Itoa(s.wamids)
	s.mu.Unlock()
	type message struct {
		ID     string `json:"id"`
		Status string `json:"message_status"`
	}
	body, _ := json.Marshal(struct {
		MessagingProduct string        `json:"messaging_product"`
		Contacts         []sentContact `json:"contacts"`
		Messages         []message     `json:"messages"`
	}{"whatsapp", []sentContact{recipientOf(req.To)}, []message{{wamid, "accepted"}}})
	return wamid, body
}

// sentContact is the contacts[] item of a send's response.
type sentContact struct {
	Input  string `json:"input"`
	WaID   string `json:"wa_id,omitempty"`
	UserID string `json:"user_id,omitempty"`
}

// recipientOf is the response's contact: wa_id for a send to a phone number, user_id for one to a BSUID.
func recipientOf(to string) sentContact {
	c := sentContact{Input: to}
	if whatsapp.IsUserID(to) {
		c.UserID = to
	} else {
		c.WaID = strings.TrimPrefix(to, "+")
	}
	return c
}

func (s *Server) notify(phoneNumberID, wamid, to string) {
	s.mu.Lock()
	callbacks := append([]func(string, string, string){}, s.callbacks...)
	s.mu.Unlock()
	for _, f := range callbacks {
		go f(phoneNumberID, wamid, to)
	}
}

func (s *Server) phoneNumber(req Request) Response {
	if resp := s.authError(req); !resp.isZero() {
		return resp
	}
	if resp := s.scripted(KindPhoneNumber); !resp.isZero() {
		return resp
	}
	s.mu.Lock()
	p := s.phoneLocked(req.MetaPhoneID)
	s.mu.Unlock()
	body, _ := json.Marshal(p)
	return Response{Status: http.StatusOK, Body: body}
}

// exchange answers the Embedded Signup code exchange. Each code works once, as with Meta.
func (s *Server) exchange(r *http.Request) Response {
	q := r.URL.Query()
	id, secret, code := q.Get("client_id"), q.Get("client_secret"), q.Get("code")
	switch {
	case id == "" || secret == "" || code == "":
		return InvalidParameter("client_id, client_secret and code are required")
	case s.appID != "" && id != s.appID:
		return Err(http.StatusBadRequest, 101, "Error validating application. Invalid application ID.")
	case s.appSecret != "" && secret != s.appSecret:
		return Err(http.StatusBadRequest, 1, "Error validating client secret.")
	}
	s.mu.Lock()
	used := s.codes[code]
	s.codes[code] = true
	n := len(s.codes)
	s.mu.Unlock()
	if used {
		return Err(http.StatusBadRequest, whatsapp.CodeInvalidParameter, "This authorization code has been used.")
	}
	body, _ := json.Marshal(map[string]string{"access_token": "FAKE-TOKEN-" + strconv.Itoa(n), "token_type": "bearer"})
	return Response{Status: http.StatusOK, Body: body}
}

func writeResponse(w http.ResponseWriter, resp Response) {
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}
