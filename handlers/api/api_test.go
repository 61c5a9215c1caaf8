package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/waorder/waorder/auth"
	"github.com/waorder/waorder/cache"
	"github.com/waorder/waorder/handlers"
	"github.com/waorder/waorder/handlers/api"
	"github.com/waorder/waorder/merchant"
	"github.com/waorder/waorder/merchant/merchanttest"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
)

type apiEnv struct {
	app               *fiber.App
	store             *repository.Store
	a, other          merchanttest.Biz
	token, otherToken string
}

func newAPIEnv(t *testing.T, s *repository.Store, c cache.Cache) apiEnv {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	au := auth.New(s, c, []byte("k"), log)
	e := apiEnv{store: s, a: merchanttest.Seed(t, s, "A", 30), other: merchanttest.Seed(t, s, "B", 2)}
	var err error
	if e.token, err = au.CreateAPIToken(ctx, e.a.Business.ID, "test"); err != nil {
		t.Fatal(err)
	}
	if e.otherToken, err = au.CreateAPIToken(ctx, e.other.Business.ID, "test"); err != nil {
		t.Fatal(err)
	}
	e.app = handlers.NewApp(log, handlers.Options{BodyLimit: 1 << 20}, &api.Handler{Merchant: merchant.New(s, c, nil, log), Auth: au, Log: log})
	return e
}

// do sends a request with the token (none if empty) and decodes a JSON answer into out (if not nil).
func (e apiEnv) do(t *testing.T, method, path, token, body string, out any) int {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode
}

type errResp struct {
	Error struct{ Code, Message string } `json:"error"`
}

type orderResp struct {
	ID       int64  `json:"id"`
	Number   int64  `json:"number"`
	Status   string `json:"status"`
	Customer struct {
		WaID string `json:"wa_id"`
		Name string `json:"name"`
	} `json:"customer"`
	Items []struct {
		RetailerID string `json:"retailer_id"`
		Name       string `json:"name"`
		Quantity   int    `json:"quantity"`
		UnitPrice  int64  `json:"unit_price"`
	} `json:"items"`
	Total     int64  `json:"total"`
	Currency  string `json:"currency"`
	Address   string `json:"address"`
	CreatedAt string `json:"created_at"`
}

type listResp struct {
	Data     []orderResp `json:"data"`
	Page     int         `json:"page"`
	PageSize int         `json:"page_size"`
	Total    int64       `json:"total"`
}

func TestAPI_Orders(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newAPIEnv(t, be.Open(t), cache.NewMemory(1000))
			var l listResp
			if st := e.do(t, "GET", "/api/v1/orders", e.token, "", &l); st != 200 || l.Page != 1 || l.PageSize != 20 || l.Total != 30 || len(l.Data) != 20 {
				t.Fatalf("list: %d page %d size %d total %d len %d", st, l.Page, l.PageSize, l.Total, len(l.Data))
			}
			o := l.Data[0]
			if o.ID != e.a.Orders[29].ID || o.Status != "pending" || o.Customer.WaID != e.a.Customer.WaID || o.Customer.Name == "" ||
				len(o.Items) != 1 || o.Items[0].RetailerID != "tea" || o.Items[0].UnitPrice != 250 || o.Total == 0 ||
				o.Currency != "USD" || o.Address != "1 Main St" || o.CreatedAt == "" || o.Number != 30 {
				t.Fatalf("order shape %+v", o)
			}
			for size, want := range map[int]int{10: 10, 20: 20, 25: 25, 50: 30} {
				l = listResp{}
				if st := e.do(t, "GET", fmt.Sprintf("/api/v1/orders?page_size=%d", size), e.token, "", &l); st != 200 || len(l.Data) != want || l.PageSize != size {
					t.Fatalf("page_size %d: %d, %d orders", size, st, len(l.Data))
				}
			}
			l = listResp{}
			if e.do(t, "GET", "/api/v1/orders?page=2&page_size=25", e.token, "", &l); len(l.Data) != 5 || l.Page != 2 {
				t.Fatalf("page 2: %d orders", len(l.Data))
			}
			l = listResp{}
			if e.do(t, "GET", "/api/v1/orders?status=confirmed", e.token, "", &l); l.Total != 0 || l.Data == nil {
				t.Fatalf("status filter: total %d data %v", l.Total, l.Data)
			}
			for q, field := range map[string]string{"page_size=15": "page_size", "page_size=x": "page_size", "page=0": "page",
				"page=-1": "page", "status=lost": "status"} {
				var er errResp
				if st := e.do(t, "GET", "/api/v1/orders?"+q, e.token, "", &er); st != 400 || !strings.Contains(er.Error.Message, field) {
					t.Fatalf("%s: %d %+v", q, st, er)
				}
			}
			var one orderResp
			if st := e.do(t, "GET", fmt.Sprintf("/api/v1/orders/%d", e.a.Orders[0].ID), e.token, "", &one); st != 200 || one.ID != e.a.Orders[0].ID {
				t.Fatalf("get: %d %+v", st, one)
			}
		})
	}
}

