package aws

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// ErrNoCredentials means no credential source exists at all; nothing was
// sent anywhere.
var ErrNoCredentials = errors.New("no AWS credentials found")

// ErrBadCredentials means credentials exist but AWS (or the credential
// provider) refused them: expired, revoked or malformed.
var ErrBadCredentials = errors.New("AWS credentials were refused")

// credentialsHelp says what to set; every credential error ends with it.
const credentialsHelp = "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (plus AWS_SESSION_TOKEN for temporary keys), " +
	"or AWS_PROFILE for a profile in ~/.aws/config (aws configure, or aws configure sso then aws sso login); " +
	"on EC2, ECS or EKS the instance or task role is used; bench deploy aws --dry-run needs no credentials"

// Identity is who the credentials belong to.
type Identity struct {
	Account string
	ARN     string
	UserID  string
}

// Env reads the process environment; tests pass their own.
type Env func(string) string

// credentialSources lists the places the SDK's default chain could find
// credentials, looking only at the environment and the file system: no
// network. On EC2 (or when AWS_EC2_METADATA_DISABLED is explicitly false)
// the instance metadata service counts as one.
func credentialSources(getenv Env) []string {
	var src []string
	if getenv("AWS_ACCESS_KEY_ID") != "" || getenv("AWS_SECRET_ACCESS_KEY") != "" {
		src = append(src, "environment (AWS_ACCESS_KEY_ID)")
	}
	if p := getenv("AWS_PROFILE"); p != "" {
		src = append(src, "AWS_PROFILE="+p)
	} else if p := getenv("AWS_DEFAULT_PROFILE"); p != "" {
		src = append(src, "AWS_DEFAULT_PROFILE="+p)
	}
	if getenv("AWS_WEB_IDENTITY_TOKEN_FILE") != "" {
		src = append(src, "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)")
	}
	if getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") != "" || getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI") != "" {
		src = append(src, "container credentials (ECS/EKS)")
	}
	home := getenv("HOME")
	for _, f := range []struct{ env, def string }{
		{"AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials"},
		{"AWS_CONFIG_FILE", ".aws/config"},
	} {
		p := getenv(f.env)
		if p == "" && home != "" {
			p = filepath.Join(home, f.def)
		}
		if p == "" {
			continue
		}
		if st, err := os.Stat(p); err == nil && st.Size() > 0 {
			src = append(src, "shared file "+p)
		}
	}
	if imdsAllowed(getenv) {
		src = append(src, "EC2 instance metadata")
	}
	return src
}

// imdsAllowed says whether asking the EC2 instance metadata service makes
// sense: on EC2 (the DMI tables say Amazon), or when the user forces it
// with AWS_EC2_METADATA_DISABLED=false. Elsewhere the probe would only
// send packets to a link-local address and wait for them to time out.
func imdsAllowed(getenv Env) bool {
	switch strings.ToLower(getenv("AWS_EC2_METADATA_DISABLED")) {
	case "true":
		return false
	case "false":
		return true
	}
	return onEC2()
}

// dmiFiles are read to recognise EC2 (Nitro and Xen instances).
var dmiFiles = []string{"/sys/devices/virtual/dmi/id/sys_vendor", "/sys/devices/virtual/dmi/id/bios_vendor",
	"/sys/hypervisor/uuid", "/sys/devices/virtual/dmi/id/product_uuid"}

func onEC2() bool {
	for _, f := range dmiFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		s := strings.ToLower(strings.TrimSpace(string(b)))
		if strings.Contains(s, "amazon") || strings.HasPrefix(s, "ec2") {
			return true
		}
	}
	return false
}

