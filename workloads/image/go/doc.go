// Command image is the image workload in Go: JPEG on stdin, resized to fit
// 1920x1080, JPEG quality 85 on stdout.
package main
