package dashboard

import (
	"context"
	"errors"
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/waorder/waorder/handlers/httpx"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/onboarding"
)

// SandboxMeta stands in for Meta's own pages in sandbox mode: the Embedded Signup window and account webhooks.
type SandboxMeta interface {
	SimulateSignup() (code, metaPhoneID, wabaID string)
	AccountEvent(ctx context.Context, wabaID, field string, value any) error
	FailNextRegister(msg string)
}

var (
	idRe  = regexp.MustCompile(`^\d{5,30}$`)
	pinRe = regexp.MustCompile(`^\d{6}$`)
)

type attemptView struct {
	Steps  []stepView
	Error  string
	AskPIN bool
}

type stepView struct{ Key, Label, State string } // State: done, failed, todo

// attemptView shows the business's connection in progress, if any.
func (d *Handler) attemptView(c *fiber.Ctx, bizID int64) (*attemptView, error) {
	if d.Onboarding == nil {
		return nil, nil
	}
	a, ok, err := d.Onboarding.Attempt(c.UserContext(), bizID)
	if err != nil || !ok {
		return nil, err
	}
	v := &attemptView{Error: a.LastError, AskPIN: a.Step == models.StepRegister && a.LastError != ""}
	state := "done"
	for _, st := range models.ConnectSteps {
		if st.Key == models.StepExchange && a.Method == models.ConnectManual {
			continue
		}
		if st.Key == a.Step {
			state = "todo"
			if a.LastError != "" {
				v.Steps = append(v.Steps, stepView{st.Key, st.Label, "failed"})
				continue
			}
		}
		v.Steps = append(v.Steps, stepView{st.Key, st.Label, state})
	}
	return v, nil
}

func numberOf(n models.PhoneNumber, l local) numberView {
	v := numberView{ID: n.ID, Display: n.DisplayPhoneNumber, MetaPhoneID: n.MetaPhoneID, WABAID: n.WABAID,
		Status: string(n.Status), Reason: n.StatusReason, VerifiedName: n.VerifiedName, Quality: n.QualityRating,
		Limit: n.MessagingLimit, Note: n.HealthNote,
		NeedsReconnect: n.Status == models.PhoneTokenExpired || n.Status == models.PhoneDisconnected,
		Active:         n.Status == models.PhoneConnected || n.Status == models.PhoneRestricted}
	if n.TokenExpiresAt != nil {
		v.TokenExpires = day(*n.TokenExpiresAt, l)
	}
	return v
}

// ownerConnecting answers 403 unless the merchant is an owner and connecting is wired.
func (d *Handler) ownerConnecting(c *fiber.Ctx) (bool, error) {
	p, _ := principal(c)
	if p.Role != models.RoleOwner || d.Onboarding == nil {
		return false, d.ownersOnly(c, "settings", "settings.connect_owner_only")
	}
	return true, nil
}

// connected answers a connect step's outcome: the settings page with the PIN shown once, or the step's error.
func (d *Handler) connected(c *fiber.Ctx, got onboarding.Connected, err error) error {
	biz, berr := d.business(c)
	if berr != nil {
		return d.fail(c, berr)
	}
	if err == nil {
		c.Locals("dashboard.flash", d.printer(c).T("settings.connected_flash", "Number", got.Phone.DisplayPhoneNumber))
		return d.renderSettingsWith(c, fiber.StatusOK, formFromBusiness(biz), nil, got.PIN)
	}
	var se *onboarding.StepError
	if errors.As(err, &se) {
		return d.renderSettings(c, fiber.StatusUnprocessableEntity, formFromBusiness(biz), nil) // the attempt shows the error
	}
	if v, ok := models.AsInvalid(err); ok {
		field := fieldOr(v.Field, map[string]bool{"phone_number_id": true, "waba_id": true, "access_token": true, "pin": true})
		if field == "form" {
			field = "connect"
		}
		return d.renderSettings(c, fiber.StatusUnprocessableEntity, formFromBusiness(biz), map[string]string{field: errorText(d.printer(c), v)})
	}
	return d.fail(c, err)
}

