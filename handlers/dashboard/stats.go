package dashboard

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/waorder/waorder/locale"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/whatsapp"
)

type statsView struct {
	Periods            []period
	Orders             int64
	Revenue, AvgBasket string
	Chart              *chart
	ByStatus           []statusCount
}

type period struct {
	Days    int
	Label   string
	Current bool
}

type statusCount struct {
	Status  string
	Count   int64
	Percent int
}

// stats shows today, the last 7 or the last 30 days: orders, revenue, average basket, orders by status, and
// revenue per day as an SVG chart drawn here (no chart script).
func (d *Handler) stats(c *fiber.Ctx) error {
	p, _ := principal(c)
	days := c.QueryInt("days", 7)
	if days != 1 && days != 30 {
		days = 7
	}
	ctx := c.UserContext()
	st, err := d.Merchant.Stats(ctx, p.BusinessID, days)
	if err != nil {
		return d.fail(c, err)
	}
	biz, err := d.business(c)
	if err != nil {
		return d.fail(c, err)
	}
	v := statsView{Orders: st.Orders, Revenue: money(st.RevenueMinor, biz.Currency), AvgBasket: money(st.AvgBasketMinor, biz.Currency)}
	pr := d.printer(c)
	for _, pd := range []period{{1, pr.T("stats.today"), false}, {7, pr.T("stats.days", "N", 7), false}, {30, pr.T("stats.days", "N", 30), false}} {
		pd.Current = pd.Days == days
		v.Periods = append(v.Periods, pd)
	}
	var most int64
	for _, s := range models.OrderStatuses {
		most = max(most, st.ByStatus[s])
	}
	for _, s := range models.OrderStatuses {
		if n := st.ByStatus[s]; n > 0 {
			v.ByStatus = append(v.ByStatus, statusCount{Status: string(s), Count: n, Percent: int(n * 100 / most)})
		}
	}
	v.Chart = newChart(st.Daily, biz.Currency, d.printer(c))
	return d.render(c, fiber.StatusOK, "stats", "stats", v)
}

// chart is a bar chart's geometry in SVG user units; the template only places what is computed here.
type chart struct {
	Width, Height int
	Grid          []gridLine
	Bars          []bar
	XLabels       []axisLabel
}

type gridLine struct {
	X1, X2, Y, LX, LY int
	Label             string
}

type bar struct {
	X, Y, W, H int
	Title      string
}

type axisLabel struct {
	X, Y  int
	Label string
}

// The chart's frame in SVG units: narrow enough that its labels stay readable when a phone scales it down.
const (
	chartW, chartH             = 480, 232
	chartLeft, chartRight      = 52, 472
	chartTop, chartBottom      = 12, 198
	chartXLabelY, chartMaxBars = 218, 31
)

// newChart draws revenue per day. The y axis goes to a round number above the best day, with three grid lines.
func newChart(daily []models.DayStat, currency string, p locale.Printer) *chart {
	if len(daily) == 0 {
		return nil
	}
	if len(daily) > chartMaxBars {
		daily = daily[len(daily)-chartMaxBars:]
	}
	var top int64
	for _, dday := range daily {
		top = max(top, dday.RevenueMinor)
	}
	top = niceCeil(top, currency)
	ch := &chart{Width: chartW, Height: chartH}
	plotH := chartBottom - chartTop
	for i := 0; i <= 3; i++ {
		y := chartBottom - plotH*i/3
		ch.Grid = append(ch.Grid, gridLine{X1: chartLeft, X2: chartRight, Y: y, LX: chartLeft - 6, LY: y + 4,
			Label: shortMoney(top*int64(i)/3, currency)})
	}
	slot := (chartRight - chartLeft) / len(daily)
	w := max(slot*7/10, 2)
	every := (len(daily) + 6) / 7 // at most about 7 day labels
	for i, dday := range daily {
		h := int(int64(plotH) * dday.RevenueMinor / top)
		if dday.RevenueMinor > 0 {
			h = max(h, 2)
		}
		x := chartLeft + slot*i + (slot-w)/2
		day, _ := time.Parse("2006-01-02", dday.Day)
		ch.Bars = append(ch.Bars, bar{X: x, Y: chartBottom - h, W: w, H: h,
			Title: p.T("stats.bar_title", "Date", p.Date(day, locale.DateWeekdayDay), "Revenue", money(dday.RevenueMinor, currency),
				"Orders", dday.Orders)})
		if i%every == 0 || len(daily) == 1 {
			ch.XLabels = append(ch.XLabels, axisLabel{X: x + w/2, Y: chartXLabelY, Label: p.Date(day, locale.DateDay)})
		}
	}
	return ch
}

// niceCeil rounds v (minor units) up to 3, 6 or 15 times a power of ten major units, so the three grid lines fall
// on round numbers (1, 2, 5 times a power of ten).
func niceCeil(v int64, currency string) int64 {
	unit := int64(1)
	for range whatsapp.CurrencyExponent(currency) {
		unit *= 10
	}
	for step := unit; ; step *= 10 {
		for _, m := range []int64{3, 6, 15} {
			if step*m >= v {
				return step * m
			}
		}
	}
}

// shortMoney is an axis label: whole major units, with k/M for big numbers.
func shortMoney(minor int64, currency string) string {
	unit := int64(1)
	for range whatsapp.CurrencyExponent(currency) {
		unit *= 10
	}
	major := minor / unit
	switch {
	case major >= 1_000_000:
		return strconv.FormatFloat(float64(major)/1e6, 'f', -1, 64) + "M"
	case major >= 10_000:
		return strconv.FormatInt(major/1000, 10) + "k"
	}
	return strconv.FormatInt(major, 10)
}
