package dashboard

import (
	"errors"

	"github.com/waorder/waorder/locale"
	"github.com/waorder/waorder/models"
)

// This file holds what the dashboard says outside its templates about errors: a service's, and the sign-up form's.

// errorText is a service error as the dashboard shows it, in p's language. A models.Error's code names its catalog
// message, errors.<code>, or errors.invalid_<field> for bad input in a field whose message the catalogs know; a few
// errors have their own (a closed 24-hour window, no number yet, a short password). Anything the catalogs do not
// name keeps the service's English message, and an error without a code is "something went wrong".
func errorText(p locale.Printer, err error) string {
	e, ok := models.AsError(err)
	switch {
	case !ok:
		return p.T("error.went_wrong")
	case errors.Is(err, models.ErrWindowClosed):
		return p.T("errors.window_closed")
	case errors.Is(err, models.ErrNoNumber):
		return p.T("errors.no_number")
	case errors.Is(err, models.ErrWeakPassword):
		return p.T("errors.invalid_password", "N", models.MinPasswordLength)
	}
	id := "errors." + e.Code
	if e.Code == models.EINVALID {
		id += "_" + e.Field
	}
	if s := p.T(id, "N", models.MinPasswordLength); s != id {
		return s
	}
	return e.Message
}

// fieldErrorText is a service's refusal of a field in pr's language: the page's own words for the field when the
// catalogs have them (<area>.error_<field>, such as order.error_reason), else errorText's.
func fieldErrorText(pr locale.Printer, area string, v *models.Error) string {
	if id := area + ".error_" + v.Field; pr.T(id) != id {
		return pr.T(id)
	}
	return errorText(pr, v)
}

// signupErrors are the sign-up form's field errors (auth.NewBusiness.Validate, in English) in p's language.
func signupErrors(p locale.Printer, errs map[string]string) map[string]string {
	// #nosec G101 -- field names to catalog message ids ("password" → "signup.error_password"), no credential
	ids := map[string]string{"name": "signup.error_name", "email": "signup.error_email", "password": "signup.error_password",
		"currency": "errors.invalid_currency", "timezone": "errors.invalid_timezone"}
	out := make(map[string]string, len(errs))
	for field, msg := range errs {
		out[field] = msg
		if id, ok := ids[field]; ok {
			out[field] = p.T(id, "N", models.MinPasswordLength)
		}
	}
	return out
}
