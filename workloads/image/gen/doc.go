// Command gen writes the image workload's input, a deterministic photo-like
// 3000x2000 JPEG.
package main
