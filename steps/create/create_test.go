package create

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/internal/facts"
	"github.com/swarmwiz/swarmwiz/internal/remote"
	"github.com/swarmwiz/swarmwiz/internal/remote/remotetest"
	"github.com/swarmwiz/swarmwiz/steps/prelude"
	"github.com/swarmwiz/swarmwiz/steps/stepstest"
	"github.com/swarmwiz/swarmwiz/wizard"
)

func TestCountManagersRefusesAndWarns(t *testing.T) {
	p := &wizard.Scripted{Script: []wizard.Answer{
		stepstest.Ans("How many managers (1 to 7)?", "0"), stepstest.Ans("How many managers", "abc"), stepstest.Ans("How many managers", "8"),
		stepstest.Ans("How many managers", "4"), stepstest.Ans("Keep 4 managers anyway?", "n"),
		stepstest.Ans("How many managers", "5"),
	}}
	env, out := stepstest.TestEnv(p, nil, true)
	st := stepstest.HostsState(7)
	if err := (CountManagers{}).Run(context.Background(), env, st); err != nil {
		t.Fatal(err)
	}
	if st.Managers != 5 {
		t.Errorf("managers %d", st.Managers)
	}
	want := []string{"a swarm needs at least 1 manager", "is not a number", "there are only 7 nodes"}
	for i, w := range want {
		if i >= len(p.Refused) || !strings.Contains(p.Refused[i], w) {
			t.Errorf("refusal %d: want %q in %q", i, w, p.Refused)
		}
	}
	if !strings.Contains(out.String(), "4 managers need 3 to agree and tolerate 1 failure, no more than 3 managers do") {
		t.Errorf("no even-count warning:\n%s", out)
	}
	if !strings.Contains(out.String(), "(even: no better than 3)") {
		t.Errorf("quorum table does not mark even counts:\n%s", out)
	}
}

func TestCheckAdvertise(t *testing.T) {
	n := &wizard.Node{Host: "10.0.0.1"}
	n.Facts.Hostname = "n1"
	n.Facts.Addrs = append(n.Facts.Addrs, facts.Addr{Iface: "eth0", IP: "10.0.0.1"})
	for in, want := range map[string]string{
		"10.0.0.1": "", "abc": "is not an IP address", "10.9.9.9": "is not an address of n1", "127.0.0.1": "is not an address of n1",
	} {
		err := CheckAdvertise(n, in)
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: got %v, want %q", in, err, want)
		}
	}
}

// A failing worker is named with its command; the other workers still join.
func TestJoinWorkersNamesTheFailingNode(t *testing.T) {
	nodes := stepstest.FakeCluster(3)
	nodes["10.0.0.3"].Replies["API POST /swarm/join"] = remotetest.Reply{Status: 500, Stderr: "Timeout was reached before node joined"}
	st, err := joinThreeWorkers(nodes)
	if err == nil || !strings.Contains(err.Error(), "n3: `docker swarm join --token SWMTKN-1-**** 10.0.0.9:2377` failed") {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(err.Error(), "workersecret") {
		t.Errorf("token in error: %v", err)
	}
	if len(st.Done) != 2 {
		t.Errorf("the two good workers should have joined: %q", st.Done)
	}
}

// joinThreeWorkers joins the three fake nodes n1..n3 as workers, through a manager at 10.0.0.9.
func joinThreeWorkers(nodes map[string]*remotetest.Node) (*wizard.State, error) {
	env, _ := stepstest.TestEnv(nil, nodes, false)
	st := stepstest.HostsState(3)
	for i, n := range st.Nodes {
		n.Conn = nodes[n.Host]
		n.Facts.Hostname = fmt.Sprintf("n%d", i+1)
		n.Role = wizard.Worker
	}
	st.Advertise, st.Tokens.Worker = "10.0.0.9", stepstest.WrkToken
	return st, (JoinWorkers{}).Run(context.Background(), env, st)
}

// A join docker stopped waiting for but goes on with in the background (a busy machine) is
// waited for: done when the node turns active, failed with docker's words when it gives up.
func TestJoinThatContinuesInTheBackground(t *testing.T) {
	const continues = "Timeout was reached before node joined. The attempt to join the swarm will continue in the background. Use the \"docker info\" command to see the current swarm status of your node."
	nodes := stepstest.FakeCluster(3)
	for _, a := range []string{"10.0.0.2", "10.0.0.3"} {
		nodes[a].Replies["API POST /swarm/join"] = remotetest.Reply{Status: 503, Stderr: continues}
	}
	nodes["10.0.0.2"].Replies["API GET /info"] = remotetest.Reply{Out: `{"Swarm":{"LocalNodeState":"active"}}`}
	nodes["10.0.0.3"].Replies["API GET /info"] = remotetest.Reply{Out: `{"Swarm":{"LocalNodeState":"error"}}`}
	st, err := joinThreeWorkers(nodes)
	if err == nil || !strings.Contains(err.Error(), "n3: `docker swarm join --token SWMTKN-1-**** 10.0.0.9:2377` failed: Error response from daemon: Timeout was reached") || strings.Contains(err.Error(), "n2") {
		t.Fatalf("got %v", err)
	}
	if done := slices.Sorted(slices.Values(st.Done)); strings.Join(done, "; ") != "n1 joined as a worker; n2 joined as a worker" {
		t.Errorf("done: %q", st.Done)
	}
}

// Enter picks, as first manager, a manager of the swarm that holds the most of the nodes;
// never the manager of a swarm that holds none of the others.
func TestDefaultFirstManager(t *testing.T) {
	node := func(state string, manager bool, knows ...string) *wizard.Node {
		n := &wizard.Node{}
		n.Facts.Swarm = docker.Swarm{LocalNodeState: state, ControlAvailable: manager}
		for _, id := range knows {
			n.Facts.Swarm.RemoteManagers = append(n.Facts.Swarm.RemoteManagers, struct{ NodeID, Addr string }{id, "10.0.0.1:2377"})
		}
		return n
	}
	fresh := []*wizard.Node{node("inactive", false), node("inactive", false), node("active", true, "foreign")}
	if got := defaultFirst(fresh); got != 0 {
		t.Errorf("a foreign swarm's manager is the default: %d", got)
	}
	foreignFirst := []*wizard.Node{node("active", true, "foreign"), node("inactive", false), node("inactive", false)}
	if got := defaultFirst(foreignFirst); got != 1 {
		t.Errorf("want the first node in no swarm, got %d", got)
	}
	rerun := []*wizard.Node{node("active", true, "foreign"), node("inactive", false), node("active", true, "m1"), node("active", false, "m1")}
	if got := defaultFirst(rerun); got != 2 {
		t.Errorf("want the manager of the swarm the others are in, got %d", got)
	}
}

// The summary shows each node's real role where the swarm differs from the plan.
func TestSummaryShowsRealRoles(t *testing.T) {
	first := &wizard.Node{Host: "10.0.0.1", Role: wizard.Manager, Member: true, InRole: wizard.Manager}
	promote := &wizard.Node{Host: "10.0.0.2", Role: wizard.Manager, Member: true, InRole: wizard.Worker}
	demote := &wizard.Node{Host: "10.0.0.3", Role: wizard.Worker, Member: true, InRole: wizard.Manager}
	leaving := &wizard.Node{Host: "10.0.0.4", Role: wizard.Worker, LeaveOther: true}
	st := &wizard.State{Nodes: []*wizard.Node{first, promote, demote, leaving}, First: first, Managers: 3}
	text := SummaryText(st)
	for _, want := range []string{"first manager (in)", "worker → manager", "manager → worker", "worker (leaves other swarm)"} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}
	if got := roleChanges(st); len(got) != 2 {
		t.Errorf("role changes: %v", got)
	}
}

