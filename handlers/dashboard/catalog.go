package dashboard

import (
	"errors"
	"strconv"
	"strings"
	"unicode"

	"github.com/gofiber/fiber/v2"
	"github.com/waorder/waorder/handlers/httpx"
	"github.com/waorder/waorder/locale"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/whatsapp"
)

type catalogView struct {
	Products []productRow
	Form     productForm
	Error    string
}

type productRow struct {
	ID                                                      int64
	Name, RetailerID, Description, Category, Price, Picture string
	Available                                               bool
}

// productForm is what the merchant typed, kept as text so a bad value is shown back as typed.
type productForm struct {
	ID                                                   int64
	Name, Price, Category, RetailerID, Sort, Description string
	Currency                                             string
	Available                                            bool
	Categories                                           []string
	Errors                                               map[string]string
}

// catalog lists the products with the add form.
func (d *Handler) catalog(c *fiber.Ctx) error {
	return d.renderCatalog(c, fiber.StatusOK, productForm{Available: true})
}

func (d *Handler) renderCatalog(c *fiber.Ctx, status int, form productForm) error {
	p, _ := principal(c)
	ctx := c.UserContext()
	products, err := d.Merchant.Products(ctx, p.BusinessID)
	if err != nil {
		return d.fail(c, err)
	}
	biz, err := d.business(c)
	if err != nil {
		return d.fail(c, err)
	}
	v := catalogView{}
	seen := map[string]bool{}
	for _, pr := range products {
		v.Products = append(v.Products, productRow{ID: pr.ID, Name: pr.Name, RetailerID: pr.RetailerID, Description: pr.Description,
			Category: pr.Category, Price: money(pr.PriceMinor, pr.Currency), Available: pr.Available, Picture: pictureURL(pr)})
		if pr.Category != "" && !seen[pr.Category] {
			seen[pr.Category] = true
			form.Categories = append(form.Categories, pr.Category)
		}
	}
	form.Currency = biz.Currency
	v.Form = form
	if len(form.Errors) > 0 {
		v.Error = d.printer(c).T("catalog.not_saved")
	}
	return d.render(c, status, "catalog", "catalog", v)
}

// readProductForm parses the posted form into a product of the business; bad values come back as field errors, in
// pr's language.
func readProductForm(c *fiber.Ctx, pr locale.Printer, biz models.Business) (productForm, models.Product) {
	f := productForm{
		Name: strings.TrimSpace(c.FormValue("name")), Price: strings.TrimSpace(c.FormValue("price")),
		Category: strings.TrimSpace(c.FormValue("category")), RetailerID: strings.TrimSpace(c.FormValue("retailer_id")),
		Sort: strings.TrimSpace(c.FormValue("sort")), Description: strings.TrimSpace(c.FormValue("description")),
		Available: c.FormValue("available") == "true", Currency: biz.Currency, Errors: map[string]string{},
	}
	p := models.Product{BusinessID: biz.ID, Name: f.Name, Description: f.Description, Category: f.Category,
		Currency: biz.Currency, Available: f.Available, RetailerID: f.RetailerID}
	if f.Name == "" {
		f.Errors["name"] = pr.T("catalog.error_name")
	}
	if f.Price == "" {
		f.Errors["price"] = pr.T("catalog.error_price")
	} else if minor, err := whatsapp.MinorUnits(strings.ReplaceAll(f.Price, ",", "."), biz.Currency); err != nil {
		f.Errors["price"] = pr.T("catalog.error_price_number")
	} else {
		p.PriceMinor = minor
	}
	if f.Sort != "" {
		n, err := strconv.Atoi(f.Sort)
		if err != nil {
			f.Errors["sort"] = pr.T("catalog.error_sort")
		}
		p.Sort = n
	}
	if p.RetailerID == "" {
		p.RetailerID = slug(f.Name)
	}
	return f, p
}

// slug makes a SKU from a name: "Pizza Margherita" → "pizza-margherita".
func slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// productError turns a service error into a message beside a field, in pr's language; ok is false for errors that
// are not the input's.
func productError(f *productForm, pr locale.Printer, err error) bool {
	if v, ok := models.AsInvalid(err); ok {
		if _, known := map[string]bool{"name": true, "price": true, "category": true, "retailer_id": true,
			"sort": true, "description": true}[v.Field]; known {
			f.Errors[v.Field] = errorText(pr, v)
		} else {
			f.Errors["form"] = errorText(pr, v)
		}
		return true
	}
	if errors.Is(err, models.ErrConflict) {
		f.Errors["retailer_id"] = pr.T("catalog.error_sku_taken")
		return true
	}
	return false
}

