package merchant_test

import (
	"context"
	"strings"
	"testing"

	"github.com/waorder/waorder/cache"
	"github.com/waorder/waorder/merchant"
	"github.com/waorder/waorder/merchant/merchanttest"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/testutil"
)

func validBusiness() models.Business {
	return models.Business{ID: 1, Name: "Cafe", Currency: "eur", Timezone: "Europe/Lisbon", Fulfillment: models.FulfillBoth,
		OpeningHours: `{"mon":[["09:00","14:00"],["18:00","22:00"]],"sun":[]}`, WindowTemplate: "order_update",
		TemplateLanguage: "pt_BR", MinOrderMinor: 500}
}

func TestValidateSettings_AcceptsAndNormalises(t *testing.T) {
	b := validBusiness()
	b.Name = "  Cafe  "
	if err := merchant.ValidateSettings(&b); err != nil {
		t.Fatal(err)
	}
	if b.Name != "Cafe" || b.Currency != "EUR" {
		t.Fatalf("not normalised: %q %q", b.Name, b.Currency)
	}
	for _, hours := range []string{"", " ", `{}`, `{"sat":[["00:00","23:59"]]}`} {
		b := validBusiness()
		b.OpeningHours = hours
		if err := merchant.ValidateSettings(&b); err != nil {
			t.Errorf("hours %q: %v", hours, err)
		}
	}
}

func TestValidateSettings_NamesTheBadField(t *testing.T) {
	cases := []struct {
		field string
		edit  func(*models.Business)
	}{
		{"name", func(b *models.Business) { b.Name = " " }},
		{"currency", func(b *models.Business) { b.Currency = "euro" }},
		{"currency", func(b *models.Business) { b.Currency = "E1R" }},
		{"min_order", func(b *models.Business) { b.MinOrderMinor = -1 }},
		{"timezone", func(b *models.Business) { b.Timezone = "Mars/Base" }},
		{"fulfillment", func(b *models.Business) { b.Fulfillment = "drone" }},
		{"opening_hours", func(b *models.Business) { b.OpeningHours = "9 to 5" }},
		{"opening_hours", func(b *models.Business) { b.OpeningHours = `{"monday":[["09:00","17:00"]]}` }},
		{"opening_hours", func(b *models.Business) { b.OpeningHours = `{"mon":[["9:00","17:00"]]}` }},
		{"opening_hours", func(b *models.Business) { b.OpeningHours = `{"mon":[["09:00","24:00"]]}` }},
		{"opening_hours", func(b *models.Business) { b.OpeningHours = `{"mon":[["22:00","22:00"]]}` }},
		{"opening_hours", func(b *models.Business) { b.OpeningHours = `{"mon":[["09:00"]]}` }},
		{"opening_hours", func(b *models.Business) { b.OpeningHours = `["09:00","17:00"]` }},
		{"window_template", func(b *models.Business) { b.WindowTemplate = "Order Update" }},
		{"template_language", func(b *models.Business) { b.TemplateLanguage = "English" }},
		{"delivery_fee", func(b *models.Business) { b.DeliveryFeeMinor = -1 }},
		{"free_delivery_over", func(b *models.Business) { b.FreeDeliveryOverMinor = -100 }},
		{"language", func(b *models.Business) { b.Language = "fr" }},
	}
	for _, tc := range cases {
		b := validBusiness()
		tc.edit(&b)
		v, ok := models.AsInvalid(merchant.ValidateSettings(&b))
		if !ok || v.Field != tc.field || v.Message == "" {
			t.Errorf("%+v: got %+v, want field %s", b, v, tc.field)
		}
	}
}

func TestUpdateSettings_RejectsBadHoursAndKeepsTheOldOnes(t *testing.T) {
	s := testutil.SQLite(t)
	ctx := context.Background()
	seeded := merchanttest.Seed(t, s, "A", 0)
	svc := merchant.New(s, cache.NewMemory(100), nil, nil)
	b, err := svc.Business(ctx, seeded.Business.ID)
	if err != nil {
		t.Fatal(err)
	}
	b.OpeningHours = `{"mon":[["09:00","17:00"]]}`
	if err := svc.UpdateSettings(ctx, b); err != nil {
		t.Fatal(err)
	}
	b.OpeningHours = `{"mon":[["09:00","17:00"],["16:00","23:00"]]}`
	if v, ok := models.AsInvalid(svc.UpdateSettings(ctx, b)); !ok || v.Field != "opening_hours" || !strings.Contains(v.Message, "overlaps") {
		t.Fatalf("overlapping ranges: %+v", v)
	}
	if got, _ := s.Business(ctx, b.ID); got.OpeningHours != `{"mon":[["09:00","17:00"]]}` {
		t.Fatalf("stored hours %q", got.OpeningHours)
	}
}
