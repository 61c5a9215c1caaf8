package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/waorder/waorder/auth"
	"github.com/waorder/waorder/merchant"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
)

// API is the JSON API for merchants' own systems under /api/v1, authorised by "Authorization: Bearer <token>"
// and scoped to the token's business: another business's id is 404, like an unknown one.
type API struct {
	Merchant *merchant.Service
	Auth     *auth.Service
	Log      *slog.Logger
}

const apiBusinessKey = "api_business"

// Routes registers /api/v1/….
func (a *API) Routes(r fiber.Router) {
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
	g.Use(func(c *fiber.Ctx) error { return jsonError(c, fiber.StatusNotFound, "not_found", "no such endpoint") })
}

// bearer resolves the token to its business, or answers 401.
func (a *API) bearer(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	h := c.Get(fiber.HeaderAuthorization)
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		tok, ok = strings.CutPrefix(h, "bearer ")
	}
	tok = strings.TrimSpace(tok)
	if !ok || tok == "" {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="waorder"`)
		return jsonError(c, fiber.StatusUnauthorized, "unauthorized", "missing bearer token")
	}
	biz, err := a.Auth.APIToken(c.UserContext(), tok)
	if errors.Is(err, auth.ErrBadToken) {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="waorder", error="invalid_token"`)
		return jsonError(c, fiber.StatusUnauthorized, "unauthorized", "invalid or revoked token")
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

// asValidation finds a merchant.ValidationError (value or pointer) in err.
func asValidation(err error) (merchant.ValidationError, bool) { return merchant.AsValidation(err) }

// fail maps a service error to the API's answer.
func (a *API) fail(c *fiber.Ctx, err error) error {
	if v, ok := asValidation(err); ok {
		return jsonError(c, fiber.StatusBadRequest, "invalid_"+v.Field, v.Error())
	}
	switch {
	case errors.Is(err, repository.ErrNotFound):
		return jsonError(c, fiber.StatusNotFound, "not_found", "not found")
	case errors.Is(err, repository.ErrInvalidTransition):
		return jsonError(c, fiber.StatusConflict, "invalid_transition", transitionMessage(err))
	case errors.Is(err, repository.ErrConflict):
		return jsonError(c, fiber.StatusConflict, "conflict", "retailer_id: another product already uses this retailer id")
	case repository.IsUnavailable(err):
		a.Log.Warn("api: database unavailable", "path", c.Path(), "err", err)
		c.Set(fiber.HeaderRetryAfter, "5")
		return jsonError(c, fiber.StatusServiceUnavailable, "unavailable", "temporarily unavailable, retry later")
	}
	a.Log.Error("api request failed", "method", c.Method(), "path", c.Path(), "err", err)
	return jsonError(c, fiber.StatusInternalServerError, "internal", "internal error")
}

func transitionMessage(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, repository.ErrInvalidTransition.Error()); i >= 0 {
		msg = msg[i:]
	}
	return msg
}

func badField(c *fiber.Ctx, field, msg string) error {
	return jsonError(c, fiber.StatusBadRequest, "invalid_"+field, field+": "+msg)
}

func pathID(c *fiber.Ctx) (int64, bool) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	return id, err == nil && id > 0
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

// decodeJSON decodes a JSON object body strictly; the error is a merchant.ValidationError naming the field.
func decodeJSON(c *fiber.Ctx, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(c.Request().Body()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return &merchant.ValidationError{Field: te.Field, Message: "must be a " + te.Type.String()}
		}
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return &merchant.ValidationError{Field: strings.Trim(f, `"`), Message: "unknown field"}
		}
		return &merchant.ValidationError{Field: "body", Message: "must be a JSON object"}
	}
	if dec.More() {
		return &merchant.ValidationError{Field: "body", Message: "must be a single JSON object"}
	}
	return nil
}

// apiOrder is an order as the API shows it.
type apiOrder struct {
	ID          int64        `json:"id"`
	Number      int64        `json:"number"`
	Status      string       `json:"status"`
	Customer    apiCustomer  `json:"customer"`
	Items       []apiItem    `json:"items"`
	Total       int64        `json:"total"`
	Currency    string       `json:"currency"`
	Address     string       `json:"address"`
	Contact     string       `json:"contact_phone,omitempty"` // a delivery's number from a customer without a shared one
	Fulfillment string       `json:"fulfillment"`
	Note        string       `json:"note"`
	Source      string       `json:"source"`
	CreatedAt   time.Time    `json:"created_at"`
	UpdatedAt   time.Time    `json:"updated_at"`
	Next        []string     `json:"next_statuses"`
	Location    *apiLocation `json:"location,omitempty"`
}

// apiCustomer names who ordered. wa_id is the phone-based WhatsApp id and is empty for a customer who uses a
// username and has not shared their number; user_id (the business-scoped user id) is then always set.
type apiCustomer struct {
	WaID     string `json:"wa_id"`
	UserID   string `json:"user_id"`
	Username string `json:"username"`
	Name     string `json:"name"`
}

type apiItem struct {
	RetailerID string `json:"retailer_id"`
	Name       string `json:"name"`
	Quantity   int    `json:"quantity"`
	UnitPrice  int64  `json:"unit_price"`
	LineTotal  int64  `json:"line_total"`
}

type apiLocation struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
}

