package quorum

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/internal/remote/remotetest"
	"github.com/swarmwiz/swarmwiz/steps/prelude"
	"github.com/swarmwiz/swarmwiz/wizard"
)

func rowsOf(spec ...string) []docker.Node {
	var out []docker.Node
	for _, s := range spec {
		f := strings.Split(s, ":")
		out = append(out, docker.Node{Hostname: f[0], Status: f[1], Availability: "Active", ManagerStatus: f[2]})
	}
	return out
}

// status's verdict: healthy is no error; a node or manager down with the quorum kept is exit 3,
// naming them; too few managers is exit 4.
func TestStatusVerdict(t *testing.T) {
	for _, tc := range []struct {
		rows   []docker.Node
		code   int
		want   string
		silent []string // addresses that did not answer over SSH
		gossip []string // nodes the others' gossip does not reach over UDP
	}{
		{rowsOf("n1:Ready:Leader", "n2:Ready:Reachable", "n3:Ready:Reachable", "n4:Ready:"), 0, "", nil, nil},
		// n4 switched off a moment ago: docker still says Ready, SSH does not answer.
		{rowsOf("n1:Ready:Leader", "n2:Ready:Reachable", "n3:Ready:Reachable", "n4:Ready:"), failure.ExitDegraded, "n4 is down or unreachable", []string{"10.0.0.4"}, nil},
		{rowsOf("n1:Ready:Leader", "n2:Ready:Reachable", "n3:Ready:Reachable", "n4:Down:"), failure.ExitDegraded, "degraded: n4 is down or unreachable; the quorum holds (3 of 3", nil, nil},
		{rowsOf("n1:Down:Unreachable", "n2:Ready:Leader", "n3:Ready:Reachable", "n4:Ready:"), failure.ExitDegraded, "n1 is down", nil, nil},
		{rowsOf("n1:Down:Unreachable", "n2:Down:Unreachable", "n3:Ready:Reachable", "n4:Ready:"), failure.ExitQuorumLost, "quorum lost: 1 of 3 managers reachable, and Raft needs 2", nil, nil},
		// Every node up, n4's 7946/udp dropped: degraded, for that, by name.
		{rowsOf("n1:Ready:Leader", "n2:Ready:Reachable", "n3:Ready:Reachable", "n4:Ready:"), failure.ExitDegraded, "degraded: the others' gossip does not reach n4 over UDP", nil, []string{"n4"}},
		// A node down is said first; the quorum lost before either.
		{rowsOf("n1:Ready:Leader", "n2:Ready:Reachable", "n3:Down:Reachable", "n4:Ready:"), failure.ExitDegraded, "degraded: n3 is down", nil, []string{"n4"}},
		{rowsOf("n1:Ready:Leader", "n2:Down:Unreachable", "n3:Down:Unreachable", "n4:Ready:"), failure.ExitQuorumLost, "quorum lost", nil, []string{"n4"}},
	} {
		for i := range tc.rows {
			tc.rows[i].Addr = fmt.Sprintf("10.0.0.%d", i+1)
		}
		v := statusVerdict(tc.rows, prelude.Health(tc.rows), prelude.SilentRows(&wizard.State{Silent: tc.silent}, tc.rows), tc.gossip)
		switch {
		case tc.code == 0 && v != nil:
			t.Errorf("%v: want healthy, got %v", tc.rows, v)
		case tc.code != 0 && (v == nil || v.Code != tc.code || !strings.Contains(v.Msg, tc.want)):
			t.Errorf("%v: want exit %d with %q, got %+v", tc.rows, tc.code, tc.want, v)
		}
	}
}

// --watch off a terminal prints what changed: a node's status or manager status, a node gone.
func TestWatchChanges(t *testing.T) {
	before := map[string]string{"n1": "Ready Leader", "n2": "Ready Reachable", "n3": "Ready"}
	after := map[string]string{"n1": "Down Unreachable", "n2": "Ready Leader"}
	got := strings.Join(watchChanges(before, after), "|")
	if got != "n1: Down Unreachable|n2: Ready Leader|n3: no longer listed" {
		t.Errorf("got %q", got)
	}
	if len(watchChanges(after, after)) != 0 {
		t.Errorf("no change must print nothing")
	}
}

// With no leader, status reports the managers every node knows, and which of them answer.
func TestLeaderless(t *testing.T) {
	mk := leaderlessNode
	st := &wizard.State{Nodes: []*wizard.Node{mk("n1", "10.0.0.1", true), mk("n4", "10.0.0.4", false)}}
	seen, ok := leaderless(st)
	if !ok || len(seen) != 3 || seen[0] != (managerSeen{"n1", "10.0.0.1", true}) || seen[1].Answers || seen[1].Name != "?" {
		t.Errorf("got %+v %v", seen, ok)
	}
	st.Nodes = st.Nodes[1:]
	if _, ok := leaderless(st); ok {
		t.Errorf("with no manager connected there is nothing to say about quorum")
	}
}

