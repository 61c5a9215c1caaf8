package merchant

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/whatsapp"
)

// Limits of an export: a period is at most a year and at most maxExportRows orders (a longer one is refused with a
// reason, never cut short silently).
const (
	maxExportDays = 366
	maxExportRows = 50_000
)

// ExportHeader is the first row of an orders CSV.
var ExportHeader = []string{"number", "created_at", "status", "customer", "wa_id", "items", "items_total", "delivery_fee", "total",
	"currency", "fulfillment", "address", "note", "ready_at", "cancel_reason", "source"}

// ExportPeriod reads an export's dates (YYYY-MM-DD, both included, in the business's time zone) as [from, to).
func ExportPeriod(biz models.Business, fromDate, toDate string) (time.Time, time.Time, error) {
	loc := biz.Location()
	from, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(fromDate), loc)
	if err != nil {
		return from, from, models.Invalid("from", "pick a start date")
	}
	to, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(toDate), loc)
	if err != nil {
		return from, to, models.Invalid("to", "pick an end date")
	}
	switch {
	case to.Before(from):
		return from, to, models.Invalid("to", "the end date is before the start date")
	case to.Sub(from) > maxExportDays*24*time.Hour:
		return from, to, models.Invalid("to", "export at most a year at a time")
	}
	return from, to.AddDate(0, 0, 1), nil
}

// ExportOrders writes the business's orders created from fromDate to toDate (see ExportPeriod) as CSV, oldest
// first, times in the business's zone, money in major units. Cells a spreadsheet would run as a formula are quoted
// with a leading apostrophe.
func (s *Service) ExportOrders(ctx context.Context, w io.Writer, bizID int64, fromDate, toDate string) error {
	biz, err := s.Business(ctx, bizID)
	if err != nil {
		return err
	}
	from, to, err := ExportPeriod(biz, fromDate, toDate)
	if err != nil {
		return err
	}
	orders, err := s.store.OrdersBetween(ctx, bizID, from, to, maxExportRows+1)
	if err != nil {
		return err
	}
	if len(orders) > maxExportRows {
		return models.Invalid("to", fmt.Sprintf("more than %d orders in this period: pick a shorter one", maxExportRows))
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(ExportHeader); err != nil {
		return fmt.Errorf("export orders: %w", err)
	}
	loc := biz.Location()
	for _, o := range orders {
		if err := cw.Write(exportRow(o, loc)); err != nil {
			return fmt.Errorf("export orders: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("export orders: %w", err)
	}
	return nil
}

func exportRow(o models.Order, loc *time.Location) []string {
	var name, waID string
	if o.Customer != nil {
		name, waID = o.Customer.Name, o.Customer.WaID
	}
	items := make([]string, len(o.Items))
	for i, it := range o.Items {
		items[i] = fmt.Sprintf("%d x %s", it.Quantity, it.Name)
	}
	ready := ""
	if o.ReadyAt != nil {
		ready = o.ReadyAt.In(loc).Format("2006-01-02 15:04")
	}
	money := func(m int64) string { return majorUnits(m, o.Currency) }
	row := []string{strconv.FormatInt(o.Number, 10), o.CreatedAt.In(loc).Format("2006-01-02 15:04"), string(o.Status), name, waID,
		strings.Join(items, "; "), money(models.ItemsTotal(o.Items)), money(o.DeliveryFeeMinor), money(o.TotalMinor), o.Currency,
		string(o.Fulfillment), o.Address, o.Note, ready, o.CancelReason, o.Source}
	for i, cell := range row {
		row[i] = safeCell(cell)
	}
	return row
}

// safeCell keeps a spreadsheet from running a cell a customer typed ("=HYPERLINK(…)") as a formula.
func safeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// majorUnits is an amount without its currency code ("12.50").
func majorUnits(minor int64, currency string) string {
	return strings.TrimPrefix(whatsapp.FormatMoney(minor, currency), strings.ToUpper(strings.TrimSpace(currency))+" ")
}

// Customers lists the business's customers with their orders and whether their thread waits, most recent first.
func (s *Service) Customers(ctx context.Context, bizID int64) ([]repository.CustomerSummary, error) {
	return s.store.CustomerSummaries(ctx, bizID, 500)
}
