package dashboard

import (
	"errors"

	"github.com/gofiber/fiber/v2"
	"github.com/waorder/waorder/handlers/httpx"
	"github.com/waorder/waorder/models"
)

// resetRoutes registers password reset by one-time link (public) and the owner's issuing of links and removal of
// members.
func (d *Handler) resetRoutes(r fiber.Router, in func(fiber.Handler) []fiber.Handler) {
	r.Get("/reset/:token", d.resetPage)
	r.Post("/reset/:token", d.reset)
	r.Post("/team/:id/reset", in(d.issueReset)...)
	r.Post("/team/:id/remove", in(d.removeMember)...)
}

type resetView struct {
	Email, Action string
	Errors        map[string]string
	Error, Token  string
	Gone          bool
}

func (d *Handler) resetPage(c *fiber.Ctx) error {
	return d.renderReset(c, fiber.StatusOK, resetView{})
}

func (d *Handler) renderReset(c *fiber.Ctx, status int, v resetView) error {
	path := "/reset/" + c.Params("token")
	u, _, err := d.Auth.OpenReset(c.UserContext(), c.Params("token"))
	switch {
	case errors.Is(err, models.ErrLinkUsed):
		v.Gone = true
		return d.render(c, fiber.StatusGone, "reset", "", v)
	case err != nil:
		return d.fail(c, err)
	}
	t, err := formToken(c, path)
	if err != nil {
		return err
	}
	v.Email, v.Action, v.Token = u.Email, path, t
	return d.render(c, status, "reset", "", v)
}

// reset sets the new password, ends every session of the user, and sends them to log in.
func (d *Handler) reset(c *fiber.Ctx) error {
	var v resetView
	p := d.printer(c)
	if !formTokenOK(c) {
		v.Error = p.T("common.form_expired")
		return d.renderReset(c, fiber.StatusForbidden, v)
	}
	_, err := d.Auth.ResetWithLink(c.UserContext(), c.Params("token"), c.FormValue("password"))
	fe, invalid := models.AsInvalid(err)
	switch {
	case invalid:
		v.Errors = map[string]string{fe.Field: errorText(p, fe)}
		v.Error = p.T("reset.not_changed")
		return d.renderReset(c, fiber.StatusUnprocessableEntity, v)
	case errors.Is(err, models.ErrLinkUsed):
		return d.renderReset(c, fiber.StatusGone, v)
	case err != nil:
		return d.fail(c, err)
	}
	return redirect(c, "/login", p.T("reset.changed_flash"))
}

// issueReset makes a one-time reset link for a member (shown, and emailed to them when SMTP is configured).
func (d *Handler) issueReset(c *fiber.Ctx) error {
	id, ok := httpx.PathID(c)
	if !ok {
		return d.notFound(c)
	}
	p, _ := principal(c)
	u, token, err := d.Auth.IssueReset(c.UserContext(), p, id)
	if err != nil {
		return d.teamFailure(c, err)
	}
	pr := d.printer(c)
	v := teamView{Link: d.link(c, "/reset/"+token), LinkLabel: pr.T("reset.link_label", "Email", u.Email)}
	v.Mailed = d.mail(c, u.Email, pr.T("reset.title"), pr.T("reset.mail_body", "Link", v.Link))
	return d.renderTeam(c, fiber.StatusOK, v)
}

func (d *Handler) removeMember(c *fiber.Ctx) error {
	id, ok := httpx.PathID(c)
	if !ok {
		return d.notFound(c)
	}
	p, _ := principal(c)
	u, err := d.Auth.RemoveMember(c.UserContext(), p, id)
	if err != nil {
		return d.teamFailure(c, err)
	}
	return redirect(c, "/team", d.printer(c).T("reset.removed_flash", "Email", u.Email))
}
