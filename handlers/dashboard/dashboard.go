// Package dashboard is the merchants' HTML door: login and sessions, orders with their live feed, inbox, catalog,
// stats, settings, team and, in sandbox mode, the chat simulator. Each page reads the logged-in merchant's business
// and calls a service; it must not build queries or show another business's rows.
package dashboard

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/waorder/waorder/auth"
	"github.com/waorder/waorder/handlers/guard"
	"github.com/waorder/waorder/handlers/httpx"
	"github.com/waorder/waorder/ingest"
	"github.com/waorder/waorder/locale"
	"github.com/waorder/waorder/mediastore"
	"github.com/waorder/waorder/merchant"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/onboarding"
	"github.com/waorder/waorder/web"
)

// Handler serves the merchants' pages: login, orders (with a live feed), order detail, stats, catalog, settings
// and, in sandbox mode, the chat simulator. Every page reads and writes only the logged-in merchant's business.
type Handler struct {
	Merchant *merchant.Service
	Auth     *auth.Service
	Files    mediastore.Store // customers' files, served to their business on /media/:id
	Pictures *merchant.Pictures
	Ingest   *ingest.Service // the simulator hands its signed webhooks to the webhook path
	// Onboarding connects numbers, keeps templates and the business profile, and says what is wrong (banners);
	// nil hides those forms.
	Onboarding  *onboarding.Service
	SandboxMeta SandboxMeta // sandbox mode: Meta's signup window and account webhooks, simulated
	Team        TeamOptions
	Log         *slog.Logger

	Sandbox      bool
	AppSecret    string // signs the simulator's webhooks (config.SandboxAppSecret in sandbox mode)
	MetaAppID    string // Embedded Signup: both set shows Meta's button
	MetaConfigID string
	GraphVersion string
	HeldTTL      time.Duration // HELD_MESSAGE_TTL: when a held reply expires, shown on the attention page; 0: never

	// EventPoll is how often the live feed looks for new orders (default 2 s; NotifyOrder wakes it sooner);
	// EventStream is how long one stream lasts before the browser reconnects (default 20 s), which keeps
	// instances stateless and shutdowns short.
	EventPoll   time.Duration
	EventStream time.Duration
	// StreamsPerSession and StreamsTotal cap the live feeds open at once on this instance, per session and in all
	// (defaults 4 and 500); past either, a new feed is answered 429.
	StreamsPerSession, StreamsTotal int

	pages pageCache
	asset string
	hub   orderHub
	// streams counts the open live feeds against the caps above.
	streams guard.Streams
}

