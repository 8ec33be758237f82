package aws

import (
	"bytes"
	"context"
	"strings"
	"testing"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/wasmbench/bench/deploy/aws/awstest"
)

// TestBucketTeardownTakesLateUploads: an upload the client gave up on
// lands after teardown listed the bucket (functions measured at once, one
// of them interrupted mid-upload). The bucket would not delete; teardown
// finds the late object under the run's prefix, deletes it and the
// bucket. An object outside the prefix is another run's: the bucket is
// left, and the error says so.
func TestBucketTeardownTakesLateUploads(t *testing.T) {
	for _, outside := range []bool{false, true} {
		e := newTestEnv(t)
		cfg, err := LoadConfig(context.Background(), awstest.Region, e.o.Getenv, e.o.Client)
		if err != nil {
			t.Fatal(err)
		}
		c := newClients(cfg, e.o.Client)
		ctx := context.Background()
		const bucket, prefix = "bench-run1-123456789012-us-east-1", "run1/"
		put := func(key string) {
			if _, err := c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: sdk.String(bucket), Key: sdk.String(key),
				Body: bytes.NewReader([]byte("zip"))}); err != nil {
				t.Error(err)
			}
		}
		if _, err := c.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: sdk.String(bucket)}); err != nil {
			t.Fatal(err)
		}
		put(prefix + "a.zip")
		late := prefix + "late.zip"
		if outside {
			late = "run2/other.zip"
		}
		landed := false
		e.cloud.Faults.OnCall = func(service, op string) {
			if service == "s3" && op == "DELETE bucket" && !landed {
				landed = true
				put(late) // lands before the delete is answered
			}
		}
		var deleted []string
		err = emptyAndDeleteBucket(ctx, c.s3, bucket, prefix, "123456789012", func(k string) { deleted = append(deleted, k) })
		switch {
		case outside && (err == nil || !strings.Contains(err.Error(), "holds objects outside run1/")):
			t.Errorf("an object of another run: err = %v, want the bucket left and said so", err)
		case !outside && err != nil:
			t.Errorf("a late upload of this run: %v", err)
		case !outside && (len(deleted) != 2 || deleted[1] != late):
			t.Errorf("deleted %v, want a.zip and then the late upload", deleted)
		}
	}
}
