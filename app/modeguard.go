package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/waorder/waorder/config"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
)

// guardMode keeps sandbox mode, whose keys are public, off a database that serves production. The database records
// the mode it is used in: a production start marks it production for good; a sandbox start is refused on a
// database marked production, or, on one that recorded no mode yet (from before this check), on one holding any
// business but the sandbox's demo business.
func guardMode(ctx context.Context, cfg config.Config, store *repository.Store) error {
	mode, err := store.InstanceMode(ctx)
	if err != nil {
		return err
	}
	if !cfg.Sandbox {
		if mode == repository.ModeProduction {
			return nil
		}
		return store.SetInstanceMode(ctx, repository.ModeProduction)
	}
	refuse := func(why string) error {
		return fmt.Errorf("sandbox mode refuses this database: %s. Sandbox mode uses public keys and a public "+
			"login; start it on an empty database (another DATA_DIR or DATABASE_URL), or set the production keys", why)
	}
	switch mode {
	case repository.ModeSandbox:
		return nil
	case repository.ModeProduction:
		return refuse("it has served production")
	}
	demo := int64(0)
	if p, err := store.PhoneNumberByMetaID(ctx, SandboxMetaPhoneID); err == nil {
		demo = p.BusinessID
	} else if !errors.Is(err, models.ErrNotFound) {
		return err
	}
	bs, err := store.Businesses(ctx)
	if err != nil {
		return err
	}
	for _, b := range bs {
		if b.ID != demo {
			return refuse(fmt.Sprintf("it holds business %d (%q), which is not the sandbox's", b.ID, b.Name))
		}
	}
	return store.SetInstanceMode(ctx, repository.ModeSandbox)
}
