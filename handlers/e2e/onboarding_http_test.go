package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/waorder/waorder/auth"
	"github.com/waorder/waorder/cache"
	"github.com/waorder/waorder/handlers/dashboard"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/testutil"
)

// postBody posts a form and returns the status and the page.
func (c *dashClient) postBody(t *testing.T, path string, form url.Values) (int, string) {
	t.Helper()
	form.Set(dashboard.CSRFField, c.csrf)
	resp, err := c.PostForm(c.base+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// staff adds a staff login to the env's business and logs it in.
func (e *dashEnv) staff(t *testing.T) *dashClient {
	t.Helper()
	email := "staff-" + testutil.RandomHex(4) + "@example.com"
	if _, err := auth.New(e.store, cache.NewMemory(16), nil, nil).CreateUser(context.Background(), e.biz.ID, email, dashPassword, models.RoleStaff); err != nil {
		t.Fatal(err)
	}
	return e.login(t, email, dashPassword)
}

// Templates: the order-update template is submitted to Meta, can be chosen once approved with a source for each
// variable, and staff change nothing.
func TestDashboard_TemplatesCreateSyncAndChoose(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	e.graph.AddWABA(e.phone.WABAID, e.phone.MetaPhoneID)
	c := e.login(t, e.email, e.password)
	if st, _ := c.postBody(t, "/templates/create", url.Values{"language": {"xx"}}); st != http.StatusUnprocessableEntity {
		t.Fatalf("unknown language: %d", st)
	}
	if st, _ := c.postBody(t, "/templates/create", url.Values{"language": {"es"}}); st != http.StatusSeeOther {
		t.Fatalf("create: %d", st)
	}
	if ts := e.graph.Templates(e.phone.WABAID); len(ts) != 1 || ts[0].Name != "order_update" || ts[0].Category != "UTILITY" ||
		!strings.Contains(ts[0].Body, "Tu pedido {{1}}") {
		t.Fatalf("Meta has %+v", ts)
	}
	if st, body := c.postBody(t, "/templates/create", url.Values{"language": {"es"}}); st != http.StatusBadGateway || !strings.Contains(body, "already exists") {
		t.Fatalf("duplicate: %d", st)
	}
	choose := url.Values{"template": {"order_update|es"}, "param0": {"order_number"}, "param1": {"status"}, "param2": {"business_name"}}
	if st, body := c.postBody(t, "/templates/choose", choose); st != http.StatusUnprocessableEntity || !strings.Contains(body, "pending") {
		t.Fatalf("choosing a pending template: %d", st)
	}
	e.graph.SetTemplateStatus(e.phone.WABAID, "order_update", "es", "APPROVED", "")
	if st, _ := c.postBody(t, "/templates/sync", url.Values{}); st != http.StatusSeeOther {
		t.Fatalf("sync: %d", st)
	}
	if page := c.get(t, "/templates"); !strings.Contains(page, `data-status="APPROVED"`) {
		t.Fatal("the synced status is not shown")
	}
	if st, _ := c.postBody(t, "/templates/choose", choose); st != http.StatusSeeOther {
		t.Fatalf("choose: %d", st)
	}
	b, _ := e.store.Business(context.Background(), e.biz.ID)
	if b.WindowTemplate != "order_update" || b.TemplateLanguage != "es" || b.TemplateParams != "order_number,status,business_name" {
		t.Fatalf("business %+v", b)
	}
	s := e.staff(t)
	for _, path := range []string{"/templates/sync", "/templates/create", "/templates/choose"} {
		if st, _ := s.postBody(t, path, url.Values{"language": {"es"}}); st != http.StatusForbidden {
			t.Errorf("staff %s: %d", path, st)
		}
	}
}

// The business profile is read from and written to Meta; bad fields are explained; another business's number is
// not found.
func TestDashboard_BusinessProfile(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	c := e.login(t, e.email, e.password)
	path := fmt.Sprintf("/settings/numbers/%d/profile", e.phone.ID)
	bad := url.Values{"about": {strings.Repeat("a", 140)}, "email": {"nope"}, "website1": {"example.com"}}
	st, body := c.postBody(t, path, bad)
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, "At most 139 characters") ||
		!strings.Contains(body, "email address like") || !strings.Contains(body, "starting with https://") {
		t.Fatalf("bad profile: %d", st)
	}
	good := url.Values{"about": {"Wood-fired pizza"}, "email": {"ciao@nonna.example"}, "website1": {"https://nonna.example"}, "vertical": {"RESTAURANT"}}
	if st, _ := c.postBody(t, path, good); st != http.StatusSeeOther {
		t.Fatalf("save: %d", st)
	}
	if p := e.graph.Profile(e.phone.MetaPhoneID); p.About != "Wood-fired pizza" || p.Vertical != "RESTAURANT" || len(p.Websites) != 1 {
		t.Fatalf("Meta has %+v", p)
	}
	if page := c.get(t, path); !strings.Contains(page, `value="ciao@nonna.example"`) {
		t.Fatal("the profile is not read back")
	}
	if st := c.status(t, http.MethodGet, fmt.Sprintf("/settings/numbers/%d/profile", e.phone.ID+1000), nil); st != http.StatusNotFound {
		t.Errorf("unknown number: %d", st)
	}
}

// Team: staff cannot invite, delete products or change roles; an owner cannot demote themselves; another business's
// member is not found.
func TestDashboard_RolesAndTeamRules(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	owner := e.login(t, e.email, e.password)
	staff := e.staff(t)
	if st, _ := staff.postBody(t, "/team/invite", url.Values{"role": {"owner"}}); st != http.StatusForbidden {
		t.Errorf("staff invited: %d", st)
	}
	p := e.product(t, "tea", "Tea", 250)
	if st, _ := staff.postBody(t, fmt.Sprintf("/catalog/%d/delete", p.ID), url.Values{}); st != http.StatusForbidden {
		t.Errorf("staff deleted a product: %d", st)
	}
	if _, err := e.store.Product(context.Background(), e.biz.ID, p.ID); err != nil {
		t.Errorf("product gone: %v", err)
	}
	if st, _ := staff.postBody(t, "/settings", url.Values{"name": {"Hacked"}}); st != http.StatusForbidden {
		t.Errorf("staff saved settings: %d", st)
	}
	me, _ := e.store.UserByEmail(context.Background(), e.email)
	if st, body := owner.postBody(t, fmt.Sprintf("/team/%d/role", me.ID), url.Values{"role": {"staff"}}); st != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "cannot demote yourself") {
		t.Errorf("self-demotion: %d", st)
	}
	_, _, otherEmail := seedBusiness(t, e.store, "Other")
	other, _ := e.store.UserByEmail(context.Background(), otherEmail)
	if st, _ := owner.postBody(t, fmt.Sprintf("/team/%d/role", other.ID), url.Values{"role": {"staff"}}); st != http.StatusNotFound {
		t.Errorf("another business's member: %d", st)
	}
	if u, _ := e.store.User(context.Background(), other.ID); u.Role != models.RoleOwner {
		t.Error("another business's owner was demoted")
	}
	if st, body := owner.postBody(t, "/team/invite", url.Values{"role": {"boss"}}); st != http.StatusUnprocessableEntity || !strings.Contains(body, "owner or staff") {
		t.Errorf("bad role: %d", st)
	}
}

// Disconnecting stops sends from the number and keeps it, with its history, listed.
func TestDashboard_DisconnectKeepsTheNumber(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	c := e.login(t, e.email, e.password)
	if st, _ := c.postBody(t, fmt.Sprintf("/settings/numbers/%d/disconnect", e.phone.ID), url.Values{}); st != http.StatusSeeOther {
		t.Fatalf("disconnect: %d", st)
	}
	p, err := e.store.PhoneNumber(context.Background(), e.biz.ID, e.phone.ID)
	if err != nil || p.Status != models.PhoneDisconnected {
		t.Fatalf("number %+v %v", p, err)
	}
	if page := c.get(t, "/settings"); !strings.Contains(page, e.phone.MetaPhoneID) {
		t.Fatal("the number is no longer listed")
	}
}
