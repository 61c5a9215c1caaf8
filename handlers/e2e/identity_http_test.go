package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/waorder/waorder/app/apptest"
	"github.com/waorder/waorder/auth"
	"github.com/waorder/waorder/cache"
	"github.com/waorder/waorder/handlers/dashboard"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/testutil"
)

const (
	anaUser     = "BR.1502576394655843"
	anaUsername = "ana.lima"
)

// usernameWebhook is a text from a user who has a username and shares no phone number: only user_id and
// from_user_id name them.
func (e *dashEnv) usernameWebhook(body string) []byte {
	value := map[string]any{"messaging_product": "whatsapp",
		"metadata": map[string]string{"display_phone_number": e.phone.DisplayPhoneNumber, "phone_number_id": e.phone.MetaPhoneID},
		"contacts": []any{map[string]any{"profile": map[string]string{"name": "Ana Lima", "username": anaUsername}, "user_id": anaUser}},
		"messages": []any{map[string]any{"from_user_id": anaUser, "id": "wamid.TEST" + strings.ToUpper(testutil.RandomHex(10)),
			"type": "text", "timestamp": fmt.Sprint(time.Now().Unix()), "text": map[string]string{"body": body}}}}
	b, _ := json.Marshal(map[string]any{"object": "whatsapp_business_account", "entry": []any{map[string]any{"id": e.phone.WABAID,
		"changes": []any{map[string]any{"field": "messages", "value": value}}}}})
	return b
}

// A customer known by username only is shown by name and @username on the orders list, the order page, the inbox,
// the customers page and in the API (never with their business-scoped id as a phone), and found by their username.
func TestDashboard_CustomerWithAUsernameIsShownAndFound(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	ctx := context.Background()
	e.webhook(t, e.usernameWebhook("hello"))
	var ana models.Customer
	dashEventually(t, 10*time.Second, "the customer", func() bool {
		c, err := e.store.CustomerByIdentifier(ctx, e.biz.ID, anaUser)
		ana = c
		return err == nil
	})
	if ana.Phone != "" || ana.Username != anaUsername || ana.Name != "Ana Lima" {
		t.Fatalf("customer %+v", ana)
	}
	o := e.order(t, ana)
	if err := e.store.DB(ctx).Exec("UPDATE orders SET contact_phone = ? WHERE id = ?", "+5511987654321", o.ID).Error; err != nil {
		t.Fatal(err)
	}
	bob := e.customer(t, "351910000031", "Bob")
	e.order(t, bob)

	c := e.login(t, e.email, e.password)
	list := c.get(t, "/")
	if !strings.Contains(list, "Ana Lima") || !strings.Contains(list, "@"+anaUsername) {
		t.Fatal("the orders list does not show the customer's name and username")
	}
	for q, want := range map[string]int{"q=%40ana": 1, "q=ana.li": 1, "q=" + anaUser: 1, "q=%40bob": 0} {
		if got := strings.Count(c.get(t, "/?"+q), `class="link-row"`); got != want {
			t.Errorf("/?%s: %d orders, want %d", q, got, want)
		}
	}
	for _, path := range []string{"/conversations", fmt.Sprintf("/conversations/%d", ana.ID), "/customers"} {
		p := c.get(t, path)
		if !strings.Contains(p, "Ana Lima") || !strings.Contains(p, "@"+anaUsername) {
			t.Errorf("%s does not show the customer's name and username", path)
		}
		if strings.Contains(p, "+"+anaUser) || strings.Contains(p, "wa.me/"+anaUser) {
			t.Errorf("%s shows the business-scoped id as a phone number", path)
		}
	}
	page := c.get(t, fmt.Sprintf("/orders/%d", o.ID))
	for _, want := range []string{"@" + anaUsername, "number not shared", anaUser} {
		if !strings.Contains(page, want) {
			t.Errorf("order page lacks %q", want)
		}
	}
	if got := html.UnescapeString(dashBetween(page, `class="c-contact">`, "<")); got != "+5511987654321" {
		t.Errorf("order page contact %q", got)
	}

	token, err := auth.New(e.store, cache.NewMemory(16), []byte("k"), apptest.Log()).CreateAPIToken(ctx, e.biz.ID, "t")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/api/v1/orders/%d", e.URL, o.ID), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var got struct {
		Customer map[string]string `json:"customer"`
		Contact  string            `json:"contact_phone"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if got.Customer["wa_id"] != "" || got.Customer["user_id"] != anaUser || got.Customer["username"] != anaUsername ||
		got.Customer["name"] != "Ana Lima" || got.Contact != "+5511987654321" {
		t.Fatalf("API order customer %v contact %q", got.Customer, got.Contact)
	}
}

func TestDashboard_SettingsSaveTheContactNumberRequirement(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	c := e.login(t, e.email, e.password)
	form := url.Values{"name": {"Casa Nonna"}, "currency": {"EUR"}, "timezone": {"Europe/Lisbon"}, "fulfillment": {"both"}, "always_open": {"true"},
		"require_contact_phone": {"true"}, dashboard.CSRFField: {c.csrf}}
	resp, err := c.PostForm(e.URL+"/settings", form)
	if err != nil {
		t.Fatal(err)
	}
	if page := readAll(resp); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("settings: %d %s", resp.StatusCode, dashBetween(page, `class="field-error`, "</"))
	}
	b, err := e.store.Business(context.Background(), e.biz.ID)
	if err != nil || !b.RequireContactPhone {
		t.Fatalf("saved %+v, %v", b, err)
	}
	if page := c.get(t, "/settings"); !strings.Contains(page, `name="require_contact_phone" value="true" checked`) {
		t.Fatal("the settings page does not show the requirement as set")
	}
}
