package document

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/store"
)

// Embedded keeps objects in the application's PostgreSQL (table
// document_blobs): nothing more to run for `make dev` and the tests, one
// backup for records and contents, and every API replica sees the same
// objects. Fine for a center's scans; large deployments use S3.
func Embedded(st *store.Store) Objects { return embedded{st} }

type embedded struct{ st *store.Store }

func (e embedded) Put(ctx context.Context, key string, data []byte) error {
	return e.st.PutBlob(ctx, key, data)
}

func (e embedded) Get(ctx context.Context, key string) ([]byte, error) { return e.st.GetBlob(ctx, key) }

func (e embedded) Delete(ctx context.Context, key string) error { return e.st.DeleteBlob(ctx, key) }

// S3Config is an S3-compatible bucket (config: MOTCUA_S3_*).
type S3Config struct {
	// Endpoint is host:port of the service (no scheme), e.g.
	// s3.ap-southeast-1.amazonaws.com or 10.0.0.5:9000.
	Endpoint string
	// Insecure talks plain HTTP (a service on a private network or the
	// tests' local server); default HTTPS.
	Insecure  bool
	Region    string
	Bucket    string
	AccessKey string
	SecretKey string
	// Prefix is prepended to every object key (several deployments in one
	// bucket), e.g. "motcua/".
	Prefix string
}

// S3 keeps objects in an S3-compatible bucket.
type S3 struct {
	c      *minio.Client
	bucket string
	prefix string
}

// NewS3 returns the bucket's client. It does not connect: Check does (the
// API starts while its dependencies are down, and answers 503 meanwhile).
func NewS3(cfg S3Config) (*S3, error) {
	if cfg.Endpoint == "" || cfg.Bucket == "" {
		return nil, errors.New("document: S3 storage needs MOTCUA_S3_ENDPOINT and MOTCUA_S3_BUCKET")
	}
	if strings.Contains(cfg.Endpoint, "://") {
		return nil, fmt.Errorf("document: MOTCUA_S3_ENDPOINT is host:port without a scheme, not %q (MOTCUA_S3_INSECURE=true for plain HTTP)", cfg.Endpoint)
	}
	c, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: !cfg.Insecure,
		Region: cfg.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("document: S3 client: %w", err)
	}
	return &S3{c: c, bucket: cfg.Bucket, prefix: cfg.Prefix}, nil
}

// Check connects and checks that the bucket exists; it does not create it
// (a bucket's policy, versioning and lifecycle are the operator's).
func (s *S3) Check(ctx context.Context) error {
	ok, err := s.c.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("document: S3 bucket %s at %s: %w", s.bucket, s.c.EndpointURL().Host, err)
	}
	if !ok {
		return fmt.Errorf("document: S3 bucket %s does not exist at %s; create it first", s.bucket, s.c.EndpointURL().Host)
	}
	return nil
}

// Put uploads an object (one PUT: objects are at most a file's limit).
func (s *S3) Put(ctx context.Context, key string, data []byte) error {
	_, err := s.c.PutObject(ctx, s.bucket, s.prefix+key, bytes.NewReader(data), int64(len(data)),
		minio.PutObjectOptions{ContentType: "application/octet-stream"})
	return err
}

// Get downloads an object; a missing one is ENotFound.
func (s *S3) Get(ctx context.Context, key string) ([]byte, error) {
	obj, err := s.c.GetObject(ctx, s.bucket, s.prefix+key, minio.GetObjectOptions{})
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	data, err := io.ReadAll(obj)
	if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
		return nil, dossier.Errorf(dossier.ENotFound, "no stored object %s", key)
	}
	return data, err
}

// Delete removes an object; a missing one is no error (S3 semantics).
func (s *S3) Delete(ctx context.Context, key string) error {
	return s.c.RemoveObject(ctx, s.bucket, s.prefix+key, minio.RemoveObjectOptions{})
}

// Count is the number of objects under the configured prefix (tests check
// that a refused upload leaves none behind; operators compare it with
// the records).
func (s *S3) Count(ctx context.Context) (int, error) {
	n := 0
	for obj := range s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix, Recursive: true}) {
		if obj.Err != nil {
			return n, obj.Err
		}
		n++
	}
	return n, nil
}