func TestAPI_PatchStatusNotifiesOnce(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newAPIEnv(t, be.Open(t), cache.NewMemory(1000))
			target := e.a.Orders[29]
			var l listResp
			e.do(t, "GET", "/api/v1/orders?status=pending", e.token, "", &l) // cached
			path := fmt.Sprintf("/api/v1/orders/%d", target.ID)
			var o orderResp
			if st := e.do(t, "PATCH", path, e.token, `{"status":"confirmed"}`, &o); st != 200 || o.Status != "confirmed" {
				t.Fatalf("patch: %d %+v", st, o)
			}
			key := fmt.Sprintf("order:%d:status:confirmed", target.ID)
			n, text := merchanttest.OutboundByKey(t, e.store, key)
			if n != 1 || !strings.Contains(text, fmt.Sprintf("#%d", target.Number)) || !strings.Contains(text, "confirmed") {
				t.Fatalf("outbound: %d rows, text %q", n, text)
			}
			var er errResp
			if st := e.do(t, "PATCH", path, e.token, `{"status":"confirmed"}`, &er); st != 409 || er.Error.Code != "invalid_transition" {
				t.Fatalf("repeat: %d %+v", st, er)
			}
			if n, _ := merchanttest.OutboundByKey(t, e.store, key); n != 1 {
				t.Fatalf("repeat enqueued again: %d rows", n)
			}
			if st := e.do(t, "PATCH", path, e.token, `{"status":"pending"}`, nil); st != 409 {
				t.Fatalf("backwards: %d", st)
			}
			l = listResp{}
			if e.do(t, "GET", "/api/v1/orders?status=pending", e.token, "", &l); l.Total != 29 {
				t.Fatalf("cached list not invalidated: pending total %d", l.Total)
			}
			for body, field := range map[string]string{`{"status":"lost"}`: "status", `{}`: "status", `{"status":5}`: "status",
				`not json`: "body", `{"status":"ready","x":1}`: "x"} {
				er = errResp{}
				if st := e.do(t, "PATCH", path, e.token, body, &er); st != 400 || !strings.Contains(er.Error.Message, field) {
					t.Fatalf("%s: %d %+v", body, st, er)
				}
			}
			if st := e.do(t, "PATCH", "/api/v1/orders/999999999", e.token, `{"status":"ready"}`, nil); st != 404 {
				t.Fatalf("unknown id: %d", st)
			}
		})
	}
}

