// Package lambdareport formats and parses the REPORT line AWS Lambda
// writes after every invocation, in the text log format and in the JSON
// (platform.report) log format: lambda-local writes its REPORT lines with
// it, and the aws target reads them with it out of an Invoke call's base64
// log tail. It is the only code in the tree that parses REPORT lines.
package lambdareport
