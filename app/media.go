package app

import (
	"context"
	"fmt"
	"time"

	"github.com/waorder/waorder/config"
	"github.com/waorder/waorder/mediastore"
)

// openMediaStore opens where media is kept: the S3-compatible bucket MEDIA_S3_* names (checked now, so a wrong
// name or key stops the start), else the local folder MEDIA_DIR (default DATA_DIR/media). close releases it.
func openMediaStore(ctx context.Context, cfg config.Config) (store mediastore.Store, close func(), err error) {
	if cfg.MediaS3() {
		s3, err := mediastore.NewS3(mediastore.S3Config{Endpoint: cfg.MediaS3Endpoint, Bucket: cfg.MediaS3Bucket,
			AccessKey: cfg.MediaS3AccessKey, SecretKey: cfg.MediaS3SecretKey, Region: cfg.MediaS3Region,
			UseSSL: cfg.MediaS3UseSSL})
		if err != nil {
			return nil, nil, fmt.Errorf("media store: %w", err)
		}
		cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		if err := s3.CheckBucket(cctx); err != nil {
			return nil, nil, fmt.Errorf("media store (MEDIA_S3_ENDPOINT %s): %w", cfg.MediaS3Endpoint, err)
		}
		return s3, func() {}, nil
	}
	local, err := mediastore.NewLocal(cfg.MediaFolder())
	if err != nil {
		return nil, nil, fmt.Errorf("media store (MEDIA_DIR): %w", err)
	}
	return local, func() { local.Close() }, nil
}
