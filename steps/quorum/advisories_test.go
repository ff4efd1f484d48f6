package quorum

import (
	"strings"
	"testing"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/remote/remotetest"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// status says which managers are locked and which certificates expire within 14 days or
// have expired, computed against the clock it is given.
func TestAdvisories(t *testing.T) {
	now := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	locked := &wizard.Node{Host: "10.0.0.2", Conn: &remotetest.Node{}}
	locked.Facts.Hostname = "node2"
	locked.Facts.Swarm.LocalNodeState = "locked"
	st := &wizard.State{Nodes: []*wizard.Node{locked}, LabName: "e2e"}
	got := strings.Join(advisories(st, time.Hour, []CertInfo{
		{Node: "node1", Expires: now.Add(59 * time.Minute)},
		{Node: "node3", Expires: now.Add(-time.Hour)},
		{Node: "node4", Expires: now.Add(30 * 24 * time.Hour)},
	}, now), "\n")
	for _, want := range []string{
		"node2 is locked", "swarmwiz unlock --lab e2e", "This swarm's certificates last 1h",
		"node1's swarm certificate expires in 59m (2026-11-30 10:59 UTC)",
		"node3's swarm certificate expired at 2026-11-30 09:00 UTC", "docker swarm leave --force",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("advisories lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "node4") {
		t.Errorf("a certificate 30 days away is no news:\n%s", got)
	}
}
