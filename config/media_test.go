package config

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestLoad_MediaDefaultsToAFolderInTheDataDir(t *testing.T) {
	c, err := Load(env(map[string]string{"DATA_DIR": "/srv/wa"}), "")
	if err != nil {
		t.Fatal(err)
	}
	if c.MediaS3() || c.MediaFolder() != filepath.Join("/srv/wa", "media") || c.MediaMaxBytes != 16<<20 {
		t.Fatalf("media defaults: s3=%v folder=%q max=%d", c.MediaS3(), c.MediaFolder(), c.MediaMaxBytes)
	}
	c, err = Load(env(map[string]string{"MEDIA_DIR": "/mnt/media"}), "")
	if err != nil || c.MediaFolder() != "/mnt/media" {
		t.Fatalf("MEDIA_DIR: %q, %v", c.MediaFolder(), err)
	}
}

func TestLoad_MediaS3NeedsItsBucketAndKeys(t *testing.T) {
	_, err := Load(env(map[string]string{"MEDIA_S3_ENDPOINT": "s3.example.com"}), "")
	for _, key := range []string{"MEDIA_S3_BUCKET", "MEDIA_S3_ACCESS_KEY", "MEDIA_S3_SECRET_KEY"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("error %v does not name %s", err, key)
		}
	}
	c, err := Load(env(map[string]string{"MEDIA_S3_ENDPOINT": "s3.example.com", "MEDIA_S3_BUCKET": "b",
		"MEDIA_S3_ACCESS_KEY": "a", "MEDIA_S3_SECRET_KEY": "s", "MEDIA_S3_USE_SSL": "false"}), "")
	if err != nil || !c.MediaS3() || c.MediaS3UseSSL {
		t.Fatalf("complete S3 settings: s3=%v ssl=%v, %v", c.MediaS3(), c.MediaS3UseSSL, err)
	}
}

func TestLoad_BadMediaValuesAreNamed(t *testing.T) {
	for _, e := range []map[string]string{
		{"MEDIA_MAX_BYTES": "10"},
		{"MEDIA_S3_ENDPOINT": "https://s3.example.com", "MEDIA_S3_BUCKET": "b", "MEDIA_S3_ACCESS_KEY": "a", "MEDIA_S3_SECRET_KEY": "s"},
	} {
		_, err := Load(env(e), "")
		for k := range e {
			if k != "MEDIA_S3_BUCKET" && k != "MEDIA_S3_ACCESS_KEY" && k != "MEDIA_S3_SECRET_KEY" &&
				(err == nil || !strings.Contains(err.Error(), k)) {
				t.Errorf("%v: error %v does not name %s", e, err, k)
			}
		}
	}
}
