package config

import (
	"fmt"
	"path/filepath"
	"strings"
)

// MediaFolder is where media is kept when no S3 bucket is configured: MEDIA_DIR, or DATA_DIR/media.
func (c Config) MediaFolder() string {
	if c.MediaDir != "" {
		return c.MediaDir
	}
	return filepath.Join(c.DataDir, "media")
}

// MediaS3 reports whether media goes to an S3-compatible bucket (MEDIA_S3_ENDPOINT is set).
func (c Config) MediaS3() bool { return c.MediaS3Endpoint != "" }

func (c Config) validateMedia() []error {
	var errs []error
	bad := func(key, why string) { errs = append(errs, fmt.Errorf("%s %s", key, why)) }
	if c.MediaMaxBytes < 1<<10 || c.MediaMaxBytes > 100<<20 {
		bad("MEDIA_MAX_BYTES", "must be between 1024 and 104857600 (100 MiB, WhatsApp's largest document)")
	}
	if !c.MediaS3() {
		if c.MediaDir == "" && c.DataDir == "" {
			bad("MEDIA_DIR", "is required when DATA_DIR is empty and no MEDIA_S3_ENDPOINT is set")
		}
		return errs
	}
	if strings.Contains(c.MediaS3Endpoint, "://") || strings.Contains(c.MediaS3Endpoint, "/") {
		bad("MEDIA_S3_ENDPOINT", "must be host[:port] without a scheme or path, like s3.amazonaws.com (MEDIA_S3_USE_SSL picks https)")
	}
	for key, val := range map[string]string{"MEDIA_S3_BUCKET": c.MediaS3Bucket, "MEDIA_S3_ACCESS_KEY": c.MediaS3AccessKey,
		"MEDIA_S3_SECRET_KEY": c.MediaS3SecretKey} {
		if val == "" {
			bad(key, "is required when MEDIA_S3_ENDPOINT is set")
		}
	}
	return errs
}