// LoadConfig loads the SDK configuration for region from the standard
// chain (environment, shared config and credentials files, SSO, web
// identity, container and instance roles). When no credential source
// exists at all it returns ErrNoCredentials without any network call.
// The EC2 metadata service is only consulted on EC2.
func LoadConfig(ctx context.Context, region string, getenv Env, o ClientOptions) (sdk.Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if len(credentialSources(getenv)) == 0 {
		return sdk.Config{}, fmt.Errorf("%w (nothing in the environment, no ~/.aws/credentials or ~/.aws/config, not on EC2): %s",
			ErrNoCredentials, credentialsHelp)
	}
	opts := []func(*config.LoadOptions) error{config.WithRegion(region)}
	if !imdsAllowed(getenv) {
		opts = append(opts, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	}
	if o.HTTPClient != nil {
		opts = append(opts, config.WithHTTPClient(o.HTTPClient))
	}
	opts = append(opts, config.WithRetryer(o.retryer))
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return sdk.Config{}, fmt.Errorf("load AWS configuration: %w (%s)", err, credentialsHelp)
	}
	if cfg.Region == "" {
		return sdk.Config{}, fmt.Errorf("%w: pass --region, set AWS_REGION, or set region in your profile in ~/.aws/config", ErrNoRegion)
	}
	return cfg, nil
}

// CheckCredentials retrieves the credentials and asks STS who they belong
// to: the one call made before anything is built or created. Missing,
// expired or invalid credentials come back as ErrNoCredentials or
// ErrBadCredentials with what to do.
func CheckCredentials(ctx context.Context, cfg sdk.Config, o ClientOptions) (Identity, error) {
	if cfg.Credentials == nil {
		return Identity{}, fmt.Errorf("%w: %s", ErrNoCredentials, credentialsHelp)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return Identity{}, ctx.Err()
		}
		return Identity{}, fmt.Errorf("%w: could not load them: %v; %s", ErrNoCredentials, err, credentialsHelp)
	}
	if creds.CanExpire && !creds.Expires.IsZero() && creds.Expired() {
		return Identity{}, fmt.Errorf("%w: they expired at %s (source %s); %s", ErrBadCredentials,
			creds.Expires.Format("2006-01-02 15:04:05 MST"), creds.Source, credentialsHelp)
	}
	out, err := newClients(cfg, o).sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		if ctx.Err() != nil {
			return Identity{}, ctx.Err()
		}
		var ae smithy.APIError
		if errors.As(err, &ae) {
			if optInRegions[cfg.Region] && isCode(err, "InvalidClientTokenId", "UnrecognizedClientException") {
				if rerr := regionRefused(ctx, cfg, o, ae); rerr != nil {
					return Identity{}, rerr
				}
			}
			switch ae.ErrorCode() {
			case "ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "SignatureDoesNotMatch",
				"UnrecognizedClientException", "InvalidAccessKeyId", "AccessDenied", "AccessDeniedException":
				return Identity{}, fmt.Errorf("%w by STS (%s: %s; source %s); %s", ErrBadCredentials,
					ae.ErrorCode(), ae.ErrorMessage(), creds.Source, credentialsHelp)
			}
		}
		return Identity{}, fmt.Errorf("check AWS credentials with STS GetCallerIdentity: %w", err)
	}
	return Identity{Account: sdk.ToString(out.Account), ARN: sdk.ToString(out.Arn), UserID: sdk.ToString(out.UserId)}, nil
}

// regionRefused asks STS in a region every account has whether it takes
// the credentials an opt-in region refused: if it does, the region is not
// enabled (or the token is one only default regions take), and the error
// says so instead of blaming the credentials. nil: they are refused there
// too.
func regionRefused(ctx context.Context, cfg sdk.Config, o ClientOptions, ae smithy.APIError) error {
	p, ok := partitionOf(cfg.Region)
	if !ok || p.defaultRegion == cfg.Region {
		return nil
	}
	other := cfg.Copy()
	other.Region = p.defaultRegion
	out, err := newClients(other, o).sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil
	}
	return fmt.Errorf("%w: %s refused the credentials (%s: %s) that %s accepts for account %s: "+
		"%s is an opt-in region, so either it is not enabled for the account — enable it in the AWS console "+
		"(account menu, AWS Regions) or with `aws account enable-region --region-name %s` and wait until it is enabled — "+
		"or the credentials are a session token from the global STS endpoint, which only default regions take "+
		"(`aws iam set-security-token-service-preferences --global-endpoint-token-version v2Token`, or get the token from a regional endpoint)",
		ErrRegionNotEnabled, cfg.Region, ae.ErrorCode(), ae.ErrorMessage(), p.defaultRegion, sdk.ToString(out.Account),
		cfg.Region, cfg.Region)
}