// Advice that is right for the case: a node that refused the login, or whose host key is
// refused, is not one that "does not answer"; off a terminal an unreachable node's error
// says how to leave it out; no route is a routing problem, not a firewall.
func TestAdviceForTheCase(t *testing.T) {
	nodes := stepstest.FakeCluster(3)
	env, out := stepstest.TestEnv(&wizard.Scripted{}, nodes, false)
	env.Dial = func(_ context.Context, tg remote.Target) (remote.Runner, error) {
		switch tg.Host {
		case "10.0.0.2":
			return nil, &remote.LoginRefusedError{UserAtHost: "root@10.0.0.2", Tried: []string{"publickey"}}
		case "10.0.0.3":
			return nil, &remote.HostKeyChangedError{Host: "10.0.0.3", KnownHostsFile: "kh", Old: "SHA256:a", New: "SHA256:b"}
		}
		return nodes[tg.Host], nil
	}
	st := stepstest.HostsState(3)
	if err := (prelude.Connect{Tolerant: true}).Run(context.Background(), env, st); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{"10.0.0.2 is left out: it refused the login", "10.0.0.3 is left out: its host key is refused"} {
		if !strings.Contains(text, want) {
			t.Errorf("lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "does not answer") {
		t.Errorf("a host that answered is said not to:\n%s", text)
	}

	env, _ = stepstest.TestEnv(&wizard.Scripted{}, nil, false)
	err := (prelude.Connect{}).Run(context.Background(), env, stepstest.HostsState(1))
	if err == nil || !strings.Contains(err.Error(), "drop them from --host (or the plan's nodes)") {
		t.Errorf("off a terminal, an unreachable node's error should say how to leave it out: %v", err)
	}

	nodes = stepstest.FakeCluster(2)
	nodes["10.0.0.2"].Replies["# Can this node reach"] = remotetest.Reply{Out: "2377 blocked Network is unreachable\n7946 blocked Network is unreachable\n"}
	env, _ = stepstest.TestEnv(&wizard.Scripted{}, nodes, false)
	st = stepstest.HostsState(2)
	for i, n := range st.Nodes {
		n.Conn = nodes[n.Host]
		n.Facts.Hostname = fmt.Sprintf("n%d", i+1)
		n.Facts.Addrs = []facts.Addr{{Iface: "eth0", IP: n.Host}}
	}
	st.First, st.Advertise = st.Nodes[0], "10.0.0.1"
	st.Nodes[1].Role = wizard.Worker
	var fixes []string
	for _, f := range probePorts(context.Background(), env, st) {
		fixes = append(fixes, f.Fix)
	}
	// n2's own routing table (an address, no network, no default route) has no way to 10.0.0.1.
	if len(fixes) == 0 || !strings.Contains(fixes[0], "n2 has no route to 10.0.0.1") || !strings.Contains(fixes[0], "no firewall rule can help") {
		t.Errorf("no route should be told as routing: %q", fixes)
	}
}
