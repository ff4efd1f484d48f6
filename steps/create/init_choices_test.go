package create

import (
	"context"
	"strings"
	"testing"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/steps/stepstest"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// On a VMware guest the wizard suggests another VXLAN port and asks; a node on a 10.x network
// gets a pool proposed; off a terminal, autolock without a key file is refused before anything
// changes.
func TestInitChoices(t *testing.T) {
	st := stepstest.HostsState(2)
	for i, n := range st.Nodes {
		n.Facts.Hostname = "n" + string(rune('1'+i))
		n.Facts.NICDrivers = []string{"vmxnet3"}
	}
	st.First, st.Managers = st.Nodes[0], 1
	p := &wizard.Scripted{Script: []wizard.Answer{
		stepstest.Ans("Use 5789/udp for the overlay's traffic instead of 4789?", "y"),
		stepstest.Ans("Should the managers run containers too?", "Yes, managers run containers too (active)"),
	}}
	env, out := stepstest.TestEnv(p, nil, true)
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
	env, _ = stepstest.TestEnv(&wizard.Scripted{}, nil, false)
	if err := (InitChoices{}).Run(context.Background(), env, st); err == nil || !strings.Contains(err.Error(), "--unlock-key-file FILE") {
		t.Errorf("autolock off a terminal without a key file: %v", err)
	}
}
