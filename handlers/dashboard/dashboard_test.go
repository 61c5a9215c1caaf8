package dashboard

import (
	"encoding/json"
	"io/fs"
	"net/url"
	"path"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/waorder/waorder/locale"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/web"
)

// Pages are parsed when first rendered, so this is where a page that does not parse is found: every page, in
// every language, and the ones the handlers name exist.
func TestDashboard_EveryPageParsesInEveryLanguage(t *testing.T) {
	d := &Handler{}
	if err := d.load(); err != nil {
		t.Fatal(err)
	}
	names, err := pageNames()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	for _, p := range []string{"login", "orders", "order", "stats", "catalog", "product", "settings", "simulator", "error",
		"account", "inbox", "print"} {
		if !have[p] {
			t.Errorf("no page template %s", p)
		}
	}
	for _, lang := range locale.Languages() {
		for _, n := range names {
			first, err := d.page(lang, n)
			if err != nil {
				t.Errorf("%s in %s: %v", n, lang, err)
				continue
			}
			if again, _ := d.page(lang, n); again != first {
				t.Errorf("%s in %s was parsed twice", n, lang)
			}
		}
	}
	if _, err := d.page("en", "no-such-page"); err == nil {
		t.Error("a page without a template rendered")
	}
	if len(d.asset) != 10 {
		t.Errorf("asset version %q", d.asset)
	}
}

func TestPager_LinksKeepFiltersAndWindow(t *testing.T) {
	p := newPager("/", url.Values{"status": {"pending"}}, 5, 20, 200)
	if p.Pages != 10 || p.From != 81 || p.To != 100 {
		t.Fatalf("pager %+v", p)
	}
	var got []string
	for _, l := range p.Links {
		switch {
		case l.Gap:
			got = append(got, "…")
		case l.Current:
			got = append(got, "["+strconv.Itoa(l.Page)+"]")
		default:
			got = append(got, strconv.Itoa(l.Page))
		}
	}
	if s := strings.Join(got, " "); s != "1 … 3 4 [5] 6 7 … 10" {
		t.Fatalf("links %s", s)
	}
	if p.Prev != "/?page=4&status=pending" || p.Next != "/?page=6&status=pending" {
		t.Fatalf("prev %s next %s", p.Prev, p.Next)
	}
	if first := newPager("/", url.Values{}, 2, 20, 60); first.Prev != "/" {
		t.Fatalf("page 1 link %q", first.Prev)
	}
	if empty := newPager("/", nil, 1, 20, 0); empty.Pages != 0 || empty.Next != "" || empty.From != 0 {
		t.Fatalf("empty %+v", empty)
	}
}

func TestChart_ScalesToRoundNumbers(t *testing.T) {
	for _, tt := range []struct {
		v    int64
		want int64
	}{{0, 300}, {1, 300}, {250, 300}, {301, 600}, {20900, 30000}, {59999, 60000}, {60001, 150000}} {
		if got := niceCeil(tt.v, "EUR"); got != tt.want {
			t.Errorf("niceCeil(%d) = %d, want %d", tt.v, got, tt.want)
		}
	}
	if got := niceCeil(1000, "JPY"); got != 1500 {
		t.Errorf("JPY: %d", got)
	}
	ch := newChart([]models.DayStat{{Day: "2026-01-01", RevenueMinor: 0}, {Day: "2026-01-02", RevenueMinor: 15000, Orders: 3}}, "EUR", locale.For("en"))
	if len(ch.Bars) != 2 || ch.Bars[0].H != 0 || ch.Bars[1].H != chartBottom-chartTop {
		t.Fatalf("bars %+v", ch.Bars)
	}
	if ch.Grid[3].Label != "150" || ch.Grid[1].Label != "50" || !strings.Contains(ch.Bars[1].Title, "EUR 150.00, 3 orders") {
		t.Fatalf("labels %+v %q", ch.Grid, ch.Bars[1].Title)
	}
	if newChart(nil, "EUR", locale.For("en")) != nil {
		t.Fatal("a chart of nothing")
	}
}

