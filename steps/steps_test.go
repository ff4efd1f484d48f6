package steps

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/internal/facts"
	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/internal/lab"
	"github.com/swarmwiz/swarmwiz/internal/poll"
	"github.com/swarmwiz/swarmwiz/internal/remote"
	"github.com/swarmwiz/swarmwiz/internal/remote/remotetest"
	"github.com/swarmwiz/swarmwiz/wizard"
)

const (
	mgrToken = "SWMTKN-1-0123456789abcdefghijklmnopqrstuvwxyz0123456789abcd-managersecret0123456789"
	wrkToken = "SWMTKN-1-0123456789abcdefghijklmnopqrstuvwxyz0123456789abcd-workersecret01234567890"
)

// fakeCluster is n fake nodes at 10.0.0.1..n, not in a swarm, docker answering.
func fakeCluster(n int) map[string]*remotetest.Node {
	nodes := map[string]*remotetest.Node{}
	for i := 1; i <= n; i++ {
		addr := fmt.Sprintf("10.0.0.%d", i)
		nodes[addr] = &remotetest.Node{Replies: map[string]remotetest.Reply{
			"# Reads what swarmwiz needs": {Out: fmt.Sprintf("hostname=n%d\nos=Rocky Linux 9.3 (Blue Onyx)\nos_id=rocky\ndocker_installed=yes\ndocker=24.0.7\n"+
				"swarm={\"LocalNodeState\":\"inactive\"}\n#ip\n1: lo    inet 127.0.0.1/8 scope host lo\n2: eth0    inet %s/24 scope global eth0\n3: docker0    inet 172.17.0.1/16 scope global docker0\n#end\n", i, addr)},
			"API GET /swarm":  {Out: fmt.Sprintf(`{"JoinTokens":{"Manager":%q,"Worker":%q}}`, mgrToken, wrkToken)},
			"API GET /info":   {Out: fmt.Sprintf(`{"Swarm":{"NodeID":"id%d"}}`, i)},
			"API GET /nodes/": {Out: `{"ManagerStatus":{"Leader":false,"Reachability":"reachable","Addr":"x"}}`},
			"API GET /nodes": {Out: apiNodes(`id1 n1 ready active leader`, `id2 n2 ready active reachable`,
				`id3 n3 ready active reachable`, `id4 n4 ready active -`)},
		}}
	}
	return nodes
}

func testEnv(p wizard.Prompter, nodes map[string]*remotetest.Node, interactive bool) (*wizard.Env, *bytes.Buffer) {
	out := &bytes.Buffer{}
	return &wizard.Env{
		Out: out, Err: out, Interactive: interactive, Prompter: p,
		Dial: func(_ context.Context, t remote.Target) (remote.Runner, error) {
			if n, ok := nodes[t.Host]; ok {
				return n, nil
			}
			return nil, errors.New("connection refused")
		},
	}, out
}

func hostsState(n int) *wizard.State {
	st := &wizard.State{SSH: wizard.SSH{User: "root", KeyFiles: []string{"k"}, KnownHosts: "kh"}}
	for i := 1; i <= n; i++ {
		st.Nodes = append(st.Nodes, &wizard.Node{Host: fmt.Sprintf("10.0.0.%d", i)})
	}
	return st
}

