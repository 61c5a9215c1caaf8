package repository

import (
	"context"
	"errors"
	"fmt"

	"github.com/waorder/waorder/models"
	"gorm.io/gorm"
)

// Products lists a business's catalog by category, then sort order and name. onlyAvailable hides unavailable items.
func (s *Store) Products(ctx context.Context, businessID int64, onlyAvailable bool) ([]models.Product, error) {
	q := s.db.WithContext(ctx).Where("business_id = ?", businessID)
	if onlyAvailable {
		q = q.Where("available = ?", true)
	}
	var out []models.Product
	if err := q.Order("category, sort, name, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list products of business %d: %w", businessID, err)
	}
	return out, nil
}

// Product loads one product of a business.
func (s *Store) Product(ctx context.Context, businessID, id int64) (models.Product, error) {
	var p models.Product
	if err := s.db.WithContext(ctx).Where("business_id = ? AND id = ?", businessID, id).First(&p).Error; err != nil {
		return p, fmt.Errorf("load product %d: %w", id, notFound(err))
	}
	return p, nil
}

// ProductsByRetailerID loads a business's products with the given retailer ids, keyed by retailer id.
func (s *Store) ProductsByRetailerID(ctx context.Context, businessID int64, retailerIDs []string) (map[string]models.Product, error) {
	var ps []models.Product
	if len(retailerIDs) > 0 {
		if err := s.db.WithContext(ctx).Where("business_id = ? AND retailer_id IN ?", businessID, retailerIDs).Find(&ps).Error; err != nil {
			return nil, fmt.Errorf("load products by retailer id: %w", err)
		}
	}
	out := make(map[string]models.Product, len(ps))
	for _, p := range ps {
		out[p.RetailerID] = p
	}
	return out, nil
}

// CreateProduct inserts p into its business's catalog; a taken retailer id is models.ErrRetailerIDTaken (an
// ErrConflict).
func (s *Store) CreateProduct(ctx context.Context, p *models.Product) error {
	var n int64
	if err := s.db.WithContext(ctx).Model(&models.Product{}).
		Where("business_id = ? AND retailer_id = ?", p.BusinessID, p.RetailerID).Count(&n).Error; err != nil {
		return fmt.Errorf("create product: %w", err)
	}
	if n > 0 {
		return fmt.Errorf("create product %q: %w", p.RetailerID, models.ErrRetailerIDTaken)
	}
	if err := s.db.WithContext(ctx).Create(p).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) || isUniqueViolation(err) {
			return fmt.Errorf("create product %q: %w", p.RetailerID, models.ErrRetailerIDTaken)
		}
		return fmt.Errorf("create product %q: %w", p.RetailerID, err)
	}
	return nil
}

// UpdateProduct saves every editable field of p (scoped by p.BusinessID); a missing product is models.ErrNotFound.
func (s *Store) UpdateProduct(ctx context.Context, p models.Product) error {
	res := s.db.WithContext(ctx).Model(&models.Product{}).Where("business_id = ? AND id = ?", p.BusinessID, p.ID).
		Updates(map[string]any{"retailer_id": p.RetailerID, "name": p.Name, "description": p.Description,
			"price_minor": p.PriceMinor, "currency": p.Currency, "category": p.Category, "available": p.Available,
			"sort": p.Sort, "updated_at": now()})
	if res.Error != nil {
		if isUniqueViolation(res.Error) {
			return fmt.Errorf("update product %d: %w", p.ID, models.ErrRetailerIDTaken)
		}
		return fmt.Errorf("update product %d: %w", p.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("update product %d: %w", p.ID, models.ErrNotFound)
	}
	return nil
}

// SetProductImage records the product's picture (key "" removes it) and returns the key it replaces, so the caller
// can delete that file.
func (s *Store) SetProductImage(ctx context.Context, businessID, id int64, key, mimeType string) (old string, err error) {
	err = s.Tx(ctx, func(tx *Store) error {
		p, err := tx.Product(ctx, businessID, id)
		if err != nil {
			return err
		}
		old = p.ImageKey
		return tx.db.WithContext(ctx).Model(&models.Product{}).Where("business_id = ? AND id = ?", businessID, id).
			Updates(map[string]any{"image_key": key, "image_type": mimeType, "updated_at": now()}).Error
	})
	if err != nil {
		return "", fmt.Errorf("set picture of product %d: %w", id, err)
	}
	return old, nil
}

// ProductByImageKey finds the business's product whose picture is kept under key.
func (s *Store) ProductByImageKey(ctx context.Context, businessID int64, key string) (models.Product, error) {
	var p models.Product
	if key == "" {
		return p, fmt.Errorf("product picture: %w", models.ErrNotFound)
	}
	if err := s.db.WithContext(ctx).Where("business_id = ? AND image_key = ?", businessID, key).First(&p).Error; err != nil {
		return p, fmt.Errorf("product picture %s: %w", key, notFound(err))
	}
	return p, nil
}

// DeleteProduct removes a product; past orders keep their lines (name and price are copied into them).
func (s *Store) DeleteProduct(ctx context.Context, businessID, id int64) error {
	return s.Tx(ctx, func(tx *Store) error {
		db := tx.db.WithContext(ctx)
		if err := db.Exec("UPDATE order_items SET product_id = NULL WHERE business_id = ? AND product_id = ?", businessID, id).Error; err != nil {
			return fmt.Errorf("delete product %d: %w", id, err)
		}
		res := db.Where("business_id = ? AND id = ?", businessID, id).Delete(&models.Product{})
		if res.Error != nil {
			return fmt.Errorf("delete product %d: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("delete product %d: %w", id, models.ErrNotFound)
		}
		return nil
	})
}
