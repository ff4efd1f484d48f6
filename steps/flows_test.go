package steps

import (
	"context"
	"strings"
	"testing"

	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/steps/check"
	"github.com/swarmwiz/swarmwiz/steps/prelude"
	"github.com/swarmwiz/swarmwiz/steps/quorum"
	"github.com/swarmwiz/swarmwiz/steps/secrets"
	"github.com/swarmwiz/swarmwiz/steps/stepstest"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// The whole create flow on four fake nodes: init on the first manager, managers join with
// the manager token, the worker with the worker token, and no token is printed in full.
func TestCreateFlowRunsTheRightCommands(t *testing.T) {
	nodes := stepstest.FakeCluster(4)
	p := &wizard.Scripted{Script: []wizard.Answer{
		stepstest.Ans("Which node starts", "n1"),
		stepstest.Ans("Which address does n1 advertise?", ""),
		stepstest.Ans("How many managers (1 to 4)?", ""),
		stepstest.Ans("Choose 2 more managers", ""),
		stepstest.Ans("Take overlay subnets from 10.200.0.0/16?", "y"), // the nodes are on 10.0.0.0/24
		stepstest.Ans("Should the managers run containers too?", "No, managers only manage (drain)"),
		stepstest.Ans("Build this swarm now?", "y"),
		stepstest.Ans("Save this plan", "n"),
		stepstest.Ans("Prove the swarm works now", "n"),
	}}
	env, out := stepstest.TestEnv(p, nodes, true)
	env.Explain = true
	st := stepstest.HostsState(4)
	if err := wizard.Run(context.Background(), env, st, Create(Options{})); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// The init goes through the API too, with the chosen options; the learner is shown the
	// docker command it equals.
	if got := nodes["10.0.0.1"].APIRequests(); !stepstest.Contains(got, `POST /swarm/init {"ListenAddr":"0.0.0.0:2377","AdvertiseAddr":"10.0.0.1","DefaultAddrPool":["10.200.0.0/16"],"SubnetSize":24,"Availability":"drain","Spec":{"CAConfig":{},"EncryptionConfig":{"AutoLockManagers":false}}}`) {
		t.Errorf("n1 asked %q", got)
	}
	// Joins go through the docker API with the token in the request body: the token is on
	// no node's command line.
	for a, token := range map[string]string{"10.0.0.2": stepstest.MgrToken, "10.0.0.3": stepstest.MgrToken, "10.0.0.4": stepstest.WrkToken} {
		want := `POST /swarm/join {"ListenAddr":"0.0.0.0:2377","RemoteAddrs":["10.0.0.1:2377"],"JoinToken":"` + token + `"}`
		if token == stepstest.MgrToken { // drained, as chosen; the worker runs the tasks
			want = strings.TrimSuffix(want, "}") + `,"Availability":"drain"}`
		}
		if !stepstest.Contains(nodes[a].APIRequests(), want) {
			t.Errorf("%s: API requests %q, want %q", a, nodes[a].APIRequests(), want)
		}
	}
	for a, n := range nodes {
		for _, c := range n.Commands() {
			if strings.Contains(c, "secret") {
				t.Errorf("%s ran a command holding a token: %q", a, c)
			}
		}
	}
	text := out.String()
	if strings.Contains(text, "managersecret") || strings.Contains(text, "workersecret") {
		t.Errorf("a token was printed in full:\n%s", text)
	}
	for _, want := range []string{"docker swarm init --advertise-addr 10.0.0.1 --default-addr-pool 10.200.0.0/16 --availability drain", "why:", "SWMTKN-1-****",
		"MANAGER STATUS", "3 managers: quorum 2, tolerates 1 failure; 3 reachable, leader n1."} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	} // "Ready" comes after the offer to check it, never before a check that may fail; one
	// line per manager joined; the member step says what it found.
	if ready, offer := strings.Index(text, "Your swarm is ready"), strings.Index(text, "Prove the swarm works: containers"); ready < 0 || offer < 0 || ready < offer {
		t.Errorf("the swarm was called ready (at %d) before the offer to check it (at %d):\n%s", ready, offer, text)
	}
	if strings.Count(text, "n2 joined as a manager") != 1 || strings.Contains(text, "joining as a manager: 1 of 1 done") || !strings.Contains(text, "No node is in this swarm yet: all 4 will join.") {
		t.Errorf("join lines or the member step:\n%s", text)
	}
}

// Off a terminal with nothing to go on, the wizard names the flags instead of prompting.
func TestCreateWithoutTerminalNamesFlags(t *testing.T) {
	env, _ := stepstest.TestEnv(&wizard.Scripted{}, nil, false)
	err := wizard.Run(context.Background(), env, &wizard.State{}, Create(Options{}))
	if failure.Code(err) != failure.ExitUsage || !strings.Contains(err.Error(), "--config plan.yaml, or the nodes (--lab NAME, or --host") {
		t.Fatalf("got %v", err)
	}
}

// A flow that holds its nodes (LockNodes) tries each lock with the facts, in the same round
// trips (Connect.Lock); a flow that holds nothing takes no lock.
func TestFlowsLockWithTheFacts(t *testing.T) {
	flows := map[string][]wizard.Step{
		"create": Create(Options{}), "status": Status(false), "leave": Leave(Options{}), "check": CheckFlow(check.Check{}),
		"promote": ChangeRoleFlow(quorum.ChangeRole{}), "recover": RecoverFlow(quorum.Recover{}), "drill": DrillFlow(quorum.Drill{}),
		"rotate-tokens": RotateTokensFlow(secrets.RotateTokens{}), "unlock": UnlockFlow(secrets.Unlock{}),
	}
	for name, flow := range flows {
		locks, early := false, false
		for _, s := range flow {
			switch s := s.(type) {
			case prelude.LockNodes:
				locks = true
			case prelude.Connect:
				early = s.Lock
			}
		}
		if locks != early {
			t.Errorf("%s: holds its nodes %v, tries the locks with the facts %v", name, locks, early)
		}
	}
}