func TestOpeningHours_FromDayFieldsAndExceptionDays(t *testing.T) {
	f := settingsForm{Days: []dayHours{{"mon", "Monday", "09:00-14:00, 18:00 - 22:00"}, {"fri", "Friday", "18:00-02:00"}, {"tue", "Tuesday", ""}},
		Exceptions: "2026-12-25 closed\n2026-12-31 18:00-03:00"}
	got, err := openingHours(f)
	want := `{"exceptions":{"2026-12-25":[],"2026-12-31":[["18:00","03:00"]]},"fri":[["18:00","02:00"]],"mon":[["09:00","14:00"],["18:00","22:00"]]}`
	if err != nil || got != want {
		t.Fatalf("%s %v", got, err)
	}
	for _, bad := range []string{"9-5", "09:00", "25:00-26:00", "09:00-14:00;", "09:00-09:00", "09:00-14:00, 13:00-15:00"} {
		f.Days[0].Value = bad
		if _, err := openingHours(f); err == nil || !strings.Contains(err.Error(), "Monday") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	f.Days[0].Value, f.Exceptions = "09:00-14:00", "Christmas closed"
	if _, err := openingHours(f); err == nil || !strings.HasPrefix(hoursErrorText(locale.For("en"), err), "Exception days, line 1: ") {
		t.Errorf("bad exception: %v", err)
	}
	f.AlwaysOpen = true
	if got, err := openingHours(f); got != "" || err != nil {
		t.Fatalf("always open: %q %v", got, err)
	}
	back := formFromBusiness(models.Business{OpeningHours: `{"sat":[["10:00","23:00"]],"exceptions":{"2026-12-24":[]}}`})
	if back.AlwaysOpen || back.Days[5].Value != "10:00-23:00" || back.Days[0].Value != "" || back.Exceptions != "2026-12-24 closed\n" {
		t.Fatalf("form %+v", back)
	}
}

func TestOutboundView_ReadsButtonsAndLists(t *testing.T) {
	buttons := `{"messaging_product":"whatsapp","type":"interactive","interactive":{"type":"button","header":{"type":"text","text":"Your cart"},
		"body":{"text":"2× Margherita"},"action":{"buttons":[{"type":"reply","reply":{"id":"checkout","title":"Checkout"}},
		{"type":"reply","reply":{"id":"more","title":"Add more"}}]}}}`
	v := outboundView(locale.For("en"), models.OutboundMessage{ID: 7, Payload: buttons, Status: models.OutDelivered})
	if v.Text != "2× Margherita" || v.Header != "Your cart" || len(v.Buttons) != 2 || v.Buttons[0].ID != "checkout" ||
		v.Choices != "Checkout · Add more" || v.Status != "delivered" || v.ID != "out-7" {
		t.Fatalf("%+v", v)
	}
	list := `{"type":"interactive","interactive":{"type":"list","body":{"text":"Our menu"},"action":{"button":"Menu",
		"sections":[{"title":"Pizza","rows":[{"id":"product:1","title":"Margherita","description":"EUR 9.50"}]}]}}}`
	v = outboundView(locale.For("en"), models.OutboundMessage{Payload: list, Status: models.OutFailed, LastError: "131047: re-engagement"})
	if len(v.Sections) != 1 || v.Sections[0].Rows[0].Description != "EUR 9.50" || v.Error == "" {
		t.Fatalf("%+v", v)
	}
	v = outboundView(locale.For("en"), models.OutboundMessage{Payload: `{"type":"text","text":{"body":"Hello"}}`, Summary: "greeting"})
	if v.Text != "Hello" {
		t.Fatalf("%+v", v)
	}
	if v = outboundView(locale.For("en"), models.OutboundMessage{Payload: "not json", Summary: "kept"}); v.Text != "kept" {
		t.Fatalf("%+v", v)
	}
}

func TestSimulator_BuildsMetaShapedWebhooks(t *testing.T) {
	m, err := simMessage("15550100001", "", "list", "product:42", "Margherita")
	if err != nil {
		t.Fatal(err)
	}
	body, err := simWebhook(models.PhoneNumber{MetaPhoneID: "106540352242922", WABAID: "1022", DisplayPhoneNumber: "15550783881"},
		"15550100001", "Sim", m)
	if err != nil {
		t.Fatal(err)
	}
	var w struct {
		Entry []struct {
			Changes []struct {
				Value struct {
					Metadata struct {
						PhoneNumberID string `json:"phone_number_id"`
					} `json:"metadata"`
					Messages []struct {
						From, ID, Type string
						Interactive    struct {
							Type      string
							ListReply struct{ ID, Title string } `json:"list_reply"`
						}
					} `json:"messages"`
				} `json:"value"`
			} `json:"changes"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		t.Fatal(err)
	}
	v := w.Entry[0].Changes[0].Value
	msg := v.Messages[0]
	if v.Metadata.PhoneNumberID != "106540352242922" || msg.Type != "interactive" || msg.Interactive.Type != "list_reply" ||
		msg.Interactive.ListReply.ID != "product:42" || !strings.HasPrefix(msg.ID, "wamid.SIM") || msg.From != "15550100001" {
		t.Fatalf("%s", body)
	}
	if _, err := simMessage("1", "   ", "", "", ""); err == nil {
		t.Fatal("an empty text was accepted")
	}
}

func TestNextActions_PickupIsHandedOver(t *testing.T) {
	got := nextActions(locale.For("en"), models.Order{Status: models.StatusReady, Fulfillment: models.FulfillPickup})
	if len(got) != 2 || got[0].Value != "delivered" || got[0].Label != "Mark picked up" || !got[1].Cancel {
		t.Fatalf("%+v", got)
	}
	if got := nextActions(locale.For("es"), models.Order{Status: models.StatusDelivered}); len(got) != 0 {
		t.Fatalf("%+v", got)
	}
}

func TestSlug(t *testing.T) {
	if got := slug("  Pizza Margherita (Large)! "); got != "pizza-margherita-large" {
		t.Fatal(got)
	}
}

func TestClock_WritesDatesInTheBusinessLanguageAndZone(t *testing.T) {
	now := time.Date(2026, time.December, 2, 23, 30, 0, 0, time.UTC)
	lisbon, madrid := localOf(models.Business{Timezone: "Europe/Lisbon", Language: "pt"}), localOf(models.Business{Timezone: "Europe/Madrid", Language: "es"})
	for _, tc := range []struct {
		name string
		got  string
		want string
	}{
		{"today: the time alone", clock(now.Add(-time.Hour), lisbon, now), "22:30"},
		{"this year, in Madrid's zone: already the next day", clock(now.AddDate(0, -1, 0), madrid, now), "3 nov, 00:30"},
		{"an earlier year", clock(now.AddDate(-1, 0, 0), lisbon, now), "2 dez 2025, 23:30"},
		{"the full time in a tooltip", fullTime(now, madrid), "jue 3 dic 2026, 00:30 CET"},
		{"a day without its time", day(now, lisbon), "2 dez 2026"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}

// pageNames lists the pages the templates hold: every template but the layout and the partials.
func pageNames() ([]string, error) {
	files, err := fs.Glob(web.Templates, "templates/*.html")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, f := range files {
		if name := strings.TrimSuffix(path.Base(f), ".html"); name != "layout" && name != "partials" {
			names = append(names, name)
		}
	}
	return names, nil
}
