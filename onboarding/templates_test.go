package onboarding_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/onboarding"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
	"github.com/waorder/waorder/whatsapp"
	"github.com/waorder/waorder/whatsapp/fakegraph"
)

func TestTemplates_CreateSyncChooseAndStatusWebhooks(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *repository.Store) {
		e := newEnv(t, open)
		ctx := context.Background()
		if _, err := e.svc.SyncTemplates(ctx, e.biz.ID); err != models.ErrNoNumber {
			t.Fatalf("without a number: %v", err)
		}
		e.connected(t)
		e.fake.AddTemplate(wabaID, fakegraph.Template{Name: "hello_world", Language: "en_US", Category: "UTILITY",
			Status: "APPROVED", Body: "Hello {{1}}"})
		created, err := e.svc.CreateOrderTemplate(ctx, e.biz.ID, "en_US")
		if err != nil || created.Status != "PENDING" || created.ParamCount != 3 {
			t.Fatalf("create %+v %v", created, err)
		}
		var req fakegraph.Request
		for _, r := range e.fake.Requests() {
			if r.Kind == fakegraph.KindCreateTemplate {
				req = r
			}
		}
		var body struct {
			Name, Language, Category string
			Components               []struct {
				Type, Text string
				Example    struct {
					BodyText [][]string `json:"body_text"`
				}
			}
		}
		if err := json.Unmarshal(req.Body, &body); err != nil || body.Name != "order_update" || body.Category != "UTILITY" ||
			req.Path != "/"+version+"/"+wabaID+"/message_templates" || req.Token() != "FAKE-TOKEN-1" ||
			len(body.Components) != 1 || len(body.Components[0].Example.BodyText[0]) != 3 {
			t.Fatalf("create request %s %s %+v", req.Path, req.Body, body)
		}
		if _, err := e.svc.CreateOrderTemplate(ctx, e.biz.ID, "en_US"); err == nil || !strings.Contains(err.Error(), "already exists") {
			t.Errorf("second create: %v", err)
		}
		// Pending: cannot be chosen yet.
		err = e.svc.ChooseWindowTemplate(ctx, e.biz.ID, "order_update", "en_US", onboarding.OrderTemplateParams)
		if v, ok := models.AsInvalid(err); !ok || !strings.Contains(v.Message, "pending") {
			t.Errorf("choosing a pending template: %v", err)
		}
		// Meta approves it by webhook.
		e.deliver(t, "message_template_status_update", `{"event":"APPROVED","message_template_id":`+created.MetaID+
			`,"message_template_name":"order_update","message_template_language":"en_US","reason":"NONE"}`)
		if err := e.svc.ChooseWindowTemplate(ctx, e.biz.ID, "order_update", "en_US", []string{"order_number", "status"}); err == nil {
			t.Error("two sources for three variables accepted")
		}
		if err := e.svc.ChooseWindowTemplate(ctx, e.biz.ID, "order_update", "en_US", onboarding.OrderTemplateParams); err != nil {
			t.Fatal(err)
		}
		biz, _ := e.store.Business(ctx, e.biz.ID)
		if biz.WindowTemplate != "order_update" || biz.TemplateParams != "order_number,status,business_name" {
			t.Errorf("business %+v", biz)
		}
		// Sync shows both templates with their variables.
		ts, err := e.svc.SyncTemplates(ctx, e.biz.ID)
		if err != nil || len(ts) != 2 || ts[0].Name != "hello_world" || ts[0].ParamCount != 1 || ts[1].Status != "PENDING" {
			t.Fatalf("synced %+v %v", ts, err) // the fake still says PENDING: a sync trusts Meta's list
		}
		e.fake.SetTemplateStatus(wabaID, "order_update", "en_US", "APPROVED", "")
		if _, err := e.svc.SyncTemplates(ctx, e.biz.ID); err != nil {
			t.Fatal(err)
		}
		// Paused by Meta: the merchant sees why.
		e.deliver(t, "message_template_status_update", `{"event":"PAUSED","message_template_id":`+created.MetaID+
			`,"message_template_name":"order_update","message_template_language":"en_US","reason":"NONE",
			"other_info":{"title":"FIRST_PAUSE","description":"Paused for 3 hours because of low quality."}}`)
		bs, err := e.svc.Banners(ctx, biz, nil)
		if err != nil || len(bs) != 1 || !strings.Contains(bs[0].Text, "paused the template order_update") ||
			!strings.Contains(bs[0].Text, "low quality") || bs[0].ID != "banner.template_paused" {
			t.Errorf("banners %+v %v", bs, err)
		}
	})
}

func TestProfile_ReadAndEditThroughMeta(t *testing.T) {
	e := newEnv(t, testutil.SQLite)
	p := e.connected(t)
	ctx := context.Background()
	want := whatsapp.BusinessProfile{About: "Pizza since 1999", Address: "1 Main St", Description: "Wood-fired pizza",
		Email: "orders@joes.example", Websites: []string{"https://joes.example"}, Vertical: "RESTAURANT"}
	if err := e.svc.UpdateProfile(ctx, e.biz.ID, p.ID, want); err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.Profile(ctx, e.biz.ID, p.ID)
	if err != nil || got.About != want.About || got.Email != want.Email || got.Vertical != "RESTAURANT" || len(got.Websites) != 1 {
		t.Fatalf("profile %+v %v", got, err)
	}
	for _, bad := range []whatsapp.BusinessProfile{
		{About: strings.Repeat("a", 140)}, {Email: "not-an-email"}, {Websites: []string{"joes.example"}},
		{Websites: []string{"https://a.example", "https://b.example", "https://c.example"}}, {Vertical: "PIZZA"},
	} {
		if err := e.svc.UpdateProfile(ctx, e.biz.ID, p.ID, bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if _, err := e.svc.Profile(ctx, e.biz.ID+1, p.ID); err == nil {
		t.Error("another business read the profile")
	}
	if e.fake.Profile(phoneID).About != want.About {
		t.Error("Meta does not have the profile")
	}
}
