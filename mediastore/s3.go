package mediastore

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config names an S3-compatible bucket (AWS S3, MinIO, Cloudflare R2, Backblaze B2, ...).
type S3Config struct {
	Endpoint  string // host[:port], without a scheme
	Bucket    string
	AccessKey string
	SecretKey string
	Region    string // empty: the client asks the store
	UseSSL    bool
}

// S3 keeps files as objects of one bucket, named by key.
type S3 struct {
	client *minio.Client
	bucket string
}

// NewS3 makes the client; it does not contact the store (CheckBucket does).
func NewS3(cfg S3Config) (*S3, error) {
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: cfg.UseSSL,
		Region: cfg.Region,
		// Bounded: a store that is down fails the fetch, which the fetcher retries later by itself.
		MaxRetries: 3,
	})
	if err != nil {
		return nil, fmt.Errorf("mediastore: s3 client for %s: %w", cfg.Endpoint, err)
	}
	return &S3{client: client, bucket: cfg.Bucket}, nil
}

// CheckBucket reports whether the bucket exists and the keys may see it, so a mistake shows at start.
func (s *S3) CheckBucket(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("mediastore: check bucket %s: %w", s.bucket, err)
	}
	if !ok {
		return fmt.Errorf("mediastore: bucket %s does not exist", s.bucket)
	}
	return nil
}

// Put uploads data as the object key.
func (s *S3) Put(ctx context.Context, key string, data []byte, contentType string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	_, err := s.client.PutObject(ctx, s.bucket, key, bytes.NewReader(data), int64(len(data)),
		minio.PutObjectOptions{ContentType: contentType})
	if err != nil {
		return fmt.Errorf("mediastore: put %s: %w", key, err)
	}
	return nil
}

// Open streams the object key.
func (s *S3) Open(ctx context.Context, key string) (io.ReadCloser, int64, error) {
	if err := checkKey(key); err != nil {
		return nil, 0, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, 0, fmt.Errorf("mediastore: get %s: %w", key, err)
	}
	st, err := obj.Stat()
	if err != nil {
		obj.Close()
		if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
			return nil, 0, fmt.Errorf("mediastore: %s: %w", key, ErrNotFound)
		}
		return nil, 0, fmt.Errorf("mediastore: get %s: %w", key, err)
	}
	return obj, st.Size, nil
}

// Delete removes the object key.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("mediastore: delete %s: %w", key, err)
	}
	return nil
}
