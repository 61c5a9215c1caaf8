package onboarding

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"regexp"
	"strings"
	"time"

	"github.com/waorder/waorder/cache"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/secretbox"
	"github.com/waorder/waorder/whatsapp"
)

// Service connects numbers and keeps them healthy. Its fields are set once, before use.
type Service struct {
	Graph     *whatsapp.Client
	Store     *repository.Store
	Box       *secretbox.Box
	Cache     cache.Cache // the business's cached data is dropped after a change, so pages show it at once
	AppID     string      // Embedded Signup: the code is exchanged with the app's id and secret,
	AppSecret string      // which also authorise debug_token
	Log       *slog.Logger
	Now       func() time.Time // nil: time.Now
}

// StepError is a connect step that failed: Meta's message (or why we refused what Meta said), kept on the attempt
// so the owner sees it and can retry from that step.
type StepError struct {
	Step    string
	Message string
	Err     error // the Graph API error, when there was one
}

func (e *StepError) Error() string { return "connect step " + e.Step + ": " + e.Message }
func (e *StepError) Unwrap() error { return e.Err }

// Connected is the outcome of a finished connection.
type Connected struct {
	Phone models.PhoneNumber
	// PIN is the two-step verification PIN we generated and registered the number with; shown once, then gone.
	// Empty when the owner gave the PIN.
	PIN string
}

var (
	idRe  = regexp.MustCompile(`^\d{5,30}$`)
	pinRe = regexp.MustCompile(`^\d{6}$`)
)

// ConnectSignup starts connecting the number Embedded Signup chose: the browser's one-time code, and the
// phone_number_id and waba_id from Meta's sessionInfo message. pin is the number's two-step PIN if the owner has
// one; empty generates one.
func (s *Service) ConnectSignup(ctx context.Context, bizID int64, code, metaPhoneID, wabaID, pin string) (Connected, error) {
	if code == "" {
		return Connected{}, models.Invalid("connect", "Meta's window closed before the number was chosen; please try again.")
	}
	a, err := s.newAttempt(bizID, models.ConnectSignup, metaPhoneID, wabaID, pin)
	if err != nil {
		return Connected{}, err
	}
	a.Step = models.StepExchange
	return s.run(ctx, a, code)
}

// ConnectManual starts connecting a number from ids and a system-user token pasted by the owner, with the same
// checks as Embedded Signup after the code exchange.
func (s *Service) ConnectManual(ctx context.Context, bizID int64, metaPhoneID, wabaID, token, pin string) (Connected, error) {
	if len(token) < 20 {
		return Connected{}, models.Invalid("access_token", "Paste the system-user access token.")
	}
	a, err := s.newAttempt(bizID, models.ConnectManual, metaPhoneID, wabaID, pin)
	if err != nil {
		return Connected{}, err
	}
	if a.AccessTokenEnc, err = s.Box.Seal(token); err != nil {
		return Connected{}, fmt.Errorf("seal access token: %w", err)
	}
	a.Step = models.StepToken
	return s.run(ctx, a, "")
}

// Resume retries the business's attempt from the step that failed. A non-empty pin replaces the PIN (after Meta
// said it does not match the number's).
func (s *Service) Resume(ctx context.Context, bizID int64, pin string) (Connected, error) {
	a, err := s.Store.ConnectAttempt(ctx, bizID)
	if err != nil {
		return Connected{}, err
	}
	if pin != "" {
		if !pinRe.MatchString(pin) {
			return Connected{}, models.Invalid("pin", "The PIN is six digits.")
		}
		if a.PINEnc, err = s.Box.Seal(pin); err != nil {
			return Connected{}, fmt.Errorf("seal PIN: %w", err)
		}
		a.PINGenerated = false
	}
	if a.Step == models.StepExchange {
		return Connected{}, s.failed(ctx, &a, "Meta's one-time sign-in code cannot be used twice: press Connect WhatsApp to sign in again.", nil)
	}
	return s.run(ctx, &a, "")
}

// Attempt is the business's connection in progress, if any.
func (s *Service) Attempt(ctx context.Context, bizID int64) (models.ConnectAttempt, bool, error) {
	a, err := s.Store.ConnectAttempt(ctx, bizID)
	if errors.Is(err, models.ErrNotFound) {
		return a, false, nil
	}
	return a, err == nil, err
}

// Cancel forgets the business's attempt.
func (s *Service) Cancel(ctx context.Context, bizID int64) error {
	return s.Store.DeleteConnectAttempt(ctx, bizID)
}