// The whole create flow on four fake nodes: init on the first manager, managers join with
// the manager token, the worker with the worker token, and no token is printed in full.
func TestCreateFlowRunsTheRightCommands(t *testing.T) {
	nodes := fakeCluster(4)
	p := &wizard.Scripted{Script: []wizard.Answer{
		ans("Which node starts", "n1"),
		ans("Which address does n1 advertise?", ""),
		ans("How many managers (1 to 4)?", ""),
		ans("Choose 2 more managers", ""),
		ans("Take overlay subnets from 10.200.0.0/16?", "y"), // the nodes are on 10.0.0.0/24
		ans("Should the managers run containers too?", "No, managers only manage (drain)"),
		ans("Build this swarm now?", "y"),
		ans("Save this plan", "n"),
		ans("Prove the swarm works now", "n"),
	}}
	env, out := testEnv(p, nodes, true)
	env.Explain = true
	st := hostsState(4)
	if err := wizard.Run(context.Background(), env, st, Create(Options{})); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// The init goes through the API too, with the chosen options; the learner is shown the
	// docker command it equals.
	if got := nodes["10.0.0.1"].APIRequests(); !contains(got, `POST /swarm/init {"ListenAddr":"0.0.0.0:2377","AdvertiseAddr":"10.0.0.1","DefaultAddrPool":["10.200.0.0/16"],"SubnetSize":24,"Availability":"drain","Spec":{"CAConfig":{},"EncryptionConfig":{"AutoLockManagers":false}}}`) {
		t.Errorf("n1 asked %q", got)
	}
	// Joins go through the docker API with the token in the request body: the token is on
	// no node's command line.
	for a, token := range map[string]string{"10.0.0.2": mgrToken, "10.0.0.3": mgrToken, "10.0.0.4": wrkToken} {
		want := `POST /swarm/join {"ListenAddr":"0.0.0.0:2377","RemoteAddrs":["10.0.0.1:2377"],"JoinToken":"` + token + `"}`
		if token == mgrToken { // drained, as chosen; the worker runs the tasks
			want = strings.TrimSuffix(want, "}") + `,"Availability":"drain"}`
		}
		if !contains(nodes[a].APIRequests(), want) {
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
	env, _ := testEnv(&wizard.Scripted{}, nil, false)
	err := wizard.Run(context.Background(), env, &wizard.State{}, Create(Options{}))
	if failure.Code(err) != failure.ExitUsage || !strings.Contains(err.Error(), "--config plan.yaml, or the nodes (--lab NAME, or --host") {
		t.Fatalf("got %v", err)
	}
}

func TestCountManagersRefusesAndWarns(t *testing.T) {
	p := &wizard.Scripted{Script: []wizard.Answer{
		ans("How many managers (1 to 7)?", "0"), ans("How many managers", "abc"), ans("How many managers", "8"),
		ans("How many managers", "4"), ans("Keep 4 managers anyway?", "n"),
		ans("How many managers", "5"),
	}}
	env, out := testEnv(p, nil, true)
	st := hostsState(7)
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

func TestParseHosts(t *testing.T) {
	nodes, err := ParseHosts("10.0.0.1, admin@10.0.0.2:2222\nnode3")
	if err != nil || len(nodes) != 3 || nodes[1].User != "admin" || nodes[1].Port != 2222 || nodes[2].Host != "node3" {
		t.Fatalf("%v %+v", err, nodes)
	}
	for in, want := range map[string]string{
		"":                   "at least one node",
		"a:99999":            "port",
		"@h":                 "user before @",
		"10.0.0.1, 10.0.0.1": "listed twice",
		"host/with/slash":    "is not a host",
	} {
		if _, err := ParseHosts(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", in, err, want)
		}
	}
}

// A failing worker is named with its command; the other workers still join.
func TestJoinWorkersNamesTheFailingNode(t *testing.T) {
	nodes := fakeCluster(3)
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
	env, _ := testEnv(nil, nodes, false)
	st := hostsState(3)
	for i, n := range st.Nodes {
		n.Conn = nodes[n.Host]
		n.Facts.Hostname = fmt.Sprintf("n%d", i+1)
		n.Role = wizard.Worker
	}
	st.Advertise, st.Tokens.Worker = "10.0.0.9", wrkToken
	return st, (JoinWorkers{}).Run(context.Background(), env, st)
}

// A join docker stopped waiting for but goes on with in the background (a busy machine) is
// waited for: done when the node turns active, failed with docker's words when it gives up.
func TestJoinThatContinuesInTheBackground(t *testing.T) {
	const continues = "Timeout was reached before node joined. The attempt to join the swarm will continue in the background. Use the \"docker info\" command to see the current swarm status of your node."
	nodes := fakeCluster(3)
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

// Removing a manager when quorum would be lost is refused without --force, and nothing runs.
func TestLeaveRefusesQuorumLoss(t *testing.T) {
	nodes := fakeCluster(4)
	nodes["10.0.0.1"].Replies["API GET /nodes"] = remotetest.Reply{Out: apiNodes(`id1 n1 ready active leader`,
		`id2 n2 ready active reachable`, `id3 n3 down active unreachable`)}
	env, _ := testEnv(nil, nodes, false)
	st := hostsState(2)
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

// apiNodes is the daemon's answer to GET /nodes for rows "ID HOSTNAME STATE AVAILABILITY
// MANAGER" (manager: leader, reachable, unreachable, or - for a worker), engine 24.0.7.
func apiNodes(rows ...string) string {
	var out []string
	for _, r := range rows {
		f := strings.Fields(r)
		ms := "null"
		if f[4] != "-" {
			ms = fmt.Sprintf(`{"Leader":%t,"Reachability":%q}`, f[4] == "leader", strings.Replace(f[4], "leader", "reachable", 1))
		}
		out = append(out, fmt.Sprintf(`{"ID":%q,"Spec":{"Availability":%q},"Description":{"Hostname":%q,"Engine":{"EngineVersion":"24.0.7"}},"Status":{"State":%q},"ManagerStatus":%s}`,
			f[0], f[3], f[1], f[2], ms))
	}
	return "[" + strings.Join(out, ",") + "]"
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if strings.TrimSpace(l) == s {
			return true
		}
	}
	return false
}

func ans(question, value string) wizard.Answer {
	return wizard.Answer{Question: question, Value: value}
}

// A node that reports a swarm address that is not an IP address is refused, and named: on
// a re-run that address would otherwise reach every joining node's port probe.
func TestReadFactsRefusesNodeAddrThatIsNotAnIP(t *testing.T) {
	nodes := fakeCluster(2)
	nodes["10.0.0.2"].Replies["# Reads what swarmwiz needs"] = remotetest.Reply{Out: "hostname=n2\ndocker_installed=yes\ndocker=24.0.7\n" +
		`swarm={"NodeID":"x","NodeAddr":"10.0.0.1; touch /tmp/x","LocalNodeState":"active","ControlAvailable":true}` + "\n"}
	env, out := testEnv(&wizard.Scripted{}, nodes, false)
	st := hostsState(2)
	for _, n := range st.Nodes {
		n.Conn = nodes[n.Host]
	}
	err := (ReadFacts{}).Run(context.Background(), env, st)
	if err == nil || !strings.Contains(err.Error(), "n2") || !strings.Contains(err.Error(), `"10.0.0.1; touch /tmp/x" that is not an IP address`) {
		t.Fatalf("got %v\n%s", err, out)
	}
	for _, c := range nodes["10.0.0.1"].Commands() {
		if strings.Contains(c, "touch") {
			t.Errorf("the address reached a command: %q", c)
		}
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
	nodes := fakeCluster(3)
	env, out := testEnv(&wizard.Scripted{}, nodes, false)
	env.Dial = func(_ context.Context, tg remote.Target) (remote.Runner, error) {
		switch tg.Host {
		case "10.0.0.2":
			return nil, &remote.LoginRefusedError{UserAtHost: "root@10.0.0.2", Tried: []string{"publickey"}}
		case "10.0.0.3":
			return nil, &remote.HostKeyChangedError{Host: "10.0.0.3", KnownHostsFile: "kh", Old: "SHA256:a", New: "SHA256:b"}
		}
		return nodes[tg.Host], nil
	}
	st := hostsState(3)
	if err := (Connect{Tolerant: true}).Run(context.Background(), env, st); err != nil {
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

	env, _ = testEnv(&wizard.Scripted{}, nil, false)
	err := (Connect{}).Run(context.Background(), env, hostsState(1))
	if err == nil || !strings.Contains(err.Error(), "drop them from --host (or the plan's nodes)") {
		t.Errorf("off a terminal, an unreachable node's error should say how to leave it out: %v", err)
	}

	nodes = fakeCluster(2)
	nodes["10.0.0.2"].Replies["# Can this node reach"] = remotetest.Reply{Out: "2377 blocked Network is unreachable\n7946 blocked Network is unreachable\n"}
	env, _ = testEnv(&wizard.Scripted{}, nodes, false)
	st = hostsState(2)
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

// The lab's package install shows one progress line with the log's path; apt-get's hundred
// lines go to the log, and only its last lines are shown when it fails.
func TestLabInstallShowsOneLine(t *testing.T) {
	logFile := filepath.Join(t.TempDir(), "install.log")
	apt := func(fail bool) lab.ScriptRunner {
		return func(_ context.Context, script string, log io.Writer) error {
			if !strings.Contains(script, "apt-get install") {
				t.Errorf("not the install script:\n%s", script)
			}
			for i := 1; i <= 100; i++ {
				fmt.Fprintf(log, "apt line %d\n", i)
			}
			if fail {
				return errors.New("exit status 100")
			}
			return nil
		}
	}
	env, out := testEnv(&wizard.Scripted{}, nil, false)
	if err := InstallLab(context.Background(), env, "stop", lab.InstallOptions{Run: apt(false), Log: logFile}); err != nil {
		t.Fatal(err)
	}
	text := strings.TrimSpace(out.String())
	if strings.Contains(text, "apt line") || !strings.Contains(text, "installing docker.io, openssh-server") || !strings.Contains(text, logFile) {
		t.Errorf("want one progress line naming the log, got:\n%s", text)
	}
	if b, _ := os.ReadFile(logFile); strings.Count(string(b), "apt line") != 100 {
		t.Errorf("the log lacks apt's output")
	}
	env, out = testEnv(&wizard.Scripted{}, nil, false)
	err := InstallLab(context.Background(), env, "stop", lab.InstallOptions{Run: apt(true), Log: logFile})
	text = out.String()
	if err == nil || !strings.Contains(text, "apt line 100") || strings.Contains(text, "apt line 80\n") || !strings.Contains(err.Error(), logFile) {
		t.Errorf("a failure shows the log's last lines and its path: %v\n%s", err, text)
	}
}

// Connect reads each root node's facts as soon as its own connection opens; ReadFacts then
// reports them without a second read, and a node whose facts cannot be trusted fails there,
// named, as before.
func TestFactsReadAheadOnceRightAfterConnect(t *testing.T) {
	nodes := fakeCluster(3)
	nodes["10.0.0.3"].Replies["# Reads what swarmwiz needs"] = remotetest.Reply{Out: "hostname=n3\ndocker_installed=yes\ndocker=24.0.7\n" +
		`swarm={"NodeID":"x","NodeAddr":"not-an-ip","LocalNodeState":"active","ControlAvailable":true}` + "\n"}
	env, out := testEnv(&wizard.Scripted{}, nodes, false)
	st := hostsState(3)
	if err := (Connect{}).Run(context.Background(), env, st); err != nil {
		t.Fatalf("connect: %v\n%s", err, out)
	}
	reads := func(a string) int {
		n := 0
		for _, c := range nodes[a].Commands() {
			if strings.HasPrefix(c, "# Reads what swarmwiz needs") {
				n++
			}
		}
		return n
	}
	for _, n := range st.Nodes {
		if !n.ReadAhead || reads(n.Host) != 1 {
			t.Errorf("%s: read ahead %v, facts read %d times after connect", n.Host, n.ReadAhead, reads(n.Host))
		}
	}
	err := (ReadFacts{}).Run(context.Background(), env, st)
	if err == nil || !strings.Contains(err.Error(), "n3") || !strings.Contains(err.Error(), "not an IP address") {
		t.Fatalf("ReadFacts: %v, want n3's address refused\n%s", err, out)
	}
	for _, n := range st.Nodes {
		if reads(n.Host) != 1 || n.ReadAhead {
			t.Errorf("%s: facts read %d times in all, read ahead still %v", n.Host, reads(n.Host), n.ReadAhead)
		}
	}
	if st.Nodes[0].Facts.Hostname != "n1" || !strings.Contains(out.String(), "n1") {
		t.Errorf("n1's facts not kept or not reported:\n%s", out)
	}
	// A second ReadFacts (a flow that reads again) reads anew.
	(ReadFacts{}).Run(context.Background(), env, st)
	if reads("10.0.0.1") != 2 {
		t.Errorf("a second ReadFacts did not read again: %d reads", reads("10.0.0.1"))
	}
}

// The advice for unknown host keys names the port where sshd is not on 22: ssh-keyscan
// without -p asks port 22, and known_hosts names such a host [HOST]:PORT.
func TestKeyscanCarriesThePort(t *testing.T) {
	got := keyscans([]*remote.UnknownHostError{{Host: "[10.0.0.5]:2222"}, {Host: "10.0.0.6"}}, "/root/.ssh/known_hosts")
	want := []string{"ssh-keyscan -p 2222 10.0.0.5 >> /root/.ssh/known_hosts", "ssh-keyscan 10.0.0.6 >> /root/.ssh/known_hosts"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// Nodes given as user@host: the SSH user is not asked on a terminal.
func TestNoUserAskedWhenEveryNodeHasOne(t *testing.T) {
	p := &wizard.Scripted{Script: []wizard.Answer{ans("Private key file", "")}}
	env, _ := testEnv(p, nil, true)
	st := &wizard.State{Nodes: []*wizard.Node{{Host: "10.0.0.1", User: "rocky"}, {Host: "10.0.0.2", User: "rocky"}}}
	if err := (SSHLogin{}).Run(context.Background(), env, st); err != nil {
		t.Fatal(err)
	}
	for _, q := range p.Asked {
		if strings.Contains(q, "SSH user") {
			t.Errorf("asked %q although every node names its user", q)
		}
	}
}

// A wait that lasts says what it waits for, once, and how long at most; a short one says
// nothing, and --quiet nothing at all.
func TestLongWaitsSayWhatTheyWaitFor(t *testing.T) {
	defer func(d time.Duration) { WaitNotice = d }(WaitNotice)
	WaitNotice = 100 * time.Millisecond
	run := func(quiet bool, lasts time.Duration) string {
		env, out := testEnv(&wizard.Scripted{}, nil, false)
		env.Quiet = quiet
		t0 := time.Now()
		err := untilSaying(context.Background(), env, "wait.ready", nil, 5*time.Second, poll.Backoff{First: 20 * time.Millisecond, Max: 20 * time.Millisecond},
			func(context.Context) (bool, error) { return time.Since(t0) > lasts, nil })
		if err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	if got := run(false, 400*time.Millisecond); strings.Count(got, "waiting for every node to be Ready in the node list (up to 5s)") != 1 {
		t.Errorf("a long wait: %q", got)
	}
	if got := run(false, 0); got != "" {
		t.Errorf("a short wait said %q", got)
	}
	if got := run(true, 400*time.Millisecond); got != "" {
		t.Errorf("--quiet said %q", got)
	}
}