// Routes registers the pages on r. Login and static assets are public; everything else needs a session, and every
// POST a CSRF token.
func (d *Handler) Routes(r fiber.Router) {
	if err := d.load(); err != nil {
		panic(err) // templates are embedded: a parse error is a build defect, caught by any test
	}
	if d.EventPoll == 0 {
		d.EventPoll = 2 * time.Second
	}
	if d.EventStream == 0 {
		d.EventStream = 20 * time.Second
	}
	d.streams.PerKey, d.streams.Total = cmp.Or(d.StreamsPerSession, 4), cmp.Or(d.StreamsTotal, 500)
	files := filesystem.New(filesystem.Config{Root: http.FS(mustSub(web.Static, "static"))})
	r.Use("/static", func(c *fiber.Ctx) error {
		if err := files(c); err != nil {
			return err
		}
		if c.Response().StatusCode() == fiber.StatusOK {
			c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
		}
		return nil
	})

	r.Get("/p/*", d.productPicture) // public: Meta fetches product pictures for the item message
	r.Get("/login", d.loginPage)
	r.Post("/login", d.login)
	in := func(h fiber.Handler) []fiber.Handler {
		return []fiber.Handler{RequireSession(d.Auth), CSRF(), d.noStore, h}
	}
	r.Post("/logout", in(d.logout)...)
	r.Get("/account", in(d.account)...)
	r.Post("/account/password", in(d.changePassword)...)
	r.Post("/account/logout-everywhere", in(d.logoutEverywhere)...)
	r.Get("/", in(d.orders)...)
	r.Get("/events", in(d.events)...)
	r.Get("/orders/:id", in(d.order)...)
	r.Post("/orders/:id/status", in(d.changeStatus)...)
	r.Get("/stats", in(d.stats)...)
	r.Get("/catalog", in(d.catalog)...)
	r.Post("/catalog", in(d.createProduct)...)
	r.Get("/catalog/:id", in(d.productPage)...)
	r.Post("/catalog/:id", in(d.updateProduct)...)
	r.Post("/catalog/:id/availability", in(d.setAvailability)...)
	r.Post("/catalog/:id/delete", in(d.deleteProduct)...)
	r.Post("/catalog/:id/picture", in(d.uploadPicture)...)
	r.Post("/catalog/:id/picture/delete", in(d.removePicture)...)
	r.Get("/media/:id", in(d.media)...)
	r.Get("/settings", in(d.settings)...)
	r.Post("/settings", in(d.saveSettings)...)
	r.Post("/settings/connect", in(d.connectManual)...)
	r.Post("/settings/connect/signup", in(d.connectSignup)...)
	r.Post("/settings/connect/retry", in(d.connectRetry)...)
	r.Post("/settings/connect/cancel", in(d.connectCancel)...)
	r.Post("/settings/numbers/:id/disconnect", in(d.disconnect)...)
	r.Get("/settings/numbers/:id/profile", in(d.profilePage)...)
	r.Post("/settings/numbers/:id/profile", in(d.saveProfile)...)
	r.Get("/templates", in(d.templatesPage)...)
	r.Post("/templates/sync", in(d.syncTemplates)...)
	r.Post("/templates/create", in(d.createTemplate)...)
	r.Post("/templates/choose", in(d.chooseTemplate)...)
	d.teamRoutes(r, in)
	d.merchantDayRoutes(r, in)
	d.attentionRoutes(r, in)
	if d.Sandbox {
		r.Get("/simulator", in(d.simulator)...)
		r.Get("/simulator/messages", in(d.simulatorMessages)...)
		r.Post("/simulator/send", in(d.simulatorSend)...)
	}
	if d.SandboxMeta != nil {
		r.Post("/settings/connect/sandbox", in(d.connectSandbox)...)
		r.Post("/settings/numbers/:id/sandbox-event", in(d.sandboxEvent)...)
	}
}

// noStore keeps logged-in pages out of shared and back-button caches.
func (d *Handler) noStore(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Next()
}

// load fingerprints the static assets so their URLs change whenever their content does (which is what makes the
// year-long cache safe). Pages are parsed when first rendered (pageCache).
func (d *Handler) load() error {
	h := sha256.New()
	err := fs.WalkDir(web.Static, ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := fs.ReadFile(web.Static, p)
		h.Write([]byte(p))
		h.Write(b)
		return err
	})
	d.asset = hex.EncodeToString(h.Sum(nil))[:10]
	return err
}

// page is the template set of a page in lang (see printer), English for a language without catalogs.
func (d *Handler) page(lang, name string) (*template.Template, error) {
	if lang = locale.Supported(lang); lang == "" {
		lang = locale.Default
	}
	return d.pages.get(lang, name)
}

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return sub
}

// page is what every template receives; Data is the page's own view.
type page struct {
	Nav          string
	Email        string
	BusinessName string
	CSRF         string
	CSRFField    string
	Sandbox      bool
	Flash        string
	Asset        string
	Banners      []onboarding.Banner // what is wrong with the business's WhatsApp account, on every page
	Data         any
}

// render executes a page into a buffer first, so a template error becomes a clean 500 rather than half a page.
func (d *Handler) render(c *fiber.Ctx, status int, name, nav string, data any) error {
	p := page{Nav: nav, Sandbox: d.Sandbox, Asset: d.asset, CSRFField: CSRFField, Data: data}
	if pr, ok := principal(c); ok {
		p.Email, p.CSRF = pr.Email, pr.CSRFToken
		if b, err := d.business(c); err == nil {
			p.BusinessName = b.Name
			p.Banners = d.banners(c, b)
		}
		p.Flash = takeFlash(c)
		if f, ok := c.Locals("dashboard.flash").(string); ok {
			p.Flash = f
		}
	}
	t, err := d.page(d.printer(c).Lang(), name)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(status).Send(buf.Bytes())
}

// printer writes in the page's language: the business's for a logged-in merchant; before login (sign-in pages,
// error pages of anonymous visitors) the browser's first supported language by Accept-Language; else English.
func (d *Handler) printer(c *fiber.Ctx) locale.Printer {
	if _, ok := principal(c); ok {
		b, _ := d.business(c)
		return locale.For(b.Language)
	}
	return locale.For(locale.FromAcceptLanguage(c.Get(fiber.HeaderAcceptLanguage)))
}

