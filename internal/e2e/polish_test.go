//go:build linux

package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// create --quiet off a terminal prints nothing but the result: one line.
func TestCreateQuietPrintsOnlyTheResult(t *testing.T) {
	sharedLab(t)
	r := createSeed(t, "--quiet")
	out := strings.TrimSpace(r.out)
	if strings.Count(out, "\n") != 0 || !strings.HasPrefix(out, "Your swarm is ready: 7 nodes; 3 managers: quorum 2") {
		t.Errorf("want one result line, got:\n%s", r)
	}
}

// Steps are numbered as they run: a skipped step leaves no gap.
func TestStepNumbersConsecutive(t *testing.T) {
	sharedLab(t)
	r := createSeed(t, "--managers", "1")
	want := 1
	for _, line := range strings.Split(r.out, "\n") {
		var n int
		var rest string
		if len(line) > 0 && line[0] == '[' {
			if c, _ := fmtSscanf(line, &n, &rest); c >= 1 {
				if n != want {
					t.Errorf("step %d where %d was due: %q\n%s", n, want, line, r.out)
				}
				want = n + 1
			}
		}
	}
	if want < 5 {
		t.Errorf("only %d steps seen:\n%s", want-1, r.out)
	}
}

func fmtSscanf(line string, n *int, rest *string) (int, error) {
	return fmt.Sscanf(line, "[%d] %s", n, rest)
}
