package whatsapp

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// SignatureHeader is the request header in which Meta signs every webhook POST.
const SignatureHeader = "X-Hub-Signature-256"

const signaturePrefix = "sha256="

// VerifySignature reports whether header ("sha256=<hex>", as sent in X-Hub-Signature-256) is the HMAC-SHA256 of
// body keyed with appSecret. body must be the raw request bytes: re-encoded JSON does not verify. An empty secret,
// an empty or malformed header, or a signature of the wrong length never verifies. The comparison is constant-time.
func VerifySignature(body []byte, header, appSecret string) bool {
	if appSecret == "" {
		return false // an empty key would let anyone sign
	}
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(header), signaturePrefix)
	if !ok || len(hexSig) != hex.EncodedLen(sha256.Size) {
		return false
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return false
	}
	return hmac.Equal(got, signatureMAC(body, appSecret))
}

// Sign returns the X-Hub-Signature-256 value Meta would send for body: "sha256=" and the lowercase hex
// HMAC-SHA256 of body keyed with appSecret. Tests and the sandbox simulator use it to sign their requests.
func Sign(body []byte, appSecret string) string {
	return signaturePrefix + hex.EncodeToString(signatureMAC(body, appSecret))
}

func signatureMAC(body []byte, appSecret string) []byte {
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write(body)
	return m.Sum(nil)
}
