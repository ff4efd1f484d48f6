package check

import (
	"strings"
	"testing"
)

// Gossip's UDP, from what each node's docker logged: the node every other reader warns about
// is the one whose own 7946/udp drops (its fix, its warnings about the others not counted);
// a lone warning is a note, said as seen, that fails nothing and guesses no firewall; two
// nodes alone cannot tell whose side drops, and are noted as a pair both ways.
func TestGossipFindings(t *testing.T) {
	names := []string{"n1", "n2", "n3", "n4"}
	byName := byHostname(targetsOf(names, nil))
	read := func(ns ...string) map[string]bool {
		m := map[string]bool{}
		for _, n := range ns {
			m[n] = true
		}
		return m
	}
	for _, c := range []struct {
		name   string
		g      gossipRead
		want   []string
		absent []string
		count  int // problems
		notes  int
	}{
		{"healthy", gossipRead{read: read(names...)}, nil, nil, 0, 0},
		{"n4's 7946/udp dropped", gossipRead{read: read(names...), seconds: 9, udpFailed: map[string][]string{
			"n1": {"n4"}, "n2": {"n4"}, "n3": {"n4"}, "n4": {"n1", "n2", "n3"}}},
			[]string{`n4: gossip's UDP does not reach it: docker on n1, n2 and n3 logged memberlist's "Was able to connect to … but other probes failed" for n4 in both readings (9 s`,
				"7946/udp is dropped on its way into n4. Fix: open 7946/udp on n4: iptables -I INPUT -p udp --dport 7946 -j ACCEPT"},
			[]string{"n4 → n1", "n1 → n4"}, 1, 0},
		{"one way only", gossipRead{read: read(names...), seconds: 9, udpFailed: map[string][]string{"n3": {"n4"}}},
			[]string{"n3 → n4: docker on n3 logged", "look at what is between them", "too busy to answer"},
			[]string{"Fix: open", "drops"}, 0, 1},
		{"two readers cannot tell whose side", gossipRead{read: read("n1", "n2"), seconds: 9, udpFailed: map[string][]string{"n1": {"n2"}, "n2": {"n1"}}},
			[]string{"n1 → n2: docker on n1 logged", "n2 → n1: docker on n2 logged"}, []string{"Fix: open"}, 0, 2},
		{"a log that could not be read is not counted", gossipRead{read: read("n1", "n2", "n4"), seconds: 9, udpFailed: map[string][]string{
			"n1": {"n4"}, "n2": {"n4"}, "n4": {"n1", "n2"}}},
			[]string{"n4: gossip's UDP does not reach it: docker on n1 and n2 logged"}, []string{"n4 → n1"}, 1, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			problems, fixes, notes := gossipFindings(c.g, byName)
			out := strings.Join(append(append(problems, fixes...), notes...), "\n")
			if len(problems) != c.count || len(notes) != c.notes {
				t.Errorf("want %d problems and %d notes, got %q and %q", c.count, c.notes, problems, notes)
			}
			saysOnly(t, out, c.want, c.absent)
		})
	}
}
