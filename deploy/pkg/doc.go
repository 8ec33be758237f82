// Package pkg builds what a serverless target deploys — a Lambda zip and an
// OCI image made from scratch without a daemon — from one list of files.
package pkg
