package main

import "testing"

func TestFit(t *testing.T) {
	for _, c := range []struct{ w, h, dw, dh int }{
		{3000, 2000, 1620, 1080}, // the built-in input: height-limited
		{1920, 1080, 1920, 1080},
		{1000, 500, 1000, 500}, // fits already: unchanged
		{4000, 1000, 1920, 480},
		{1000, 4000, 270, 1080},
		{3841, 1, 1920, 1},       // never 0
		{1921, 1081, 1919, 1080}, // 1921*1080/1081 = 1919.2
	} {
		if dw, dh := fit(c.w, c.h); dw != c.dw || dh != c.dh {
			t.Errorf("fit(%d, %d) = %d, %d; want %d, %d", c.w, c.h, dw, dh, c.dw, c.dh)
		}
	}
}