func TestAPI_Products(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newAPIEnv(t, be.Open(t), cache.NewMemory(1000))
			type product struct {
				ID          int64  `json:"id"`
				RetailerID  string `json:"retailer_id"`
				Name        string `json:"name"`
				Description string `json:"description"`
				Price       int64  `json:"price"`
				Currency    string `json:"currency"`
				Category    string `json:"category"`
				Available   bool   `json:"available"`
			}
			var list struct{ Data []product }
			if st := e.do(t, "GET", "/api/v1/products", e.token, "", &list); st != 200 || len(list.Data) != 2 {
				t.Fatalf("list: %d %d", st, len(list.Data))
			}
			var p product
			st := e.do(t, "POST", "/api/v1/products", e.token,
				`{"retailer_id":"pie","name":"Pie","description":"Apple","price":550,"currency":"usd","category":"Sweets","available":true}`, &p)
			if st != 201 || p.ID == 0 || p.Currency != "USD" || p.Price != 550 || p.Category != "Sweets" || !p.Available || p.Description != "Apple" {
				t.Fatalf("create: %d %+v", st, p)
			}
			list.Data = nil
			if e.do(t, "GET", "/api/v1/products", e.token, "", &list); len(list.Data) != 3 {
				t.Fatalf("list after create: %d", len(list.Data))
			}
			if st := e.do(t, "POST", "/api/v1/products", e.token, `{"retailer_id":"pie","name":"Pie 2","price":1}`, nil); st != 409 {
				t.Fatalf("taken retailer id: %d", st)
			}
			for body, field := range map[string]string{
				`{"retailer_id":"a","price":1}`:                           "name",
				`{"name":"A","price":1}`:                                  "retailer_id",
				`{"name":"A","retailer_id":"a","price":-1}`:               "price",
				`{"name":"A","retailer_id":"a"}`:                          "price",
				`{"name":"A","retailer_id":"a","price":"1"}`:              "price",
				`{"name":"A","retailer_id":"a","price":1,"currency":"E"}`: "currency",
			} {
				var er errResp
				if st := e.do(t, "POST", "/api/v1/products", e.token, body, &er); st != 400 || !strings.Contains(er.Error.Message, field) {
					t.Fatalf("%s: %d %+v", body, st, er)
				}
			}
			path := fmt.Sprintf("/api/v1/products/%d", p.ID)
			var up product
			if st := e.do(t, "PATCH", path, e.token, `{"price":600,"available":false}`, &up); st != 200 || up.Price != 600 || up.Available || up.Name != "Pie" {
				t.Fatalf("patch: %d %+v", st, up)
			}
			if st := e.do(t, "PATCH", path, e.token, `{"retailer_id":"tea"}`, nil); st != 409 {
				t.Fatalf("patch to taken retailer id: %d", st)
			}
			if st := e.do(t, "PATCH", path, e.token, `{"name":""}`, nil); st != 400 {
				t.Fatalf("patch empty name: %d", st)
			}
			if st := e.do(t, "DELETE", path, e.token, "", nil); st != 204 {
				t.Fatalf("delete: %d", st)
			}
			if st := e.do(t, "DELETE", path, e.token, "", nil); st != 404 {
				t.Fatalf("delete again: %d", st)
			}
			list.Data = nil
			if e.do(t, "GET", "/api/v1/products", e.token, "", &list); len(list.Data) != 2 {
				t.Fatalf("list after delete: %d", len(list.Data))
			}
		})
	}
}

func TestAPI_Stats(t *testing.T) {
	e := newAPIEnv(t, testutil.SQLite(t), cache.NewMemory(1000))
	var st struct {
		Days int `json:"days"`
		Data struct {
			Orders  int64 `json:"orders"`
			Revenue int64 `json:"revenue"`
		} `json:"data"`
	}
	if code := e.do(t, "GET", "/api/v1/stats", e.token, "", &st); code != 200 || st.Days != 7 || st.Data.Orders != 30 || st.Data.Revenue == 0 {
		t.Fatalf("stats: %d %+v", code, st)
	}
	for _, d := range []string{"1", "30"} {
		if code := e.do(t, "GET", "/api/v1/stats?days="+d, e.token, "", nil); code != 200 {
			t.Fatalf("days=%s: %d", d, code)
		}
	}
	var er errResp
	if code := e.do(t, "GET", "/api/v1/stats?days=5", e.token, "", &er); code != 400 || !strings.Contains(er.Error.Message, "days") {
		t.Fatalf("days=5: %d %+v", code, er)
	}
}

