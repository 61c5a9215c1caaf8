package dashboard

import (
	"errors"

	"github.com/gofiber/fiber/v2"
	"github.com/waorder/waorder/models"
)

type accountView struct {
	Email string
	Error string
}

// account shows the merchant's own login: change the password, log out everywhere.
func (d *Handler) account(c *fiber.Ctx) error {
	p, _ := principal(c)
	return d.render(c, fiber.StatusOK, "account", "account", accountView{Email: p.Email})
}

// changePassword replaces the password after checking the current one; every other session of the merchant ends,
// this one stays.
func (d *Handler) changePassword(c *fiber.Ctx) error {
	p, _ := principal(c)
	v := accountView{Email: p.Email}
	pr := d.printer(c)
	next := c.FormValue("new_password")
	if next != c.FormValue("confirm_password") {
		v.Error = pr.T("account.mismatch")
		return d.render(c, fiber.StatusBadRequest, "account", "account", v)
	}
	err := d.Auth.ChangePassword(c.UserContext(), p, c.FormValue("current_password"), next)
	status := fiber.StatusOK
	switch {
	case err == nil:
		return redirect(c, "/account", pr.T("account.changed_flash"))
	case errors.Is(err, models.ErrWeakPassword):
		status, v.Error = fiber.StatusBadRequest, pr.T("account.weak")
	case errors.Is(err, models.ErrBadCredentials):
		status, v.Error = fiber.StatusUnauthorized, pr.T("account.wrong_current")
	case errors.Is(err, models.ErrRateLimited):
		status, v.Error = fiber.StatusTooManyRequests, pr.T("common.too_many_attempts")
	case errors.Is(err, models.ErrBusy):
		c.Set(fiber.HeaderRetryAfter, "5")
		status, v.Error = fiber.StatusServiceUnavailable, pr.T("account.busy")
	default:
		return d.fail(c, err)
	}
	return d.render(c, status, "account", "account", v)
}

// logoutEverywhere ends every session of the merchant, on every device, this one included.
func (d *Handler) logoutEverywhere(c *fiber.Ctx) error {
	p, _ := principal(c)
	if _, err := d.Auth.LogoutEverywhere(c.UserContext(), p.UserID); err != nil {
		return d.fail(c, err)
	}
	setSessionCookie(c, "")
	return c.Redirect("/login", fiber.StatusSeeOther)
}
