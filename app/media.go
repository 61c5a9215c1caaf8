package app

import (
	"context"
	"fmt"
	"strings"
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

// pictureFormOverhead is what an upload form carries beside the picture itself (boundaries, headers, the CSRF token).
const pictureFormOverhead = 64 << 10

// pictureCap is the largest product picture the dashboard takes: MEDIA_MAX_BYTES, but no more than fits in a
// request body of WEBHOOK_BODY_LIMIT (which bounds every request, the upload form's too) — 3 MB less the form by
// default — so the merchant is told the real limit instead of meeting a bare 413. merchant.MaxPictureBytes (Meta's
// 5 MB) caps it further.
func pictureCap(cfg config.Config) int64 {
	return min(cfg.MediaMaxBytes, int64(cfg.BodyLimitBytes)-pictureFormOverhead)
}

// picturesURL is the address Meta fetches product pictures under for the item message's image header: PUBLIC_URL
// + "/p/". In sandbox mode without PUBLIC_URL it is the service's own address (own), which the built-in fake and
// the simulator reach; in production without PUBLIC_URL item messages go without pictures, as Meta can only fetch
// a public https address.
func picturesURL(cfg config.Config, own string) string {
	base := strings.TrimRight(cfg.PublicURL, "/")
	if base == "" && cfg.Sandbox {
		base = own
	}
	if base == "" {
		return ""
	}
	return base + "/p/"
}
