// Package fakegraph is a fake of Meta's Graph API for the WhatsApp Cloud API: an http.Handler that answers the
// routes package whatsapp calls (send a message, mark read, read a phone number, exchange an Embedded Signup
// code) with Meta's status codes and JSON shapes. Tests serve it with httptest.NewServer or, without a socket,
// through Transport; sandbox mode uses it in place of Meta.
//
// It records every request, can be scripted to fail (rate limits, outside the window, timeouts, ...), and
// tells OnSent callbacks about each accepted message so a sandbox can answer with status webhooks. It keeps
// everything in memory, checks a bearer token's presence but not its value, and delivers nothing anywhere.
package fakegraph

import (
	"net/http"
	"strings"
	"sync"
	"time"
)

// Request kinds, in Request.Kind.
const (
	KindSend        = "send"         // POST /{version}/{phone-number-id}/messages with a message
	KindMarkRead    = "mark_read"    // the same route with {"status":"read"}
	KindPhoneNumber = "phone_number" // GET /{version}/{phone-number-id}
	KindOAuth       = "oauth"        // GET /{version}/oauth/access_token
	KindUnknown     = "unknown"
)

// Request is one request the fake received, as recorded.
type Request struct {
	Kind          string
	Method        string
	Path          string
	Query         string
	Authorization string // the whole header, "Bearer <token>"
	Body          []byte
	Time          time.Time
	MetaPhoneID   string // Meta's phone_number_id, from the path
	To            string // sends: the recipient
	Status        int    // what the fake answered; 0 while waiting, or when the client gave up first
	WAMID         string // the id given to an accepted send
}

// Token is the bearer token of the request, or "".
func (r Request) Token() string {
	token, ok := strings.CutPrefix(r.Authorization, "Bearer ")
	if !ok {
		return ""
	}
	return strings.TrimSpace(token)
}

// PhoneNumber is what the fake answers for GET /{phone-number-id}.
type PhoneNumber struct {
	ID                 string      `json:"id"`
	DisplayPhoneNumber string      `json:"display_phone_number"`
	VerifiedName       string      `json:"verified_name"`
	QualityRating      string      `json:"quality_rating"`
	MessagingLimitTier string      `json:"messaging_limit_tier,omitempty"`
	Throughput         *Throughput `json:"throughput,omitempty"`
}

// Throughput is a number's messages-per-second level: STANDARD (80/s) or HIGH (up to 1,000/s).
type Throughput struct {
	Level string `json:"level"`
}

// Option configures a Server.
type Option func(*Server)

// WithResponder consults f for each message send before the script; a zero Response from f means "no
// opinion" and the script (then OK) decides. f may be called concurrently.
func WithResponder(f func(Request) Response) Option { return func(s *Server) { s.responder = f } }

// WithRevokedToken makes the fake refuse these tokens with 401 and code 190, like Meta for a revoked token.
func WithRevokedToken(tokens ...string) Option {
	return func(s *Server) {
		for _, t := range tokens {
			s.revoked[t] = true
		}
	}
}

// WithPhoneNumber sets the answer to GET /{p.ID}. Unknown ids get a made-up "Sandbox Business" number.
func WithPhoneNumber(p PhoneNumber) Option { return func(s *Server) { s.phones[p.ID] = p } }

// WithApp makes the code exchange check client_id and client_secret.
func WithApp(appID, appSecret string) Option {
	return func(s *Server) { s.appID, s.appSecret = appID, appSecret }
}

// WithoutRecording keeps no log of requests: for a long-running sandbox, where the log would only grow.
func WithoutRecording() Option { return func(s *Server) { s.noRecord = true } }

// WithWAMIDPrefix replaces "wamid.FAKE" before the counter in message ids. A sandbox that keeps its database
// across restarts gives each run its own prefix, as the counter starts again at 1.
func WithWAMIDPrefix(prefix string) Option { return func(s *Server) { s.prefix = prefix } }

