// Package api is the JSON door for merchants' own systems: /api/v1 under a bearer token, and its OpenAPI
// description. Each handler reads the token's business, parses, calls the merchant service and answers JSON; it
// never touches the repository, and another business's ids answer 404 like unknown ones.
package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/waorder/waorder/auth"
	"github.com/waorder/waorder/handlers/httpx"
	"github.com/waorder/waorder/merchant"
	"github.com/waorder/waorder/models"
)

// Handler is the JSON API for merchants' own systems under /api/v1, authorised by "Authorization: Bearer <token>"
// and scoped to the token's business: another business's id is 404, like an unknown one.
type Handler struct {
	Merchant *merchant.Service
	Auth     *auth.Service
	Log      *slog.Logger
}

const apiBusinessKey = "api_business"

// Routes registers /api/v1/….
func (a *Handler) Routes(r fiber.Router) {
	if a.Log == nil {
		a.Log = slog.New(slog.DiscardHandler)
	}
	r.Get("/api/v1/openapi.json", openAPI) // before the group: no token needed
	g := r.Group("/api/v1", a.bearer)
	g.Get("/orders", a.listOrders)
	g.Get("/orders/:id", a.getOrder)
	g.Patch("/orders/:id", a.patchOrder)
	g.Get("/products", a.listProducts)
	g.Post("/products", a.createProduct)
	g.Get("/products/:id", a.getProduct)
	g.Patch("/products/:id", a.patchProduct)
	g.Delete("/products/:id", a.deleteProduct)
	g.Get("/stats", a.stats)
	g.Use(func(c *fiber.Ctx) error {
		return httpx.JSONError(c, fiber.StatusNotFound, "not_found", "no such endpoint")
	})
}

// bearer resolves the token to its business, or answers 401.
func (a *Handler) bearer(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	h := c.Get(fiber.HeaderAuthorization)
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		tok, ok = strings.CutPrefix(h, "bearer ")
	}
	tok = strings.TrimSpace(tok)
	if !ok || tok == "" {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="waorder"`)
		return httpx.JSONError(c, fiber.StatusUnauthorized, "unauthorized", "missing bearer token")
	}
	biz, err := a.Auth.APIToken(c.UserContext(), tok)
	if errors.Is(err, models.ErrBadToken) {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="waorder", error="invalid_token"`)
		return httpx.JSONError(c, fiber.StatusUnauthorized, "unauthorized", "invalid or revoked token")
	}
	if err != nil {
		return a.fail(c, err)
	}
	c.Locals(apiBusinessKey, biz)
	return c.Next()
}

func apiBusiness(c *fiber.Ctx) int64 {
	b, _ := c.Locals(apiBusinessKey).(int64)
	return b
}

// fail answers a service error with its problem (httpx.ProblemOf); an unreachable database is a warning, anything
// else unexpected an error, logged here once.
func (a *Handler) fail(c *fiber.Ctx, err error) error {
	p := httpx.ProblemOf(err)
	switch {
	case p.Status == fiber.StatusServiceUnavailable:
		a.Log.WarnContext(c.UserContext(), "api: database unavailable", "path", c.Path(), "err", err)
		c.Set(fiber.HeaderRetryAfter, "5")
	case p.Status >= 500:
		a.Log.ErrorContext(c.UserContext(), "api request failed", "method", c.Method(), "path", c.Path(), "err", err)
	}
	return httpx.JSONError(c, p.Status, p.Code, p.Message)
}

func badField(c *fiber.Ctx, field, msg string) error {
	return httpx.JSONError(c, fiber.StatusBadRequest, "invalid_"+field, field+": "+msg)
}

// queryInt reads an optional positive integer query parameter.
func queryInt(c *fiber.Ctx, name string, def int) (int, bool) {
	s := c.Query(name)
	if s == "" {
		return def, true
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n > 0
}

// decodeJSON decodes a JSON object body strictly; the error is a models.Invalid naming the field.
func decodeJSON(c *fiber.Ctx, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(c.Request().Body()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return models.Invalid(te.Field, "must be a "+te.Type.String())
		}
		// encoding/json has no typed error for an unknown field (DisallowUnknownFields only formats one), so its
		// fixed text is the one way to name the field.
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return models.Invalid(strings.Trim(f, `"`), "unknown field")
		}
		return models.Invalid("body", "must be a JSON object")
	}
	if dec.More() {
		return models.Invalid("body", "must be a single JSON object")
	}
	return nil
}

