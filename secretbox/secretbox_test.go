package secretbox

import (
	"bytes"
	"strings"
	"testing"
)

func TestBox_RoundTripAndTamperDetection(t *testing.T) {
	b, err := New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := b.Seal("EAAG-secret-token")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "secret") {
		t.Fatal("ciphertext leaks the plaintext")
	}
	again, _ := b.Seal("EAAG-secret-token")
	if again == sealed {
		t.Fatal("two seals of one text must differ (random nonce)")
	}
	got, err := b.Open(sealed)
	if err != nil || got != "EAAG-secret-token" {
		t.Fatalf("open = %q, %v", got, err)
	}
	other, _ := New(bytes.Repeat([]byte{8}, 32))
	if _, err := other.Open(sealed); err == nil {
		t.Fatal("a wrong key must fail")
	}
	if _, err := b.Open(sealed[:len(sealed)-4] + "AAAA"); err == nil {
		t.Fatal("tampered text must fail")
	}
	if _, err := New([]byte("short")); err == nil {
		t.Fatal("a short key must fail")
	}
}