// business loads the logged-in merchant's business once per request.
func (d *Handler) business(c *fiber.Ctx) (models.Business, error) {
	if b, ok := c.Locals("dashboard.business").(models.Business); ok {
		return b, nil
	}
	p, _ := principal(c)
	b, err := d.Merchant.Business(c.UserContext(), p.BusinessID)
	if err == nil {
		c.Locals("dashboard.business", b)
	}
	return b, err
}

// principal is the logged-in merchant, if any.
func principal(c *fiber.Ctx) (auth.Principal, bool) {
	p := CurrentPrincipal(c)
	return p, p.UserID != 0
}

type errorView struct{ Title, Message string }

// notFound answers the 404 page: for unknown ids and for another business's ids alike, so nothing leaks.
func (d *Handler) notFound(c *fiber.Ctx) error {
	p := d.printer(c)
	return d.render(c, fiber.StatusNotFound, "error", "", errorView{p.T("error.not_found_title"), p.T("error.not_found")})
}

// ownersOnly answers the 403 page of an owner's action a staff member tried; id is the catalog message saying so.
func (d *Handler) ownersOnly(c *fiber.Ctx, nav, id string) error {
	p := d.printer(c)
	return d.render(c, fiber.StatusForbidden, "error", nav, errorView{p.T("common.owners_only"), p.T(id)})
}

// ErrorPage renders an error the router or a middleware raised (404 for an unknown page, 403 for a missing CSRF
// token, 413, 415, 500…) as the dashboard's HTML error page, for browsers, in the page's language (see printer).
func (d *Handler) ErrorPage(c *fiber.Ctx, code int, msg string) error {
	title, msg := statusText(d.printer(c), code, msg)
	return d.render(c, code, "error", "", errorView{title, msg})
}

// statusText is the error page's title and message for an HTTP status: the catalog's error.title_<code> and
// error.text_<code> where it has them, else (for a 5xx) "something went wrong", else the status's English name and
// the message the router gave.
func statusText(p locale.Printer, code int, msg string) (title, text string) {
	switch {
	case code == fiber.StatusNotFound:
		return p.T("error.not_found_title"), p.T("error.not_found")
	case code >= 500:
		title, text = p.T("error.went_wrong_title"), p.T("error.went_wrong")
	default:
		title, text = cmp.Or(http.StatusText(code), p.T("error.title")), msg
	}
	if id := "error.title_" + strconv.Itoa(code); p.T(id) != id {
		title = p.T(id)
	}
	if id := "error.text_" + strconv.Itoa(code); p.T(id) != id {
		text = p.T(id)
	}
	return title, text
}

// fail answers a service error with the error page of its status, mapped once for every door (httpx.ProblemOf):
// an unknown id 404, a conflict 409, the database unreachable 503, and so on. A refusal (4xx) says why in the page's
// language; a 5xx is logged with its cause, which the page never shows.
func (d *Handler) fail(c *fiber.Ctx, err error) error {
	status := httpx.ProblemOf(err).Status
	if status == fiber.StatusNotFound {
		return d.notFound(c)
	}
	if status >= 500 {
		d.Log.ErrorContext(c.UserContext(), "dashboard request failed", "method", c.Method(), "path", c.Path(),
			"status", status, "err", err)
	}
	p := d.printer(c)
	title, text := statusText(p, status, "")
	if status < 500 {
		text = errorText(p, err)
	}
	return d.render(c, status, "error", "", errorView{title, text})
}

const flashCookie = "waorder_flash"

// redirect answers a form POST with 303 to target, carrying a one-line message for the next page.
func redirect(c *fiber.Ctx, target, flash string) error {
	if flash != "" {
		c.Cookie(&fiber.Cookie{Name: flashCookie, Value: url.QueryEscape(flash), Path: "/", MaxAge: 60,
			HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode, Secure: c.Protocol() == "https"})
	}
	return c.Redirect(target, fiber.StatusSeeOther)
}

func takeFlash(c *fiber.Ctx) string {
	v := c.Cookies(flashCookie)
	if v == "" {
		return ""
	}
	c.Cookie(&fiber.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(1, 0)})
	msg, err := url.QueryUnescape(v)
	if err != nil || len(msg) > 300 {
		return ""
	}
	return msg
}
