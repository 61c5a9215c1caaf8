package whatsapp

import (
	"encoding/json"
	"strings"
	"testing"
)

const testSecret = "app-secret-for-tests"

func TestSign_KnownVector(t *testing.T) {
	// HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog"), RFC 4231-style published vector.
	got := Sign([]byte("The quick brown fox jumps over the lazy dog"), "key")
	eq(t, "signature", got, "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8")
}

func TestVerifySignature_RawBodyPasses(t *testing.T) {
	for _, name := range []string{"text.json", "order.json", "batch_two_customers.json"} {
		body := readFixture(t, name)
		header := Sign(body, testSecret)
		if !strings.HasPrefix(header, "sha256=") || header != strings.ToLower(header) {
			t.Errorf("%s: header %q", name, header)
		}
		if !VerifySignature(body, header, testSecret) {
			t.Errorf("%s: signature over the raw bytes does not verify", name)
		}
		// Uppercase hex is the same signature.
		if !VerifySignature(body, "sha256="+strings.ToUpper(header[7:]), testSecret) {
			t.Errorf("%s: uppercase hex does not verify", name)
		}
	}
}

func TestVerifySignature_ReserializedBodyFails(t *testing.T) {
	body := readFixture(t, "order.json")
	header := Sign(body, testSecret)
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	reencoded, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if VerifySignature(reencoded, header, testSecret) {
		t.Error("the signature of the raw body verified re-encoded JSON")
	}
}

func TestVerifySignature_Rejects(t *testing.T) {
	body := readFixture(t, "text.json")
	good := Sign(body, testSecret)
	hexSig := strings.TrimPrefix(good, "sha256=")
	flipped := []byte(hexSig)
	flipped[10] ^= 1 // still hex: '0'<->'1', 'a'<->'b', ...
	tests := map[string]struct {
		body   []byte
		header string
		secret string
	}{
		"missing header":     {body, "", testSecret},
		"prefix only":        {body, "sha256=", testSecret},
		"no prefix":          {body, hexSig, testSecret},
		"wrong prefix":       {body, "sha1=" + hexSig, testSecret},
		"uppercase prefix":   {body, "SHA256=" + hexSig, testSecret},
		"bad hex":            {body, "sha256=" + strings.Repeat("zz", 32), testSecret},
		"odd length":         {body, good[:len(good)-1], testSecret},
		"truncated":          {body, good[:len(good)-2], testSecret},
		"too long":           {body, good + "00", testSecret},
		"one bit off":        {body, "sha256=" + string(flipped), testSecret},
		"wrong secret":       {body, good, testSecret + "x"},
		"empty secret":       {body, Sign(body, ""), ""},
		"truncated body":     {body[:len(body)-1], good, testSecret},
		"extra byte in body": {append(append([]byte{}, body...), '\n'), good, testSecret},
		"nil body":           {nil, good, testSecret},
		"sha1 length":        {body, "sha256=" + hexSig[:40], testSecret},
	}
	for name, tt := range tests {
		if VerifySignature(tt.body, tt.header, tt.secret) {
			t.Errorf("%s: verified", name)
		}
	}
}

func BenchmarkVerifySignature(b *testing.B) {
	body := readFixture(b, "order.json")
	header := Sign(body, testSecret)
	b.ReportAllocs()
	for b.Loop() {
		if !VerifySignature(body, header, testSecret) {
			b.Fatal("does not verify")
		}
	}
}
