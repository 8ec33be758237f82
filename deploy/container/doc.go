// Package container is the container-local target: a task's Lambda
// function package built into an OCI image from scratch and run, one
// container per execution environment, by Docker or runc under the
// lambdalocal Runtime API host.
package container
