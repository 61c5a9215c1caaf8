package dashboard

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/waorder/waorder/auth"
	"github.com/waorder/waorder/handlers/guard"
	"github.com/waorder/waorder/handlers/httpx"
	"github.com/waorder/waorder/locale"
	"github.com/waorder/waorder/models"
)

// Mailer sends one plain-text email (mailer.Mailer).
type Mailer interface {
	Send(ctx context.Context, to, subject, body string) error
}

// TeamOptions are the operator's choices about accounts.
type TeamOptions struct {
	SignUpOpen bool   // anyone may create a business at /signup
	Mailer     Mailer // nil: one-time links are only shown, to be passed on by hand
	PublicURL  string // the dashboard's address for links; empty: the request's own
}

// formCookie holds a public form's own CSRF token (double submit), like the login form's: there is no session
// yet to hold one.
const formCookie = "waorder_form"

// formToken sets a fresh token cookie scoped to path and returns the token for the form's hidden field.
func formToken(c *fiber.Ctx, path string) (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	t := hex.EncodeToString(b)
	c.Cookie(&fiber.Cookie{Name: formCookie, Value: t, Path: path, MaxAge: 3600, HTTPOnly: true,
		Secure: c.Protocol() == "https", SameSite: fiber.CookieSameSiteStrictMode})
	c.Set(fiber.HeaderCacheControl, "no-store")
	return t, nil
}

