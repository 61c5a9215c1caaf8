package repository

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Modes a database remembers it was used in (see InstanceMode).
const (
	ModeSandbox    = "sandbox"
	ModeProduction = "production"
)

type instanceSetting struct {
	Name  string `gorm:"primaryKey"`
	Value string
}

// InstanceMode is the mode this database was last started in: ModeSandbox, ModeProduction, or "" when no start has
// recorded one yet (a database from before the mode was recorded).
func (s *Store) InstanceMode(ctx context.Context) (string, error) {
	var row instanceSetting
	err := s.db.WithContext(ctx).Table("instance_settings").Where("name = ?", "mode").First(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("load instance mode: %w", err)
	}
	return row.Value, nil
}

// SetInstanceMode records the mode this database is used in.
func (s *Store) SetInstanceMode(ctx context.Context, mode string) error {
	err := s.db.WithContext(ctx).Table("instance_settings").Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "name"}}, DoUpdates: clause.AssignmentColumns([]string{"value"}),
	}).Create(&instanceSetting{Name: "mode", Value: mode}).Error
	if err != nil {
		return fmt.Errorf("record instance mode %s: %w", mode, err)
	}
	return nil
}
