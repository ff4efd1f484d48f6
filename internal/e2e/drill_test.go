//go:build linux

package e2e

import (
	"regexp"
	"strings"
	"testing"
)

// `drill --yes` on the 7-node lab runs every lesson, prints the measured election time, and
// leaves the swarm healthy with 3 managers.
func TestDrillUnattended(t *testing.T) {
	nodes := sharedLab(t)
	createSeed(t)
	r := swarmwiz(t, "drill", "--lab", labName, "--yes")
	if r.code != 0 {
		t.Fatalf("drill: %s", r)
	}
	// Each lesson's prediction is what the learner then sees, in that lesson's part of the output.
	lessons := regexp.MustCompile(`(?m)^Lesson \d:`).Split(r.out, -1)
	if len(lessons) != 5 {
		t.Fatalf("want 4 lessons:\n%s", r.out)
	}
	for i, want := range [][]string{
		{"was elected leader", "the swarm accepted a change"},
		{"is back as Reachable"},
		{"as expected, the swarm refused a change"},
		// Lesson 3 kept the manager the workers joined through: recover promotes two of them,
		// as lesson 4 predicts, with no warning, and the drill ends done.
		{"new cluster forced on", "promoted to manager", "Drill done"},
	} {
		for _, w := range want {
			if !strings.Contains(lessons[i+1], w) {
				t.Errorf("lesson %d: its prediction says %q, which it did not show:\n%s", i+1, w, lessons[i+1])
			}
		}
	}
	for _, bad := range []string{"a manager that is gone", "not 3"} {
		if strings.Contains(lessons[4], bad) {
			t.Errorf("lesson 4 predicted 3 managers, and then said %q:\n%s", bad, lessons[4])
		}
	}
	m := regexp.MustCompile(`was elected leader ([0-9.]+)s after node\d stopped`).FindStringSubmatch(r.out)
	if m == nil {
		t.Errorf("no measured election time:\n%s", r.out)
	} else {
		t.Logf("election took %ss", m[1])
	}
	code, st := statusCode(t)
	up := 0
	for _, n := range st["nodes"].([]any) {
		if ms := n.(map[string]any)["managerStatus"]; ms == "Leader" || ms == "Reachable" {
			up++
		}
	}
	if code != 0 || up != 3 || len(st["nodes"].([]any)) != len(nodes) {
		t.Errorf("after the drill: status exit %d, %d managers up, %d nodes: %v", code, up, len(st["nodes"].([]any)), st)
	}
	if r := swarmwiz(t, "drill", "--host", nodes[0].Address, "--yes"); r.code != 2 || !strings.Contains(r.err, "practice lab only") {
		t.Errorf("drill off a lab must refuse: %s", r)
	}
}

// The interactive drill, through its first lesson in a terminal: it says what to expect,
// waits for the learner, and shows the new leader with the time the election took.
func TestDrillInteractiveFirstLesson(t *testing.T) {
	nodes := sharedLab(t)
	createSeed(t)
	// The leader the lesson stops is started again for the next test (a running node is left
	// as it is).
	t.Cleanup(func() {
		for _, n := range nodes {
			runOut(bin, "lab", "start", "--name", labName, n.Name)
		}
	})
	s := startPTY(t, nil, "drill", "--lab", labName)
	s.expect("Lesson 1:")
	s.expect("Go on with lesson 1?")
	s.send("y", keyEnter)
	s.expect("was elected leader")
	s.expect("the swarm accepted a change")
	s.expect("Go on with lesson 2?")
	s.send("n", keyEnter)
	if code := s.wait(); code != 2 || !strings.Contains(s.text(), "the drill stopped before lesson 2") {
		t.Errorf("declining lesson 2: exit %d\n%s", code, s.text())
	}
}
