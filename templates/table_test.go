package templates

import (
	"strings"
	"testing"
)

// Columns line up by display width whatever the cells hold: a 30-character hostname, the
// long OS name, Hangul (two columns a syllable); a short row fills the last columns.
func TestTableAlignsByDisplayWidth(t *testing.T) {
	header := []string{"NODE", "ROLE", "OS", "DOCKER"}
	rows := [][]string{
		{"swarm-worker-01.example.lan.kr", "manager", "Debian GNU/Linux 12 (bookworm)", "20.10.24"},
		{"n2", "워커", "CentOS Linux 7 (Core)", "24.0.7"},
		{"노드3", "매니저 (in)", "Rocky Linux 9.3 (Blue Onyx)", "25.0.3"},
		{"fix: a continuation"},
	}
	lines := strings.Split(Table(header, rows), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d lines:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	// Where each column starts, in terminal columns, must be the same on every full line.
	starts := func(line string, cells []string) []int {
		var out []int
		pos := 0
		rest := line
		for _, c := range cells {
			i := strings.Index(rest, c)
			if i < 0 {
				t.Fatalf("%q not in %q", c, line)
			}
			pos += Width(rest[:i])
			out = append(out, pos)
			pos += Width(c)
			rest = rest[i+len(c):]
		}
		return out
	}
	want := starts(lines[0], header)
	for i, r := range rows[:3] {
		if got := starts(lines[i+1], r); !equal(got, want) {
			t.Errorf("row %d starts its columns at %v, the header at %v:\n%s", i+1, got, want, strings.Join(lines, "\n"))
		}
	}
	if got := Width(lines[4][:strings.Index(lines[4], "fix:")]); got != want[3] {
		t.Errorf("the continuation starts at %d, want %d (the last column)", got, want[3])
	}
	for _, l := range lines {
		if strings.HasSuffix(l, " ") {
			t.Errorf("trailing space: %q", l)
		}
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