// connectManual connects a number from pasted ids and token, with the same checks as Embedded Signup.
func (d *Handler) connectManual(c *fiber.Ctx) error {
	if ok, err := d.ownerConnecting(c); !ok {
		return err
	}
	p, _ := principal(c)
	phone, waba := strings.TrimSpace(c.FormValue("phone_number_id")), strings.TrimSpace(c.FormValue("waba_id"))
	token, pin := strings.TrimSpace(c.FormValue("access_token")), strings.TrimSpace(c.FormValue("pin"))
	errs, pr := map[string]string{}, d.printer(c)
	if !idRe.MatchString(phone) {
		errs["phone_number_id"] = pr.T("settings.error_phone_id")
	}
	if !idRe.MatchString(waba) {
		errs["waba_id"] = pr.T("settings.error_waba")
	}
	if len(token) < 20 {
		errs["access_token"] = pr.T("settings.error_token")
	}
	if pin != "" && !pinRe.MatchString(pin) {
		errs["pin"] = pr.T("settings.error_pin")
	}
	if len(errs) > 0 {
		biz, err := d.business(c)
		if err != nil {
			return d.fail(c, err)
		}
		return d.renderSettings(c, fiber.StatusUnprocessableEntity, formFromBusiness(biz), errs)
	}
	got, err := d.Onboarding.ConnectManual(c.UserContext(), p.BusinessID, phone, waba, token, pin)
	return d.connected(c, got, err)
}

// connectSignup finishes Embedded Signup: the code from Meta's popup is exchanged for a token server-side.
func (d *Handler) connectSignup(c *fiber.Ctx) error {
	if ok, err := d.ownerConnecting(c); !ok {
		return err
	}
	p, _ := principal(c)
	got, err := d.Onboarding.ConnectSignup(c.UserContext(), p.BusinessID, c.FormValue("code"),
		strings.TrimSpace(c.FormValue("phone_number_id")), strings.TrimSpace(c.FormValue("waba_id")), strings.TrimSpace(c.FormValue("pin")))
	return d.connected(c, got, err)
}

// connectSandbox plays Meta's signup window in sandbox mode, optionally making Meta refuse the registration once.
func (d *Handler) connectSandbox(c *fiber.Ctx) error {
	if ok, err := d.ownerConnecting(c); !ok {
		return err
	}
	if d.SandboxMeta == nil {
		return d.notFound(c)
	}
	p, _ := principal(c)
	code, phone, waba := d.SandboxMeta.SimulateSignup()
	if c.FormValue("fail_step") == "register" {
		d.SandboxMeta.FailNextRegister("Phone number registration is temporarily blocked for this number (simulated)")
	}
	got, err := d.Onboarding.ConnectSignup(c.UserContext(), p.BusinessID, code, phone, waba, "")
	return d.connected(c, got, err)
}

// connectRetry resumes the business's connection at the step that failed.
func (d *Handler) connectRetry(c *fiber.Ctx) error {
	if ok, err := d.ownerConnecting(c); !ok {
		return err
	}
	p, _ := principal(c)
	got, err := d.Onboarding.Resume(c.UserContext(), p.BusinessID, strings.TrimSpace(c.FormValue("pin")))
	return d.connected(c, got, err)
}

// connectCancel forgets the connection in progress.
func (d *Handler) connectCancel(c *fiber.Ctx) error {
	if ok, err := d.ownerConnecting(c); !ok {
		return err
	}
	p, _ := principal(c)
	if err := d.Onboarding.Cancel(c.UserContext(), p.BusinessID); err != nil {
		return d.fail(c, err)
	}
	return redirect(c, "/settings#connect", d.printer(c).T("settings.cancelled_flash"))
}

// disconnect stops sending from a number; its history stays.
func (d *Handler) disconnect(c *fiber.Ctx) error {
	if ok, err := d.ownerConnecting(c); !ok {
		return err
	}
	id, ok := httpx.PathID(c)
	if !ok {
		return d.notFound(c)
	}
	p, _ := principal(c)
	if err := d.Onboarding.Disconnect(c.UserContext(), p.BusinessID, id); err != nil {
		return d.fail(c, err)
	}
	return redirect(c, "/settings", d.printer(c).T("settings.disconnected_flash"))
}
