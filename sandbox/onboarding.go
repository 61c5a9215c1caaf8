package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"time"

	"github.com/waorder/waorder/whatsapp/fakegraph"
)

// AppID is the Meta app id sandbox mode uses for the code exchange when META_APP_ID is not set.
const AppID = "100000000000000"

// SimulateSignup stands in for Meta's Embedded Signup window: it makes up a WhatsApp Business Account owning a
// new phone number, tells the fake about both, and returns what Meta would hand the browser (a one-time code and
// the sessionInfo ids). The connect steps that follow run against the fake like against Meta.
func (s *Sandbox) SimulateSignup() (code, metaPhoneID, wabaID string) {
	metaPhoneID, wabaID = "1099"+digits(11), "2099"+digits(11)
	s.Fake.AddWABA(wabaID, metaPhoneID)
	return "sandbox-code-" + digits(12), metaPhoneID, wabaID
}

// KnowWABA tells the fake that wabaID owns these numbers (the demo business's, made at start).
func (s *Sandbox) KnowWABA(wabaID string, metaPhoneIDs ...string) {
	s.Fake.AddWABA(wabaID, metaPhoneIDs...)
}

// AccountEvent delivers a webhook of one account-level change (account_update, phone_number_quality_update,
// message_template_status_update, ...) about wabaID through the webhook path, as Meta would.
func (s *Sandbox) AccountEvent(ctx context.Context, wabaID, field string, value any) error {
	v, err := json.Marshal(value)
	if err != nil {
		return fmt.Errorf("sandbox: encode %s: %w", field, err)
	}
	body := fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":%q,"time":%d,"changes":[{"field":%q,"value":%s}]}]}`,
		wabaID, time.Now().Unix(), field, v)
	if err := s.ingest.Accept(ctx, body); err != nil {
		return fmt.Errorf("sandbox: deliver %s: %w", field, err)
	}
	return nil
}

func digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		d, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			panic("crypto/rand failed: " + err.Error())
		}
		b[i] = byte('0' + d.Int64())
	}
	return string(b)
}

// FailNextRegister makes the fake refuse the next number registration with msg, as Meta does for a number it
// will not register yet; the retry then succeeds.
func (s *Sandbox) FailNextRegister(msg string) {
	s.Fake.FailNext(fakegraph.KindRegister, fakegraph.Err(400, 133010, msg))
}
