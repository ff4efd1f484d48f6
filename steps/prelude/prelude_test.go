package prelude

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/lab"
	"github.com/swarmwiz/swarmwiz/internal/poll"
	"github.com/swarmwiz/swarmwiz/internal/remote"
	"github.com/swarmwiz/swarmwiz/internal/remote/remotetest"
	"github.com/swarmwiz/swarmwiz/steps/stepstest"
	"github.com/swarmwiz/swarmwiz/wizard"
)

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

// A node that reports a swarm address that is not an IP address is refused, and named: on
// a re-run that address would otherwise reach every joining node's port probe.
func TestReadFactsRefusesNodeAddrThatIsNotAnIP(t *testing.T) {
	nodes := stepstest.FakeCluster(2)
	nodes["10.0.0.2"].Replies["# Reads what swarmwiz needs"] = remotetest.Reply{Out: "hostname=n2\ndocker_installed=yes\ndocker=24.0.7\n" +
		`swarm={"NodeID":"x","NodeAddr":"10.0.0.1; touch /tmp/x","LocalNodeState":"active","ControlAvailable":true}` + "\n"}
	env, out := stepstest.TestEnv(&wizard.Scripted{}, nodes, false)
	st := stepstest.HostsState(2)
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
	env, out := stepstest.TestEnv(&wizard.Scripted{}, nil, false)
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
	env, out = stepstest.TestEnv(&wizard.Scripted{}, nil, false)
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
	nodes := stepstest.FakeCluster(3)
	nodes["10.0.0.3"].Replies["# Reads what swarmwiz needs"] = remotetest.Reply{Out: "hostname=n3\ndocker_installed=yes\ndocker=24.0.7\n" +
		`swarm={"NodeID":"x","NodeAddr":"not-an-ip","LocalNodeState":"active","ControlAvailable":true}` + "\n"}
	env, out := stepstest.TestEnv(&wizard.Scripted{}, nodes, false)
	st := stepstest.HostsState(3)
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
	p := &wizard.Scripted{Script: []wizard.Answer{stepstest.Ans("Private key file", "")}}
	env, _ := stepstest.TestEnv(p, nil, true)
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
		env, out := stepstest.TestEnv(&wizard.Scripted{}, nil, false)
		env.Quiet = quiet
		t0 := time.Now()
		err := UntilSaying(context.Background(), env, "wait.ready", nil, 5*time.Second, poll.Backoff{First: 20 * time.Millisecond, Max: 20 * time.Millisecond},
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
