package whatsapp

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestNewText_PhoneGoesInToAndBSUIDInRecipient(t *testing.T) {
	tests := []struct{ to, wantJSON string }{
		{"16505551234", `"to":"16505551234"`},
		{"US.13491208655302741918", `"recipient":"US.13491208655302741918"`},
		{"US.ENT.11815799212886844830", `"recipient":"US.ENT.11815799212886844830"`},
	}
	for _, tt := range tests {
		m, err := NewText(tt.to, "hi", false)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(m)
		if !strings.Contains(string(b), tt.wantJSON) || strings.Count(string(b), tt.to) != 1 {
			t.Errorf("%s: %s, want %s only", tt.to, b, tt.wantJSON)
		}
		if m.Addressee() != tt.to {
			t.Errorf("addressee %q, want %q", m.Addressee(), tt.to)
		}
	}
}

func TestValidate_RefusesBothToAndRecipient(t *testing.T) {
	m, _ := NewText("16505551234", "hi", false)
	m.Recipient = "US.1"
	if err := m.Validate(); err == nil || !strings.Contains(err.Error(), "recipient") {
		t.Fatalf("err %v", err)
	}
	m.To, m.Recipient = "", ""
	if err := m.Validate(); err == nil {
		t.Fatal("a message to nobody passed")
	}
}
