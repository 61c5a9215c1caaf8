package whatsapp

import (
	"encoding/json"
	"fmt"
)

// Webhook fields about the business account rather than customers' messages.
const (
	FieldAccountUpdate      = "account_update"
	FieldTemplateStatus     = "message_template_status_update"
	FieldPhoneQualityUpdate = "phone_number_quality_update"
	FieldPhoneNameUpdate    = "phone_number_name_update"
)

// AccountUpdate is the value of an account_update change: a verification, a ban, a restriction or a policy
// violation of the WhatsApp Business Account (or of one of its numbers).
type AccountUpdate struct {
	PhoneNumber string `json:"phone_number"`
	Event       string `json:"event"` // VERIFIED_ACCOUNT, DISABLED_UPDATE, ACCOUNT_VIOLATION, ACCOUNT_RESTRICTION, ACCOUNT_DELETED, PARTNER_REMOVED, ...
	BanInfo     struct {
		State string `json:"waba_ban_state"` // SCHEDULE_FOR_DISABLE, DISABLE, REINSTATE
		Date  string `json:"waba_ban_date"`
	} `json:"ban_info"`
	ViolationInfo struct {
		Type string `json:"violation_type"`
	} `json:"violation_info"`
	RestrictionInfo []struct {
		Type       string `json:"restriction_type"` // RESTRICTED_ADD_PHONE_NUMBER_ACTION, RESTRICTED_BIZ_INITIATED_MESSAGING, RESTRICTED_CUSTOMER_INITIATED_MESSAGING
		Expiration string `json:"expiration"`
	} `json:"restriction_info"`
}

// TemplateStatusUpdate is the value of a message_template_status_update change.
type TemplateStatusUpdate struct {
	Event     string      `json:"event"` // APPROVED, REJECTED, PENDING, PAUSED, DISABLED, FLAGGED, REINSTATED, PENDING_DELETION
	ID        json.Number `json:"message_template_id"`
	Name      string      `json:"message_template_name"`
	Language  string      `json:"message_template_language"`
	Reason    string      `json:"reason"`
	OtherInfo struct {
		Title       string `json:"title"`
		Description string `json:"description"`
	} `json:"other_info"`
}

// QualityUpdate is the value of a phone_number_quality_update change: the number's messaging limit changed, or
// it was flagged for low quality (and later unflagged).
type QualityUpdate struct {
	DisplayPhoneNumber string `json:"display_phone_number"`
	Event              string `json:"event"` // FLAGGED, UNFLAGGED, UPGRADE, DOWNGRADE, THROUGHPUT_UPGRADE, ONBOARDING
	CurrentLimit       string `json:"current_limit"`
	OldLimit           string `json:"old_limit"`
	MaxDaily           string `json:"max_daily_conversations_per_business"`
}

// NameUpdate is the value of a phone_number_name_update change: Meta's decision on a requested display name.
type NameUpdate struct {
	DisplayPhoneNumber    string `json:"display_phone_number"`
	Decision              string `json:"decision"` // APPROVED, DEFERRED, REJECTED
	RequestedVerifiedName string `json:"requested_verified_name"`
	RejectionReason       string `json:"rejection_reason"`
}

// DecodeAccountEvent decodes the raw value of a change of one of the fields above into its type.
func DecodeAccountEvent(field string, value []byte) (any, error) {
	var v any
	switch field {
	case FieldAccountUpdate:
		v = &AccountUpdate{}
	case FieldTemplateStatus:
		v = &TemplateStatusUpdate{}
	case FieldPhoneQualityUpdate:
		v = &QualityUpdate{}
	case FieldPhoneNameUpdate:
		v = &NameUpdate{}
	default:
		return nil, fmt.Errorf("whatsapp: %q is not an account event field", field)
	}
	if err := json.Unmarshal(value, v); err != nil {
		return nil, fmt.Errorf("whatsapp: decode %s: %w", field, err)
	}
	return v, nil
}
