package config

import (
	"fmt"
	"net/mail"
	"net/url"
	"strings"
)

// Sign-up modes (SIGNUP).
const (
	SignUpOpen       = "open"        // anyone may create a business on the dashboard
	SignUpInviteOnly = "invite-only" // businesses are made by the operator (admin create-business); people join by invite
)

// SignUpMode is SIGNUP, or its default: open in sandbox mode (so a newcomer can try onboarding), invite-only
// otherwise.
func (c Config) SignUpMode() string {
	if m := strings.TrimSpace(c.SignUp); m != "" {
		return m
	}
	if c.Sandbox {
		return SignUpOpen
	}
	return SignUpInviteOnly
}

func (c Config) validateOnboarding() []error {
	var errs []error
	bad := func(key, why string) { errs = append(errs, fmt.Errorf("%s %s", key, why)) }
	if m := c.SignUpMode(); m != SignUpOpen && m != SignUpInviteOnly {
		bad("SIGNUP", "must be open or invite-only")
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("PUBLIC_URL", "must be an absolute http(s) URL like https://orders.example.com")
		}
	}
	if c.SMTPURL != "" {
		if u, err := url.Parse(c.SMTPURL); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
			bad("SMTP_URL", "must look like smtp://user:password@host:587 or smtps://user:password@host:465")
		}
		if _, err := mail.ParseAddress(c.SMTPFrom); err != nil {
			bad("SMTP_FROM", "must be an email address when SMTP_URL is set")
		}
	}
	return errs
}
