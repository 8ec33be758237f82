package aws

import (
	"errors"
	"strings"

	"github.com/aws/smithy-go"
)

func asAPIError(err error, ae *smithy.APIError) bool { return errors.As(err, ae) }

// isCode reports whether err is an AWS API error with one of the codes.
func isCode(err error, codes ...string) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	for _, c := range codes {
		if ae.ErrorCode() == c {
			return true
		}
	}
	return false
}

// isNotFound reports whether a delete found nothing to delete.
func isNotFound(err error) bool {
	return isCode(err, "ResourceNotFoundException", "NoSuchEntity", "RepositoryNotFoundException",
		"NoSuchBucket", "NotFound", "NoSuchKey", "404")
}

// isRoleNotReady is CreateFunction's answer while a new role has not yet
// propagated through IAM.
func isRoleNotReady(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidParameterValueException" {
		return false
	}
	m := strings.ToLower(ae.ErrorMessage())
	return strings.Contains(m, "cannot be assumed") || strings.Contains(m, "role") && strings.Contains(m, "assume")
}
