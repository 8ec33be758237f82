// Package report parses the REPORT line AWS Lambda writes after every
// invocation — in the text log format and in the JSON (platform.report)
// log format — out of an Invoke call's base64 log tail.
package report