func (a *Handler) listOrders(c *fiber.Ctx) error {
	page, ok := queryInt(c, "page", 1)
	if !ok {
		return badField(c, "page", "must be a positive integer")
	}
	size, ok := queryInt(c, "page_size", merchant.DefaultPageSize)
	if !ok {
		return badField(c, "page_size", "must be one of 10, 20, 25, 50")
	}
	f := models.OrderFilter{Status: models.OrderStatus(c.Query("status")), Query: c.Query("q"), Page: page, PageSize: size}
	res, err := a.Merchant.ListOrders(c.UserContext(), apiBusiness(c), f)
	if err != nil {
		return a.fail(c, err)
	}
	data := make([]apiOrder, 0, len(res.Orders))
	for _, o := range res.Orders {
		data = append(data, toAPIOrder(o))
	}
	return c.JSON(fiber.Map{"data": data, "page": res.Page, "page_size": res.PageSize, "total": res.Total})
}

func (a *Handler) getOrder(c *fiber.Ctx) error {
	id, ok := httpx.PathID(c)
	if !ok {
		return httpx.JSONError(c, fiber.StatusNotFound, "not_found", "not found")
	}
	o, err := a.Merchant.Order(c.UserContext(), apiBusiness(c), id)
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(toAPIOrder(o))
}

func (a *Handler) patchOrder(c *fiber.Ctx) error {
	id, ok := httpx.PathID(c)
	if !ok {
		return httpx.JSONError(c, fiber.StatusNotFound, "not_found", "not found")
	}
	var in struct {
		Status *string `json:"status"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return a.fail(c, err)
	}
	if in.Status == nil || *in.Status == "" {
		return badField(c, "status", "is required")
	}
	to := models.OrderStatus(*in.Status)
	if !to.Valid() {
		return badField(c, "status", fmt.Sprintf("unknown status %q", *in.Status))
	}
	o, err := a.Merchant.ChangeStatus(c.UserContext(), apiBusiness(c), id, to, "api")
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(toAPIOrder(o))
}

func (a *Handler) listProducts(c *fiber.Ctx) error {
	ps, err := a.Merchant.Products(c.UserContext(), apiBusiness(c))
	if err != nil {
		return a.fail(c, err)
	}
	data := make([]apiProduct, 0, len(ps))
	for _, p := range ps {
		data = append(data, toAPIProduct(p))
	}
	return c.JSON(fiber.Map{"data": data})
}

func (a *Handler) getProduct(c *fiber.Ctx) error {
	id, ok := httpx.PathID(c)
	if !ok {
		return httpx.JSONError(c, fiber.StatusNotFound, "not_found", "not found")
	}
	p, err := a.Merchant.Product(c.UserContext(), apiBusiness(c), id)
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(toAPIProduct(p))
}

func (a *Handler) createProduct(c *fiber.Ctx) error {
	var in productInput
	if err := decodeJSON(c, &in); err != nil {
		return a.fail(c, err)
	}
	p := models.Product{BusinessID: apiBusiness(c), Available: true}
	in.apply(&p)
	if in.Price == nil {
		return badField(c, "price", "is required")
	}
	if err := a.Merchant.CreateProduct(c.UserContext(), &p); err != nil {
		return a.fail(c, err)
	}
	c.Location("/api/v1/products/" + strconv.FormatInt(p.ID, 10))
	return c.Status(fiber.StatusCreated).JSON(toAPIProduct(p))
}

func (a *Handler) patchProduct(c *fiber.Ctx) error {
	id, ok := httpx.PathID(c)
	if !ok {
		return httpx.JSONError(c, fiber.StatusNotFound, "not_found", "not found")
	}
	var in productInput
	if err := decodeJSON(c, &in); err != nil {
		return a.fail(c, err)
	}
	ctx, biz := c.UserContext(), apiBusiness(c)
	p, err := a.Merchant.Product(ctx, biz, id)
	if err != nil {
		return a.fail(c, err)
	}
	in.apply(&p)
	if err := a.Merchant.UpdateProduct(ctx, p); err != nil {
		return a.fail(c, err)
	}
	if p, err = a.Merchant.Product(ctx, biz, id); err != nil {
		return a.fail(c, err)
	}
	return c.JSON(toAPIProduct(p))
}

func (a *Handler) deleteProduct(c *fiber.Ctx) error {
	id, ok := httpx.PathID(c)
	if !ok {
		return httpx.JSONError(c, fiber.StatusNotFound, "not_found", "not found")
	}
	if err := a.Merchant.DeleteProduct(c.UserContext(), apiBusiness(c), id); err != nil {
		return a.fail(c, err)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (a *Handler) stats(c *fiber.Ctx) error {
	days, ok := queryInt(c, "days", 7)
	if !ok {
		return badField(c, "days", "must be 1, 7 or 30")
	}
	st, err := a.Merchant.Stats(c.UserContext(), apiBusiness(c), days)
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(fiber.Map{"days": days, "data": st})
}
