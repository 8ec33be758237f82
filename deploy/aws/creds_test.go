package aws

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmbench/bench/deploy/aws/awstest"
)

// TestNoCredentialsNoNetwork: with no credential source at all the run
// fails at once with a message naming what to set, before anything is
// built, and no request leaves the process — not to the endpoints, not to
// the instance metadata service.
func TestNoCredentialsNoNetwork(t *testing.T) {
	e := newTestEnv(t)
	isolate(t, false)
	_, err := e.run(context.Background(), e.plan(t, fib))
	if !errors.Is(err, ErrNoCredentials) {
		t.Fatalf("Run: err = %v, want ErrNoCredentials", err)
	}
	for _, want := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "aws sso login", "--dry-run"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the message does not name %s: %v", want, err)
		}
	}
	if n := e.tr.n.Load(); n != 0 {
		t.Errorf("%d requests through the SDK's HTTP client, want none", n)
	}
	if n := e.cloud.Requests.Load(); n != 0 {
		t.Errorf("%d requests reached the fake AWS, want none", n)
	}
	if _, err := os.Stat(filepath.Join(e.o.Out, "build")); !os.IsNotExist(err) {
		t.Errorf("something was built before the credentials check: %v", err)
	}
	// Cleanup checks the same way.
	if _, err := Cleanup(context.Background(), CleanupOptions{Region: awstest.Region, Client: e.o.Client}); !errors.Is(err, ErrNoCredentials) {
		t.Errorf("Cleanup: err = %v, want ErrNoCredentials", err)
	}
	if n := e.tr.n.Load() + e.cloud.Requests.Load(); n != 0 {
		t.Errorf("cleanup sent %d requests", n)
	}
}

// TestProfileWithoutCredentials: a config file exists (so the SDK's chain
// runs) but holds no credentials; the chain must not fall through to the
// instance metadata service on a machine that is not EC2.
func TestProfileWithoutCredentials(t *testing.T) {
	if onEC2() {
		t.Skip("this machine is EC2: the instance metadata service is a legitimate source here")
	}
	e := newTestEnv(t)
	isolate(t, false)
	os.Unsetenv("AWS_EC2_METADATA_DISABLED") // the user did not disable it
	cfgFile := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(cfgFile, []byte("[default]\nregion = us-east-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", cfgFile)
	_, err := e.run(context.Background(), e.plan(t, fib))
	if !errors.Is(err, ErrNoCredentials) {
		t.Fatalf("Run: err = %v, want ErrNoCredentials", err)
	}
	if n := e.tr.n.Load() + e.cloud.Requests.Load(); n != 0 {
		t.Errorf("%d requests were sent, want none", n)
	}
}

// TestExpiredCredentials: STS refuses the credentials; the run stops
// before building or creating anything and says what to do.
func TestExpiredCredentials(t *testing.T) {
	e := newTestEnv(t)
	e.cloud.STS.Expired = true
	_, err := e.run(context.Background(), e.plan(t, fib))
	if !errors.Is(err, ErrBadCredentials) || !strings.Contains(err.Error(), "ExpiredToken") || !strings.Contains(err.Error(), "AWS_PROFILE") {
		t.Fatalf("Run: err = %v, want ErrBadCredentials naming ExpiredToken and what to set", err)
	}
	if e.cloud.STS.Calls != 1 {
		t.Errorf("STS called %d times, want once (no retries of a refusal)", e.cloud.STS.Calls)
	}
	if e.cloud.Requests.Load() != 1 {
		t.Errorf("%d requests, want only the STS call", e.cloud.Requests.Load())
	}
	if _, err := os.Stat(filepath.Join(e.o.Out, "build")); !os.IsNotExist(err) {
		t.Errorf("something was built: %v", err)
	}
}

// TestCredentialSources lists sources without touching the network.
func TestCredentialSources(t *testing.T) {
	env := func(m map[string]string) Env { return func(k string) string { return m[k] } }
	home := t.TempDir()
	if got := credentialSources(env(map[string]string{"HOME": home, "AWS_EC2_METADATA_DISABLED": "true"})); len(got) != 0 {
		t.Errorf("empty environment: sources %v", got)
	}
	if got := credentialSources(env(map[string]string{"HOME": home, "AWS_EC2_METADATA_DISABLED": "true", "AWS_ACCESS_KEY_ID": "x"})); len(got) != 1 {
		t.Errorf("keys: sources %v", got)
	}
	if got := credentialSources(env(map[string]string{"HOME": home, "AWS_EC2_METADATA_DISABLED": "false"})); len(got) != 1 || got[0] != "EC2 instance metadata" {
		t.Errorf("metadata forced on: sources %v", got)
	}
	if err := os.MkdirAll(filepath.Join(home, ".aws"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".aws", "credentials"), []byte("[default]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := credentialSources(env(map[string]string{"HOME": home, "AWS_EC2_METADATA_DISABLED": "true"})); len(got) != 1 || !strings.Contains(got[0], "credentials") {
		t.Errorf("shared credentials file: sources %v", got)
	}
}
