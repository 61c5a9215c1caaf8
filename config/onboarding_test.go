package config

import (
	"strings"
	"testing"
)

func TestSignUpMode_OpenInSandboxInviteOnlyInProduction(t *testing.T) {
	if m := (Config{Sandbox: true}).SignUpMode(); m != SignUpOpen {
		t.Errorf("sandbox: %s", m)
	}
	if m := (Config{}).SignUpMode(); m != SignUpInviteOnly {
		t.Errorf("production: %s", m)
	}
	if m := (Config{SignUp: "open"}).SignUpMode(); m != SignUpOpen {
		t.Errorf("set: %s", m)
	}
}

func TestLoad_OnboardingKeysAreChecked(t *testing.T) {
	_, err := Load(env(map[string]string{"SIGNUP": "everyone", "PUBLIC_URL": "orders.example.com",
		"SMTP_URL": "mail.example.com", "SMTP_FROM": "x"}), "")
	for _, key := range []string{"SIGNUP", "PUBLIC_URL", "SMTP_URL", "SMTP_FROM"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s not named in %v", key, err)
		}
	}
	c, err := Load(env(map[string]string{"SIGNUP": "invite-only", "PUBLIC_URL": "https://orders.example.com",
		"SMTP_URL": "smtp://u:p@mail.example.com:587", "SMTP_FROM": "Orders <orders@example.com>"}), "")
	if err != nil || c.SignUpMode() != SignUpInviteOnly {
		t.Fatalf("%+v %v", c, err)
	}
}