// Disconnect stops sending from the number (queued messages wait, unsent) and keeps every customer, order and
// message. Connecting it again resumes.
func (s *Service) Disconnect(ctx context.Context, bizID, phoneID int64) error {
	if err := s.Store.DisconnectPhone(ctx, bizID, phoneID, "disconnected by the owner"); err != nil {
		return err
	}
	s.invalidate(ctx, bizID)
	return nil
}

func (s *Service) newAttempt(bizID int64, method, metaPhoneID, wabaID, pin string) (*models.ConnectAttempt, error) {
	switch {
	case !idRe.MatchString(metaPhoneID):
		return nil, models.Invalid("phone_number_id", "Enter the phone number id: digits, from WhatsApp Manager (not the phone number itself).")
	case !idRe.MatchString(wabaID):
		return nil, models.Invalid("waba_id", "Enter the WhatsApp Business Account id: digits.")
	case pin != "" && !pinRe.MatchString(pin):
		return nil, models.Invalid("pin", "The PIN is six digits; leave it empty to have one made for you.")
	}
	a := &models.ConnectAttempt{BusinessID: bizID, Method: method, MetaPhoneID: metaPhoneID, WABAID: wabaID}
	if pin == "" {
		pin, a.PINGenerated = generatePIN(), true
	}
	var err error
	if a.PINEnc, err = s.Box.Seal(pin); err != nil {
		return nil, fmt.Errorf("seal PIN: %w", err)
	}
	return a, nil
}

// generatePIN makes a random six-digit PIN.
func generatePIN() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic("crypto/rand failed: " + err.Error()) // the OS has no randomness: nothing secure can go on
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// run performs the steps from a.Step on, saving the attempt after each, so a failure leaves the attempt at the
// failed step with Meta's message, and the number is stored only by the last step.
func (s *Service) run(ctx context.Context, a *models.ConnectAttempt, code string) (Connected, error) {
	a.LastError = ""
	if err := s.Store.SaveConnectAttempt(ctx, a); err != nil {
		return Connected{}, err
	}
	var token string
	if a.AccessTokenEnc != "" {
		var err error
		if token, err = s.Box.Open(a.AccessTokenEnc); err != nil {
			return Connected{}, s.failed(ctx, a, "The saved token cannot be read (was ENCRYPTION_KEY changed?): start again.", err)
		}
	}
	pin, err := s.Box.Open(a.PINEnc)
	if err != nil {
		return Connected{}, s.failed(ctx, a, "The saved PIN cannot be read (was ENCRYPTION_KEY changed?): start again.", err)
	}
	for {
		var msg string
		var stepErr error
		switch a.Step {
		case models.StepExchange:
			token, msg, stepErr = s.exchange(ctx, code)
			if stepErr == nil {
				a.AccessTokenEnc, stepErr = s.Box.Seal(token)
			}
		case models.StepToken:
			a.TokenExpiresAt, msg, stepErr = s.checkToken(ctx, token, a.WABAID)
		case models.StepOwnership:
			msg, stepErr = s.checkOwnership(ctx, token, a.WABAID, a.MetaPhoneID)
		case models.StepSubscribe:
			stepErr = s.Graph.SubscribeApp(ctx, a.WABAID, token)
		case models.StepRegister:
			stepErr = s.Graph.Register(ctx, a.MetaPhoneID, token, pin)
			var apiErr *whatsapp.APIError
			if errors.As(stepErr, &apiErr) && apiErr.Code == 133005 {
				msg = "Meta says the PIN does not match the number's two-step verification PIN (" + apiErr.Message +
					"). Enter the number's PIN below, or reset it in WhatsApp Manager."
			}
		case models.StepDetails:
			return s.finish(ctx, a, token, pin)
		default:
			return Connected{}, s.failed(ctx, a, "Unknown step "+a.Step+": start again.", nil)
		}
		if stepErr != nil || msg != "" {
			if msg == "" {
				msg = metaMessage(stepErr)
			}
			return Connected{}, s.failed(ctx, a, msg, stepErr)
		}
		a.Step = nextStep(a.Step)
		if err := s.Store.SaveConnectAttempt(ctx, a); err != nil {
			return Connected{}, err
		}
	}
}

func nextStep(step string) string {
	for i, st := range models.ConnectSteps {
		if st.Key == step && i+1 < len(models.ConnectSteps) {
			return models.ConnectSteps[i+1].Key
		}
	}
	return models.StepDetails
}

// failed records msg on the attempt (staying at its step) and returns the StepError.
func (s *Service) failed(ctx context.Context, a *models.ConnectAttempt, msg string, cause error) error {
	a.LastError = msg
	if err := s.Store.SaveConnectAttempt(ctx, a); err != nil {
		return err
	}
	if s.Log != nil {
		s.Log.Info("connect step failed", "business_id", a.BusinessID, "step", a.Step, "reason", msg)
	}
	return &StepError{Step: a.Step, Message: msg, Err: cause}
}