// With no leader, status's JSON names the lost quorum in swarmwiz's words from which managers
// answer, whether docker refused ("does not have a leader") or the request ran out of time;
// docker's own words stay in "dockerError".
func TestLeaderlessJSONWhateverDockerSaid(t *testing.T) {
	mk := leaderlessNode
	for _, cause := range []error{
		errors.New("Error response from daemon: rpc error: code = Unknown desc = The swarm does not have a leader. It's possible that too few managers are online."),
		fmt.Errorf(`node1: docker node ls failed: Get "http://docker/info": %w`, context.DeadlineExceeded),
	} {
		var out bytes.Buffer
		env := &wizard.Env{Out: &out, Err: &out, JSON: &out}
		st := &wizard.State{Nodes: []*wizard.Node{mk("node1", "10.0.0.1", true), mk("node4", "10.0.0.4", false)}}
		err := showLeaderless(env, st, cause)
		var v *failure.StatusError
		if !errors.As(err, &v) || v.Code != failure.ExitQuorumLost {
			t.Errorf("%v: want exit %d, got %v", cause, failure.ExitQuorumLost, err)
		}
		var got struct {
			Error, DockerError string
			QuorumLost         bool
		}
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Fatalf("%v: %s", err, out.String())
		}
		if want := "no leader: the managers cannot elect one, 1 of 3 reachable and Raft needs 2"; got.Error != want || !got.QuorumLost {
			t.Errorf("%v: error %q, quorumLost %v; want %q", cause, got.Error, got.QuorumLost, want)
		}
		if got.DockerError != cause.Error() {
			t.Errorf("docker's own words must stay in dockerError: got %q", got.DockerError)
		}
	}
	// Enough managers answer: an election, not a lost quorum (exit 3), whatever docker said.
	var out bytes.Buffer
	env := &wizard.Env{Out: &out, Err: &out, JSON: &out}
	st := &wizard.State{Nodes: []*wizard.Node{mk("node1", "10.0.0.1", true), mk("node2", "10.0.0.2", true)}}
	var v *failure.StatusError
	if err := showLeaderless(env, st, context.DeadlineExceeded); !errors.As(err, &v) || v.Code != failure.ExitDegraded {
		t.Errorf("two of three answer: want exit %d, got %v", failure.ExitDegraded, err)
	}
}

// --watch with no leader says it once, in swarmwiz's words: a lost quorum when too few
// managers answer, an election when enough do.
func TestWatchLeaderless(t *testing.T) {
	if got := watchLeaderless(1, 3); got != "quorum lost: no leader, 1 of 3 managers answer" {
		t.Errorf("got %q", got)
	}
	if got := watchLeaderless(2, 3); !strings.HasPrefix(got, "no leader yet: 2 of 3 managers answer") {
		t.Errorf("got %q", got)
	}
	if managersIn(map[string]string{"n1": "Ready Leader", "n2": "Down Unreachable", "n3": "Ready Reachable", "n4": "Ready"}) != 3 {
		t.Errorf("managers in the last reading")
	}
}

// Leaving a set of nodes: workers first, then managers, the leader last (given managers
// first, as a learner may type them).
func TestLeaveOrder(t *testing.T) {
	rows := rowsOf("node1:Ready:Leader", "node2:Ready:Reachable", "node3:Ready:Reachable", "node4:Ready:")
	got := strings.Join(leaveOrder(rows, []string{"node1", "node2", "node3", "node4"}), " ")
	if got != "node4 node2 node3 node1" {
		t.Errorf("got %s", got)
	}
}

// leaderlessNode is a connected node of a swarm of three managers (10.0.0.1-3), a manager
// whose docker answers or not.
func leaderlessNode(name, addr string, manager bool) *wizard.Node {
	n := &wizard.Node{Host: addr, Conn: &remotetest.Node{}}
	n.Facts.Hostname, n.Facts.DockerVersion = name, "24.0.7"
	n.Facts.Swarm.NodeAddr, n.Facts.Swarm.ControlAvailable = addr, manager
	n.Facts.Swarm.RemoteManagers = []struct{ NodeID, Addr string }{{"a", "10.0.0.1:2377"}, {"b", "10.0.0.2:2377"}, {"c", "10.0.0.3:2377"}}
	return n
}