// phoneLocked is the answer for a phone number id; s.mu is held.
func (s *Server) phoneLocked(id string) PhoneNumber {
	p, ok := s.phones[id]
	if !ok {
		p = PhoneNumber{ID: id, DisplayPhoneNumber: "+1 555-010-0000", VerifiedName: "Sandbox Business", QualityRating: "GREEN"}
	}
	if p.MessagingLimitTier == "" {
		p.MessagingLimitTier = "TIER_1K"
	}
	if p.Throughput == nil {
		p.Throughput = &Throughput{"STANDARD"}
	}
	return p
}

// Server is the fake Graph API. Its methods are safe for concurrent use.
type Server struct {
	responder func(Request) Response
	revoked   map[string]bool
	phones    map[string]PhoneNumber
	appID     string
	appSecret string
	prefix    string
	noRecord  bool

	mu        sync.Mutex
	requests  []Request
	epoch     int // bumped by Reset, so requests still in flight do not update the new record
	script    []Response
	wamids    int
	codes     map[string]bool // Embedded Signup codes already exchanged: each works once
	callbacks []func(phoneNumberID, wamid, to string)

	// account management (account.go)
	wabas             map[string][]string // WABA → phone number ids it owns
	tokens            map[string]TokenInfo
	pins              map[string]string // phone number id → its two-step verification PIN
	registered        map[string]string // phone number id → the PIN it was registered with
	subscribed        map[string]bool
	templates         map[string][]Template
	profiles          map[string]Profile
	newTemplateStatus string
	failNext          map[string][]Response
	ids               int

	media map[string]media // media.go
}

// New returns a fake that accepts every well-formed request from a caller with a token.
func New(opts ...Option) *Server {
	s := &Server{revoked: map[string]bool{}, phones: map[string]PhoneNumber{}, codes: map[string]bool{},
		prefix: "wamid.FAKE", wabas: map[string][]string{}, tokens: map[string]TokenInfo{}, pins: map[string]string{},
		registered: map[string]string{}, subscribed: map[string]bool{}, templates: map[string][]Template{},
		profiles: map[string]Profile{}, newTemplateStatus: "PENDING", failNext: map[string][]Response{},
		media: map[string]media{}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Script queues answers for the next message sends, one each, after those already queued. When the script is
// used up, sends succeed again. Mark-read and other requests do not use it.
func (s *Server) Script(responses ...Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, responses...)
}

// Revoke makes the fake refuse token from now on, as if its user revoked it.
func (s *Server) Revoke(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revoked[token] = true
}

// OnSent registers f to learn of each accepted send. f runs on a goroutine of its own, after the answer has
// been written, so it may call back into the service; calls may run concurrently and in any order.
func (s *Server) OnSent(f func(phoneNumberID, wamid, to string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.callbacks = append(s.callbacks, f)
}

// Requests returns a copy of every request received, in order of arrival.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	copy(out, s.requests)
	return out
}

// Sent returns the message sends among Requests, whatever they were answered.
func (s *Server) Sent() []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.Kind == KindSend {
			out = append(out, r)
		}
	}
	return out
}

// Reset forgets the recorded requests and the unused script. Options, callbacks and revoked tokens stay.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests, s.script = nil, nil
	s.epoch++
}

// slot points at a recorded request, to fill in its outcome.
type slot struct{ index, epoch int }

func (s *Server) record(req Request) slot {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.noRecord {
		return slot{-1, -1}
	}
	s.requests = append(s.requests, req)
	return slot{len(s.requests) - 1, s.epoch}
}

// finish writes resp and records its status.
func (s *Server) finish(w http.ResponseWriter, at slot, resp Response) {
	s.update(at, func(r *Request) { r.Status = resp.Status })
	writeResponse(w, resp)
}

func (s *Server) update(at slot, f func(*Request)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if at.epoch == s.epoch && at.index < len(s.requests) {
		f(&s.requests[at.index])
	}
}
