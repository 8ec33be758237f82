package cli

import (
	"fmt"
	"strconv"
	"strings"
)

// listFlag collects repeated and comma-separated values.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, x := range strings.Split(v, ",") {
		if x = strings.TrimSpace(x); x != "" {
			*l = append(*l, x)
		}
	}
	return nil
}

// repeatFlag collects repeated values as given (no comma splitting).
type repeatFlag []string

func (r *repeatFlag) String() string     { return strings.Join(*r, " ") }
func (r *repeatFlag) Set(v string) error { *r = append(*r, v); return nil }

// parseBytes reads sizes like 512MiB, 2GiB, 64M, 1048576.
func parseBytes(s string) (int64, error) {
	t := strings.TrimSpace(strings.ToUpper(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.m
			break
		}
	}
	n, err := strconv.ParseFloat(t, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a size (e.g. 256MiB, 1GiB)", s)
	}
	return int64(n * float64(mult)), nil
}

// memorySizes reads a --memory list: sizes in MB (a trailing MB is
// allowed).
func memorySizes(l listFlag) ([]int, error) {
	var out []int
	for _, s := range l {
		n, err := strconv.Atoi(strings.TrimSuffix(strings.ToUpper(s), "MB"))
		if err != nil {
			return nil, fmt.Errorf("%q is not a number of MB", s)
		}
		out = append(out, n)
	}
	return out, nil
}