// formTokenOK checks the double-submit token of a public form.
func formTokenOK(c *fiber.Ctx) bool {
	want, got := c.Cookies(formCookie), c.FormValue("form_token")
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

func (d *Handler) teamRoutes(r fiber.Router, in func(fiber.Handler) []fiber.Handler) {
	if d.Team.SignUpOpen {
		r.Get("/signup", d.signupPage)
		r.Post("/signup", d.signup)
	}
	r.Get("/invite/:token", d.joinPage)
	r.Post("/invite/:token", d.join)
	r.Get("/team", in(d.teamPage)...)
	r.Post("/team/invite", in(d.invite)...)
	r.Post("/team/invites/:id/withdraw", in(d.withdrawInvite)...)
	r.Post("/team/:id/role", in(d.setRole)...)
	d.resetRoutes(r, in)
}

// link is the absolute address of path on this dashboard.
func (d *Handler) link(c *fiber.Ctx, path string) string {
	if d.Team.PublicURL != "" {
		return strings.TrimRight(d.Team.PublicURL, "/") + path
	}
	return c.BaseURL() + path
}

type signupView struct {
	Name, Currency, Timezone, Email string
	Errors                          map[string]string
	Error, Token                    string
}

func (d *Handler) signupPage(c *fiber.Ctx) error {
	return d.renderSignup(c, fiber.StatusOK, signupView{Currency: "USD", Timezone: "UTC"})
}

func (d *Handler) renderSignup(c *fiber.Ctx, status int, v signupView) error {
	t, err := formToken(c, "/signup")
	if err != nil {
		return err
	}
	v.Token = t
	if v.Error == "" && len(v.Errors) > 0 {
		v.Error = d.printer(c).T("signup.not_created")
	}
	return d.render(c, status, "signup", "", v)
}

// signup creates a business and its owner, and logs the owner in.
func (d *Handler) signup(c *fiber.Ctx) error {
	p := d.printer(c)
	n := auth.NewBusiness{Email: c.FormValue("email"), Password: c.FormValue("password"), Name: c.FormValue("name"),
		Currency: c.FormValue("currency"), Timezone: c.FormValue("timezone"),
		Language: locale.FromAcceptLanguage(c.Get(fiber.HeaderAcceptLanguage))} // the sign-up page's, if any
	errs := signupErrors(p, n.Validate())
	v := signupView{Name: n.Name, Currency: n.Currency, Timezone: n.Timezone, Email: n.Email, Errors: errs}
	if !formTokenOK(c) {
		v.Error = p.T("common.form_expired")
		return d.renderSignup(c, fiber.StatusForbidden, v)
	}
	if len(errs) > 0 {
		return d.renderSignup(c, fiber.StatusUnprocessableEntity, v)
	}
	cookie, _, err := d.Auth.SignUp(c.UserContext(), n, guard.ClientIP(c))
	fe, invalid := models.AsInvalid(err)
	switch {
	case invalid:
		v.Errors = map[string]string{fe.Field: errorText(p, fe)}
		return d.renderSignup(c, fiber.StatusUnprocessableEntity, v)
	case err != nil:
		return d.fail(c, err)
	}
	setSessionCookie(c, cookie)
	return redirect(c, "/settings#connect", p.T("signup.welcome_flash"))
}

type joinView struct {
	Business, Role, Email, Action string
	Errors                        map[string]string
	Error, Token                  string
	Gone                          bool
}

func (d *Handler) joinPage(c *fiber.Ctx) error {
	return d.renderJoin(c, fiber.StatusOK, joinView{})
}

func (d *Handler) renderJoin(c *fiber.Ctx, status int, v joinView) error {
	path := "/invite/" + c.Params("token")
	inv, name, err := d.Auth.OpenInvite(c.UserContext(), c.Params("token"))
	switch {
	case errors.Is(err, models.ErrLinkUsed):
		v.Gone = true
		return d.render(c, fiber.StatusGone, "join", "", v)
	case err != nil:
		return d.fail(c, err)
	}
	t, err := formToken(c, path)
	if err != nil {
		return err
	}
	v.Business, v.Role, v.Action, v.Token = name, string(inv.Role), path, t
	return d.render(c, status, "join", "", v)
}

// join accepts an invite: a new login in the inviting business.
func (d *Handler) join(c *fiber.Ctx) error {
	v := joinView{Email: strings.TrimSpace(c.FormValue("email"))}
	p := d.printer(c)
	if !formTokenOK(c) {
		v.Error = p.T("common.form_expired")
		return d.renderJoin(c, fiber.StatusForbidden, v)
	}
	cookie, _, err := d.Auth.AcceptInvite(c.UserContext(), c.Params("token"), v.Email, c.FormValue("password"), guard.ClientIP(c))
	fe, invalid := models.AsInvalid(err)
	switch {
	case invalid:
		v.Errors = map[string]string{fe.Field: errorText(p, fe)}
		v.Error = p.T("join.not_joined")
		return d.renderJoin(c, fiber.StatusUnprocessableEntity, v)
	case errors.Is(err, models.ErrLinkUsed):
		return d.renderJoin(c, fiber.StatusGone, v)
	case err != nil:
		return d.fail(c, err)
	}
	setSessionCookie(c, cookie)
	return redirect(c, "/", p.T("join.welcome_flash"))
}

type memberView struct {
	ID        int64
	Email     string
	Role      models.Role
	You       bool
	LastLogin string
}

type inviteView struct {
	ID            int64
	Role          models.Role
	Note, Expires string
}

type teamView struct {
	Members                 []memberView
	Invites                 []inviteView
	IsOwner, CanMail        bool
	Link, LinkLabel, Mailed string
	Errors                  map[string]string
	Error                   string
}

func (d *Handler) teamPage(c *fiber.Ctx) error { return d.renderTeam(c, fiber.StatusOK, teamView{}) }

func (d *Handler) renderTeam(c *fiber.Ctx, status int, v teamView) error {
	p, _ := principal(c)
	users, invites, err := d.Auth.Team(c.UserContext(), p.BusinessID)
	if err != nil {
		return d.fail(c, err)
	}
	v.IsOwner, v.CanMail = p.Role == models.RoleOwner, d.Team.Mailer != nil
	biz, _ := d.business(c) // the zero business reads dates in UTC and English
	loc := localOf(biz)
	for _, u := range users {
		m := memberView{ID: u.ID, Email: u.Email, Role: u.Role, You: u.ID == p.UserID}
		if u.LastLoginAt != nil {
			m.LastLogin = day(*u.LastLoginAt, loc)
		}
		v.Members = append(v.Members, m)
	}
	for _, inv := range invites {
		v.Invites = append(v.Invites, inviteView{ID: inv.ID, Role: inv.Role, Note: inv.Note, Expires: day(inv.ExpiresAt, loc)})
	}
	if v.Error == "" && len(v.Errors) > 0 {
		v.Error = d.printer(c).T("common.nothing_changed")
	}
	return d.render(c, status, "team", "team", v)
}

// teamFailure shows an auth error on the team page.
func (d *Handler) teamFailure(c *fiber.Ctx, err error) error {
	fe, invalid := models.AsInvalid(err)
	switch {
	case errors.Is(err, models.ErrForbidden):
		return d.ownersOnly(c, "team", "team.owner_only")
	case invalid:
		return d.renderTeam(c, fiber.StatusUnprocessableEntity, teamView{Errors: map[string]string{fe.Field: errorText(d.printer(c), fe)}})
	}
	return d.fail(c, err)
}

// invite makes a one-time link (shown, and emailed when SMTP is configured and an address given).
func (d *Handler) invite(c *fiber.Ctx) error {
	p, _ := principal(c)
	email := strings.TrimSpace(c.FormValue("email"))
	if email != "" && !strings.Contains(email, "@") {
		return d.teamFailure(c, models.Invalid("email", d.printer(c).T("team.error_email")))
	}
	token, err := d.Auth.Invite(c.UserContext(), p, models.Role(c.FormValue("role")), c.FormValue("note"))
	if err != nil {
		return d.teamFailure(c, err)
	}
	biz, _ := d.business(c)
	pr := d.printer(c)
	v := teamView{Link: d.link(c, "/invite/"+token), LinkLabel: pr.T("team.invite_link")}
	v.Mailed = d.mail(c, email, pr.T("team.invite_subject", "Business", biz.Name),
		pr.T("team.invite_body", "Business", biz.Name, "Link", v.Link))
	return d.renderTeam(c, fiber.StatusOK, v)
}

// mail sends a link by email when a mailer and an address are there; it returns the address it went to, or "".
func (d *Handler) mail(c *fiber.Ctx, to, subject, body string) string {
	if d.Team.Mailer == nil || to == "" {
		return ""
	}
	if err := d.Team.Mailer.Send(c.UserContext(), to, subject, body); err != nil {
		d.Log.Warn("email not sent; the link is shown instead", "err", err)
		return ""
	}
	return to
}

func (d *Handler) withdrawInvite(c *fiber.Ctx) error {
	id, ok := httpx.PathID(c)
	if !ok {
		return d.notFound(c)
	}
	p, _ := principal(c)
	if err := d.Auth.WithdrawInvite(c.UserContext(), p, id); err != nil {
		return d.teamFailure(c, err)
	}
	return redirect(c, "/team", d.printer(c).T("team.withdrawn_flash"))
}

func (d *Handler) setRole(c *fiber.Ctx) error {
	id, ok := httpx.PathID(c)
	if !ok {
		return d.notFound(c)
	}
	p, _ := principal(c)
	role := models.Role(c.FormValue("role"))
	if err := d.Auth.SetRole(c.UserContext(), p, id, role); err != nil {
		return d.teamFailure(c, err)
	}
	pr, name := d.printer(c), "team.role_"+string(role)
	return redirect(c, "/team", pr.T("team.role_flash", "Role", pr.T(name)))
}