// createProduct adds a product; on bad input the page comes back with the messages and what was typed.
func (d *Handler) createProduct(c *fiber.Ctx) error {
	biz, err := d.business(c)
	if err != nil {
		return d.fail(c, err)
	}
	pr := d.printer(c)
	f, prod := readProductForm(c, pr, biz)
	if len(f.Errors) == 0 {
		err = d.Merchant.CreateProduct(c.UserContext(), &prod)
		if err == nil {
			return redirect(c, "/catalog", pr.T("catalog.added_flash", "Name", prod.Name))
		}
		if !productError(&f, pr, err) {
			return d.fail(c, err)
		}
	}
	return d.renderCatalog(c, fiber.StatusUnprocessableEntity, f)
}

// productPage is the edit form of one product, with its picture.
func (d *Handler) productPage(c *fiber.Ctx) error {
	id, ok := httpx.PathID(c)
	if !ok {
		return d.notFound(c)
	}
	return d.renderProduct(c, fiber.StatusOK, id, "")
}

// productView is the product page: the edit form, and the picture with its upload form.
type productView struct {
	Form                  productForm
	Picture, PictureError string
	PictureMaxKB          int64
}

func (d *Handler) renderProduct(c *fiber.Ctx, status int, id int64, pictureError string) error {
	p, _ := principal(c)
	pr, err := d.Merchant.Product(c.UserContext(), p.BusinessID, id)
	if err != nil {
		return d.fail(c, err)
	}
	f := productForm{ID: pr.ID, Name: pr.Name, Category: pr.Category, RetailerID: pr.RetailerID, Description: pr.Description,
		Price: majorUnits(pr.PriceMinor, pr.Currency), Sort: strconv.Itoa(pr.Sort), Available: pr.Available,
		Currency: pr.Currency}
	return d.render(c, status, "product", "catalog", productView{Form: f, Picture: pictureURL(pr),
		PictureError: pictureError, PictureMaxKB: d.pictureMaxKB()})
}

// updateProduct saves the edit form.
func (d *Handler) updateProduct(c *fiber.Ctx) error {
	id, ok := httpx.PathID(c)
	if !ok {
		return d.notFound(c)
	}
	p, _ := principal(c)
	ctx := c.UserContext()
	existing, err := d.Merchant.Product(ctx, p.BusinessID, id)
	if err != nil {
		return d.fail(c, err)
	}
	biz, err := d.business(c)
	if err != nil {
		return d.fail(c, err)
	}
	biz.Currency = existing.Currency // a product keeps the currency it was priced in
	pr := d.printer(c)
	f, prod := readProductForm(c, pr, biz)
	f.ID, prod.ID = id, id
	if len(f.Errors) == 0 {
		if err = d.Merchant.UpdateProduct(ctx, prod); err == nil {
			return redirect(c, "/catalog", pr.T("catalog.saved_flash", "Name", prod.Name))
		}
		if !productError(&f, pr, err) {
			return d.fail(c, err)
		}
	}
	return d.render(c, fiber.StatusUnprocessableEntity, "product", "catalog", productView{Form: f, Picture: pictureURL(existing),
		PictureMaxKB: d.pictureMaxKB()})
}

// setAvailability marks a product available or unavailable: unavailable products leave the WhatsApp menu.
func (d *Handler) setAvailability(c *fiber.Ctx) error {
	id, ok := httpx.PathID(c)
	if !ok {
		return d.notFound(c)
	}
	p, _ := principal(c)
	ctx := c.UserContext()
	pr, err := d.Merchant.Product(ctx, p.BusinessID, id)
	if err != nil {
		return d.fail(c, err)
	}
	pr.Available = c.FormValue("available") == "true"
	if err := d.Merchant.UpdateProduct(ctx, pr); err != nil {
		return d.fail(c, err)
	}
	msg := "catalog.unavailable_flash"
	if pr.Available {
		msg = "catalog.available_flash"
	}
	return redirect(c, "/catalog", d.printer(c).T(msg, "Name", pr.Name))
}

// deleteProduct removes a product; past orders keep their lines. Only owners may: staff can mark a product
// unavailable instead.
func (d *Handler) deleteProduct(c *fiber.Ctx) error {
	id, ok := httpx.PathID(c)
	if !ok {
		return d.notFound(c)
	}
	p, _ := principal(c)
	if p.Role != models.RoleOwner {
		return d.ownersOnly(c, "catalog", "catalog.delete_owner_only")
	}
	if err := d.Merchant.DeleteProduct(c.UserContext(), p.BusinessID, id); err != nil {
		return d.fail(c, err)
	}
	return redirect(c, "/catalog", d.printer(c).T("catalog.deleted_flash"))
}
