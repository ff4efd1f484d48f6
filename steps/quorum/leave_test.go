package quorum

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/internal/remote/remotetest"
	"github.com/swarmwiz/swarmwiz/steps/stepstest"
)

// Removing a manager when quorum would be lost is refused without --force, and nothing runs.
func TestLeaveRefusesQuorumLoss(t *testing.T) {
	nodes := stepstest.FakeCluster(4)
	nodes["10.0.0.1"].Replies["API GET /nodes"] = remotetest.Reply{Out: stepstest.APINodes(`id1 n1 ready active leader`,
		`id2 n2 ready active reachable`, `id3 n3 down active unreachable`)}
	env, _ := stepstest.TestEnv(nil, nodes, false)
	st := stepstest.HostsState(2)
	for i, n := range st.Nodes {
		n.Conn = nodes[n.Host]
		n.Facts.Hostname = fmt.Sprintf("n%d", i+1)
		n.Facts.Swarm.ControlAvailable = true
	}
	err := (LeaveNodes{Names: []string{"n2"}}).Run(context.Background(), env, st)
	if failure.Code(err) != failure.ExitUsage || !strings.Contains(err.Error(), "refusing to remove manager n2") {
		t.Fatalf("got %v", err)
	}
	for _, c := range append(nodes["10.0.0.1"].Commands(), nodes["10.0.0.2"].Commands()...) {
		t.Errorf("ran %q despite the refusal", c)
	}
	for _, r := range append(nodes["10.0.0.1"].APIRequests(), nodes["10.0.0.2"].APIRequests()...) {
		if !strings.HasPrefix(r, "GET ") {
			t.Errorf("asked %q despite the refusal", r)
		}
	}
}