// metaMessage is what Meta said, or what went wrong on the way to Meta.
func metaMessage(err error) string {
	var apiErr *whatsapp.APIError
	if errors.As(err, &apiErr) {
		msg := apiErr.Message
		if apiErr.Details != "" && !strings.Contains(apiErr.Message, apiErr.Details) {
			msg += " — " + apiErr.Details
		}
		return "Meta said: " + msg
	}
	var te *whatsapp.TransportError
	if errors.As(err, &te) {
		return "Meta could not be reached (" + te.Err.Error() + "); try again in a moment."
	}
	return "Meta's answer was not what we expected; try again."
}

func (s *Service) exchange(ctx context.Context, code string) (string, string, error) {
	if code == "" {
		return "", "Meta's one-time sign-in code cannot be used twice: press Connect WhatsApp to sign in again.", nil
	}
	token, err := s.Graph.ExchangeCode(ctx, s.AppID, s.AppSecret, code)
	return token, "", err
}

// appToken authorises debug_token: the app's own token when the app is configured, else the token itself.
func (s *Service) appToken(token string) string {
	if s.AppID != "" && s.AppSecret != "" {
		return s.AppID + "|" + s.AppSecret
	}
	return token
}

// checkToken asks debug_token whether the token is valid, has both WhatsApp permissions for this WABA, and when
// it expires.
func (s *Service) checkToken(ctx context.Context, token, wabaID string) (*time.Time, string, error) {
	info, err := s.Graph.DebugToken(ctx, token, s.appToken(token))
	if err != nil {
		return nil, "", err
	}
	switch {
	case !info.Valid:
		return nil, "Meta says this access token is not valid (expired or revoked): create a new one.", nil
	case !info.HasScope(whatsapp.ScopeManagement) || !info.HasScope(whatsapp.ScopeMessaging):
		return nil, "The token lacks the whatsapp_business_management and whatsapp_business_messaging permissions: " +
			"give the system user both and create a new token.", nil
	case !info.CoversTarget(whatsapp.ScopeMessaging, wabaID) || !info.CoversTarget(whatsapp.ScopeManagement, wabaID):
		return nil, "The token was not given access to WhatsApp Business Account " + wabaID + ": add the account to the system user's assets.", nil
	case !info.ExpiresAt.IsZero() && !info.ExpiresAt.After(s.now()):
		return nil, "Meta says this access token has expired: create a new one.", nil
	}
	if info.ExpiresAt.IsZero() {
		return nil, "", nil
	}
	at := info.ExpiresAt
	return &at, "", nil
}

func (s *Service) checkOwnership(ctx context.Context, token, wabaID, metaPhoneID string) (string, error) {
	phones, err := s.Graph.WABAPhoneNumbers(ctx, wabaID, token)
	if err != nil {
		return "", err
	}
	for _, p := range phones {
		if p.ID == metaPhoneID {
			return "", nil
		}
	}
	return "WhatsApp Business Account " + wabaID + " has no phone number with id " + metaPhoneID +
		": check both ids in WhatsApp Manager.", nil
}

// finish reads the number's details and stores it with the attempt's token, dropping the attempt, in one
// transaction.
func (s *Service) finish(ctx context.Context, a *models.ConnectAttempt, token, pin string) (Connected, error) {
	d, err := s.Graph.PhoneNumberDetails(ctx, a.MetaPhoneID, token)
	if err != nil {
		return Connected{}, s.failed(ctx, a, metaMessage(err), err)
	}
	checked := s.now().UTC()
	p := models.PhoneNumber{BusinessID: a.BusinessID, MetaPhoneID: a.MetaPhoneID, WABAID: a.WABAID,
		DisplayPhoneNumber: d.DisplayPhoneNumber, AccessTokenEnc: a.AccessTokenEnc, VerifiedName: d.VerifiedName,
		QualityRating: d.QualityRating, MessagingLimit: d.MessagingLimit, TokenExpiresAt: a.TokenExpiresAt,
		TokenCheckedAt: &checked}
	if err := s.Store.FinishConnect(ctx, &p); err != nil {
		if errors.Is(err, models.ErrNumberTaken) {
			return Connected{}, s.failed(ctx, a, "This number is connected to another business.", err)
		}
		return Connected{}, err
	}
	s.invalidate(ctx, a.BusinessID)
	out := Connected{Phone: p}
	if a.PINGenerated {
		out.PIN = pin
	}
	return out, nil
}

func (s *Service) invalidate(ctx context.Context, bizID int64) {
	if s.Cache != nil {
		cache.InvalidateBusiness(ctx, s.Cache, bizID)
	}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}