// TestAPI_OtherBusinessIsNotFound tries every route with ids of another business: 404, and nothing changes.
func TestAPI_OtherBusinessIsNotFound(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newAPIEnv(t, be.Open(t), cache.NewMemory(1000))
			oid, pid := e.other.Orders[0].ID, e.other.Products[0].ID
			for _, r := range []struct{ method, path, body string }{
				{"GET", fmt.Sprintf("/api/v1/orders/%d", oid), ""},
				{"PATCH", fmt.Sprintf("/api/v1/orders/%d", oid), `{"status":"confirmed"}`},
				{"GET", fmt.Sprintf("/api/v1/products/%d", pid), ""},
				{"PATCH", fmt.Sprintf("/api/v1/products/%d", pid), `{"name":"stolen"}`},
				{"DELETE", fmt.Sprintf("/api/v1/products/%d", pid), ""},
			} {
				var er errResp
				if st := e.do(t, r.method, r.path, e.token, r.body, &er); st != 404 || er.Error.Code != "not_found" {
					t.Fatalf("%s %s: %d %+v", r.method, r.path, st, er)
				}
			}
			var l listResp
			e.do(t, "GET", "/api/v1/orders?page_size=50", e.token, "", &l)
			for _, o := range l.Data {
				if o.ID == oid || o.ID == e.other.Orders[1].ID {
					t.Fatal("list shows another business's order")
				}
			}
			var o orderResp
			if st := e.do(t, "GET", fmt.Sprintf("/api/v1/orders/%d", oid), e.otherToken, "", &o); st != 200 || o.Status != "pending" {
				t.Fatalf("owner sees %d %+v", st, o)
			}
			var p struct{ Name string }
			if st := e.do(t, "GET", fmt.Sprintf("/api/v1/products/%d", pid), e.otherToken, "", &p); st != 200 || p.Name != e.other.Products[0].Name {
				t.Fatalf("product of other business changed: %d %+v", st, p)
			}
		})
	}
}

func TestAPI_BadTokenIs401(t *testing.T) {
	e := newAPIEnv(t, testutil.SQLite(t), cache.NewMemory(1000))
	for _, h := range []string{"", "Bearer", "Bearer wao_nope", "Basic " + e.token, "Bearer " + e.token + "x", e.token} {
		req := httptest.NewRequest("GET", "/api/v1/orders", nil)
		if h != "" {
			req.Header.Set("Authorization", h)
		}
		resp, err := e.app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		var er errResp
		json.NewDecoder(resp.Body).Decode(&er) //nolint:errcheck
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || er.Error.Code != "unauthorized" || resp.Header.Get("WWW-Authenticate") == "" {
			t.Fatalf("%q: %d %+v", h, resp.StatusCode, er)
		}
	}
	for _, r := range [][2]string{{"PATCH", "/api/v1/orders/1"}, {"POST", "/api/v1/products"}, {"DELETE", "/api/v1/products/1"}, {"GET", "/api/v1/stats"}} {
		if st := e.do(t, r[0], r[1], "wao_forged", `{}`, nil); st != 401 {
			t.Fatalf("%s %s without a valid token: %d", r[0], r[1], st)
		}
	}
}

// TestAPI_ValkeyDown runs a status change with the cache on a closed port: answers come from the database.
func TestAPI_ValkeyDown(t *testing.T) {
	c, err := cache.New(context.Background(), "redis://127.0.0.1:1/0", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	e := newAPIEnv(t, testutil.SQLite(t), c)
	var l listResp
	if st := e.do(t, "GET", "/api/v1/orders?status=pending", e.token, "", &l); st != 200 || l.Total != 30 {
		t.Fatalf("list: %d %d", st, l.Total)
	}
	if st := e.do(t, "PATCH", fmt.Sprintf("/api/v1/orders/%d", e.a.Orders[0].ID), e.token, `{"status":"cancelled"}`, nil); st != 200 {
		t.Fatalf("patch: %d", st)
	}
	l = listResp{}
	if e.do(t, "GET", "/api/v1/orders?status=pending", e.token, "", &l); l.Total != 29 {
		t.Fatalf("after change: %d", l.Total)
	}
}
