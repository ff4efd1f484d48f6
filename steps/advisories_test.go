package steps

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/docker"
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

// An unlock key is a secret like a join token: masked wherever tokens are.
func TestUnlockKeyMasked(t *testing.T) {
	s := docker.MaskToken("key SWMKEY-1-7c37Cc8654o6p38HnroywCi19pllOnGtbdZEgtKxZu8 and SWMTKN-1-abc-def")
	if s != "key SWMKEY-1-**** and SWMTKN-1-****" {
		t.Errorf("masked: %q", s)
	}
}

// On a VMware guest the wizard suggests another VXLAN port and asks; a node on a 10.x network
// gets a pool proposed; off a terminal, autolock without a key file is refused before anything
// changes.
func TestInitChoices(t *testing.T) {
	st := hostsState(2)
	for i, n := range st.Nodes {
		n.Facts.Hostname = "n" + string(rune('1'+i))
		n.Facts.NICDrivers = []string{"vmxnet3"}
	}
	st.First, st.Managers = st.Nodes[0], 1
	p := &wizard.Scripted{Script: []wizard.Answer{
		ans("Use 5789/udp for the overlay's traffic instead of 4789?", "y"),
		ans("Should the managers run containers too?", "Yes, managers run containers too (active)"),
	}}
	env, out := testEnv(p, nil, true)
	if (InitChoices{}).SkipIn(env, st) {
		t.Fatal("skipped on VMware guests")
	}
	if err := (InitChoices{}).Run(context.Background(), env, st); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if st.Init.DataPathPort != 5789 || st.Init.Availability != "active" || !strings.Contains(out.String(), "VMware NSX also uses 4789/udp") {
		t.Errorf("init %+v\n%s", st.Init, out)
	}
	st.Init = docker.InitOptions{Autolock: true}
	env, _ = testEnv(&wizard.Scripted{}, nil, false)
	if err := (InitChoices{}).Run(context.Background(), env, st); err == nil || !strings.Contains(err.Error(), "--unlock-key-file FILE") {
		t.Errorf("autolock off a terminal without a key file: %v", err)
	}
}
