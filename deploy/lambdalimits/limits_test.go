package lambdalimits

import "testing"

func TestFor(t *testing.T) {
	names := func(ls []Limit) (s []string) {
		for _, l := range ls {
			s = append(s, l.Name)
		}
		return s
	}
	if got := names(For("image")); len(got) != 1 || got[0] != "image" {
		t.Errorf("image limits: %v", got)
	}
	zip := names(For("zip"))
	if len(zip) != 4 || zip[0] != "Lambda@Edge viewer" || zip[3] != "unzipped" {
		t.Errorf("zip limits: %v", zip)
	}
	// One of each figure of the table, as the quotas page states it.
	for _, l := range Packages {
		if l.Bytes <= 0 || l.What == "" {
			t.Errorf("%s: bytes %d, what %q", l.Name, l.Bytes, l.What)
		}
	}
	if EdgeViewerZipBytes != 1<<20 || ImageBytes != 10<<30 || MaxMemoryMB != 10240 {
		t.Error("a limit changed")
	}
}