func toAPIOrder(o models.Order) apiOrder {
	out := apiOrder{ID: o.ID, Number: o.Number, Status: string(o.Status), Total: o.TotalMinor, Currency: o.Currency,
		Address: o.Address, Contact: o.ContactPhone, Fulfillment: string(o.Fulfillment), Note: o.Note, Source: o.Source,
		CreatedAt: o.CreatedAt.UTC(), UpdatedAt: o.UpdatedAt.UTC(), Items: []apiItem{}, Next: []string{}}
	if o.Customer != nil {
		c := o.Customer
		out.Customer = apiCustomer{WaID: c.Phone, UserID: c.UserID, Username: c.Username, Name: c.Name}
		if c.Phone == "" && c.UserID == "" {
			out.Customer.WaID = c.WaID // a row known by its contact key alone
		}
	}
	for _, it := range o.Items {
		out.Items = append(out.Items, apiItem{RetailerID: it.RetailerID, Name: it.Name, Quantity: it.Quantity,
			UnitPrice: it.UnitPriceMinor, LineTotal: it.LineTotal()})
	}
	for _, s := range o.Status.Next() {
		out.Next = append(out.Next, string(s))
	}
	if o.Latitude != nil && o.Longitude != nil {
		out.Location = &apiLocation{*o.Latitude, *o.Longitude}
	}
	return out
}

// apiProduct is a product as the API shows it.
type apiProduct struct {
	ID          int64     `json:"id"`
	RetailerID  string    `json:"retailer_id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Price       int64     `json:"price"`
	Currency    string    `json:"currency"`
	Category    string    `json:"category"`
	Available   bool      `json:"available"`
	Sort        int       `json:"sort"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func toAPIProduct(p models.Product) apiProduct {
	return apiProduct{ID: p.ID, RetailerID: p.RetailerID, Name: p.Name, Description: p.Description, Price: p.PriceMinor,
		Currency: p.Currency, Category: p.Category, Available: p.Available, Sort: p.Sort, CreatedAt: p.CreatedAt.UTC(),
		UpdatedAt: p.UpdatedAt.UTC()}
}

// productInput is a POST or PATCH body; absent fields are nil (PATCH leaves them alone).
type productInput struct {
	ID          *int64  `json:"id"` // accepted and ignored, so a client may send back what it read
	RetailerID  *string `json:"retailer_id"`
	Name        *string `json:"name"`
	Description *string `json:"description"`
	Price       *int64  `json:"price"`
	Currency    *string `json:"currency"`
	Category    *string `json:"category"`
	Available   *bool   `json:"available"`
	Sort        *int    `json:"sort"`
}

func (in productInput) apply(p *models.Product) {
	if in.RetailerID != nil {
		p.RetailerID = *in.RetailerID
	}
	if in.Name != nil {
		p.Name = *in.Name
	}
	if in.Description != nil {
		p.Description = *in.Description
	}
	if in.Price != nil {
		p.PriceMinor = *in.Price
	}
	if in.Currency != nil {
		p.Currency = *in.Currency
	}
	if in.Category != nil {
		p.Category = *in.Category
	}
	if in.Available != nil {
		p.Available = *in.Available
	}
	if in.Sort != nil {
		p.Sort = *in.Sort
	}
}

func (a *API) listOrders(c *fiber.Ctx) error {
	page, ok := queryInt(c, "page", 1)
	if !ok {
		return badField(c, "page", "must be a positive integer")
	}
	size, ok := queryInt(c, "page_size", merchant.DefaultPageSize)
	if !ok {
		return badField(c, "page_size", "must be one of 10, 20, 25, 50")
	}
	f := repository.OrderFilter{Status: models.OrderStatus(c.Query("status")), Query: c.Query("q"), Page: page, PageSize: size}
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

func (a *API) getOrder(c *fiber.Ctx) error {
	id, ok := pathID(c)
	if !ok {
		return jsonError(c, fiber.StatusNotFound, "not_found", "not found")
	}
	o, err := a.Merchant.Order(c.UserContext(), apiBusiness(c), id)
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(toAPIOrder(o))
}

func (a *API) patchOrder(c *fiber.Ctx) error {
	id, ok := pathID(c)
	if !ok {
		return jsonError(c, fiber.StatusNotFound, "not_found", "not found")
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

func (a *API) listProducts(c *fiber.Ctx) error {
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

func (a *API) getProduct(c *fiber.Ctx) error {
	id, ok := pathID(c)
	if !ok {
		return jsonError(c, fiber.StatusNotFound, "not_found", "not found")
	}
	p, err := a.Merchant.Product(c.UserContext(), apiBusiness(c), id)
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(toAPIProduct(p))
}

func (a *API) createProduct(c *fiber.Ctx) error {
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

func (a *API) patchProduct(c *fiber.Ctx) error {
	id, ok := pathID(c)
	if !ok {
		return jsonError(c, fiber.StatusNotFound, "not_found", "not found")
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

func (a *API) deleteProduct(c *fiber.Ctx) error {
	id, ok := pathID(c)
	if !ok {
		return jsonError(c, fiber.StatusNotFound, "not_found", "not found")
	}
	if err := a.Merchant.DeleteProduct(c.UserContext(), apiBusiness(c), id); err != nil {
		return a.fail(c, err)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (a *API) stats(c *fiber.Ctx) error {
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
