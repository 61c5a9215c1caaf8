package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/waorder/waorder/cache"
	"github.com/waorder/waorder/merchant"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/secretbox"
	"github.com/waorder/waorder/whatsapp"
)

// GraphConnector connects WhatsApp numbers for the settings page. It proves a token works by reading the number
// from the Graph API (which also gives its display number), seals the token with the encryption key, and stores
// the number; a number whose token expired is reconnected the same way.
type GraphConnector struct {
	Graph     *whatsapp.Client
	Store     *repository.Store
	Box       *secretbox.Box
	Cache     cache.Cache // the business's cached data is dropped so the page shows the new number at once
	AppID     string      // Embedded Signup: the code is exchanged with the app's id and secret
	AppSecret string
}

// ConnectManual registers a number from ids and a system-user token pasted by the owner.
func (g *GraphConnector) ConnectManual(ctx context.Context, bizID int64, phoneNumberID, wabaID, token string) error {
	info, err := g.Graph.PhoneNumber(ctx, phoneNumberID, token)
	if err != nil {
		var apiErr *whatsapp.APIError
		if errors.As(err, &apiErr) {
			return merchant.ValidationError{Field: "access_token",
				Message: "Meta did not accept this token for this phone number id: " + apiErr.Message}
		}
		return fmt.Errorf("check phone number %s: %w", phoneNumberID, err)
	}
	sealed, err := g.Box.Seal(token)
	if err != nil {
		return err
	}
	p := models.PhoneNumber{BusinessID: bizID, PhoneNumberID: phoneNumberID, WABAID: wabaID,
		DisplayPhoneNumber: info.DisplayPhoneNumber, AccessTokenEnc: sealed}
	if err := g.Store.AddPhoneNumber(ctx, &p); err != nil {
		if strings.Contains(err.Error(), "belongs to another business") {
			return merchant.ValidationError{Field: "phone_number_id", Message: "This number is connected to another business."}
		}
		return err
	}
	if g.Cache != nil {
		cache.InvalidateBusiness(ctx, g.Cache, bizID)
	}
	return nil
}

// ConnectSignup finishes Embedded Signup: the browser's one-time code becomes a business token server-side (the
// app secret never reaches the page), then the number is registered like a pasted one.
func (g *GraphConnector) ConnectSignup(ctx context.Context, bizID int64, code, phoneNumberID, wabaID string) error {
	if code == "" || phoneNumberID == "" {
		return merchant.ValidationError{Field: "connect", Message: "Meta's window closed before the number was chosen; please try again."}
	}
	token, err := g.Graph.ExchangeCode(ctx, g.AppID, g.AppSecret, code)
	if err != nil {
		var apiErr *whatsapp.APIError
		if errors.As(err, &apiErr) {
			return merchant.ValidationError{Field: "connect", Message: "Meta refused the signup: " + apiErr.Message}
		}
		return fmt.Errorf("exchange signup code: %w", err)
	}
	return g.ConnectManual(ctx, bizID, phoneNumberID, wabaID, token)
}
