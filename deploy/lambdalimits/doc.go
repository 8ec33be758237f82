// Package lambdalimits holds AWS Lambda's documented limits in one
// place: package sizes (zipped, unzipped, image, Lambda@Edge), memory
// sizes, the INIT limit and the function timeout. deploy/aws checks
// plans against them, lambda-local and container-local apply them, and
// the report draws package sizes against them (Packages).
//
// Sources, Lambda developer guide: "Lambda quotas"
// (docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html),
// "Configure Lambda function timeout" and "Lambda execution environment
// lifecycle" (the 10 s INIT phase); CloudFront developer guide, "Quotas
// on Lambda@Edge" (1 MB viewer, 50 MB origin, zipped).
package lambdalimits
