//go:build linux

// Package e2e drives the built swarmwiz binary against the practice lab: real dockerd and
// real OpenSSH sshd per node. It needs root; `make test` says loudly when it cannot run it.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/lab"
)

// bin is the swarmwiz binary under test: the Makefile's, or one built here.
var bin string

// The shared lab: the seed's 7 nodes, brought up once; tests reset its swarm state.
const labName = "e2e"

func TestMain(m *testing.M) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			fmt.Println("e2e: not root, and CI=true: a skipped end-to-end test is a failure")
			os.Exit(1)
		}
		// Every test reports itself skipped, with the reason, rather than a silent ok.
		skipAll = "SKIPPED: end-to-end tests need root to build the practice lab (run sudo make test)"
		fmt.Println("e2e:", skipAll)
		os.Exit(m.Run())
	}
	before := hostState()
	bin = os.Getenv("SWARMWIZ_BIN")
	if bin == "" {
		dir, err := os.MkdirTemp("", "swarmwiz-e2e")
		if err != nil {
			panic(err)
		}
		bin = filepath.Join(dir, "swarmwiz")
		build := exec.Command("go", "build", "-o", bin, "github.com/swarmwiz/swarmwiz/cmd/swarmwiz")
		// Static, as make build: the binary is also the probe image of `swarmwiz check`.
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err := build.CombinedOutput()
		if err != nil {
			fmt.Printf("build: %v\n%s", err, out)
			os.Exit(1)
		}
	}
	// A learner's classroom keys are kept under the user's config folder: the tests' own
	// folder, gone with them, not this machine's root's.
	config, err := os.MkdirTemp("", "swarmwiz-e2e-config")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CONFIG_HOME", config)
	code := m.Run()
	os.RemoveAll(config)
	// Tear down even when tests failed; a panic is covered by the Makefile's clean-labs.
	exec.Command(bin, "lab", "down", "--name", labName).Run()
	exec.Command(bin, "lab", "down", "--name", machLab).Run()
	// The tests changed nothing of this machine's own users, sudo rules or locales, and the
	// labs left nothing behind: no process, container, cgroup, namespace, link, rule, mount or
	// raised limit.
	if diff := changedLines(before, hostState()); len(diff) > 0 {
		fmt.Printf("e2e: the tests changed this machine or left something of a lab:\n%s\n", strings.Join(diff, "\n"))
		code = 1
	} else {
		fmt.Println("e2e: this machine's /etc/passwd, /etc/group, /etc/shadow, sudoers and locales are as before, and no lab left a process, container, cgroup, namespace, link, firewall rule, mount or limit")
	}
	os.Exit(code)
}

// skipAll is why every test skips (not root), or "".
var skipAll string

// needLab skips the test when the lab cannot be built here, saying why.
func needLab(t *testing.T) {
	t.Helper()
	if skipAll != "" {
		t.Skip(skipAll)
	}
}

// hostState is what the tests must leave on this machine as they found it: its users and
// groups, its sudo rules and the locales it has. Test users, sudoers and locales belong in
// machine nodes' own /etc, never here.
func hostState() string {
	var b strings.Builder
	for _, f := range []string{"/etc/passwd", "/etc/group", "/etc/shadow", "/etc/sudoers", "/etc/default/locale", "/etc/locale.gen"} {
		data, _ := os.ReadFile(f)
		fmt.Fprintf(&b, "== %s\n%s", f, data)
	}
	entries, _ := os.ReadDir("/etc/sudoers.d")
	for _, e := range entries {
		data, _ := os.ReadFile(filepath.Join("/etc/sudoers.d", e.Name()))
		fmt.Fprintf(&b, "== /etc/sudoers.d/%s\n%s", e.Name(), data)
	}
	locales, _ := exec.Command("locale", "-a").Output()
	fmt.Fprintf(&b, "== locale -a\n%s", locales)
	return b.String() + hostTraces("")
}

// hostTraces is what a lab could leave on this machine: network namespaces, links, firewall
// rules, mounts, the neighbour table's limits, cgroups, and processes that are a lab's (by
// their cgroup or their files) or a container's. With only set, only that lab's processes.
func hostTraces(only string) string {
	var b strings.Builder
	for _, c := range [][]string{{"ip", "netns", "list"}, {"ip", "-o", "link", "show"}, {"iptables", "-w", "-S"}, {"iptables", "-w", "-t", "nat", "-S"}} {
		out, _ := exec.Command(c[0], c[1:]...).Output()
		fmt.Fprintf(&b, "== %s\n", strings.Join(c, " "))
		for _, line := range strings.Split(string(out), "\n") {
			if c[1] == "-o" { // "3: name@peer: <FLAGS> ...": the name and flags, not counters
				f := strings.Fields(line)
				if len(f) > 2 {
					line = f[1] + " " + f[2]
				}
			}
			fmt.Fprintln(&b, line)
		}
	}
	mounts, _ := os.ReadFile("/proc/self/mounts")
	fmt.Fprintf(&b, "== mounts\n%s", mounts)
	for _, k := range []string{"gc_thresh1", "gc_thresh2", "gc_thresh3"} {
		v, _ := os.ReadFile("/proc/sys/net/ipv4/neigh/default/" + k)
		fmt.Fprintf(&b, "== %s %s", k, v)
	}
	locks, _ := filepath.Glob("/tmp/swarmwiz-*.lock")
	holders, _ := filepath.Glob("/tmp/swarmwiz-*.holder")
	locks = append(locks, holders...)
	fmt.Fprintf(&b, "== node locks in /tmp\n%s\n", strings.Join(locks, "\n"))
	groups, _ := filepath.Glob("/sys/fs/cgroup/*/swarmwiz-lab/*")
	more, _ := filepath.Glob("/sys/fs/cgroup/swarmwiz-lab/*")
	fmt.Fprintf(&b, "== cgroups\n%s\n", strings.Join(append(groups, more...), "\n"))
	b.WriteString("== processes\n")
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		cg, _ := os.ReadFile(p + "/cgroup")
		cmd, _ := os.ReadFile(p + "/cmdline")
		line := strings.ReplaceAll(string(cmd), "\x00", " ")
		mine := strings.Contains(string(cg), "/swarmwiz-lab/") || strings.Contains(line, lab.StateRoot+"/")
		if only != "" {
			mine = strings.Contains(string(cg), "/swarmwiz-lab/"+only+"/") || strings.Contains(line, lab.Dir(only)+"/")
		} else {
			mine = mine || strings.Contains(string(cg), "0::/docker/")
		}
		if mine && startOf(atoi(filepath.Base(p))) != "" {
			fmt.Fprintf(&b, "%s\n", line)
		}
	}
	return b.String()
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// changedLines are the lines of after that before lacks, and the other way round.
func changedLines(before, after string) []string {
	count := map[string]int{}
	for _, l := range strings.Split(before, "\n") {
		count[l]++
	}
	for _, l := range strings.Split(after, "\n") {
		count[l]--
	}
	var out []string
	for l, n := range count {
		switch {
		case n > 0:
			out = append(out, "- "+l)
		case n < 0:
			out = append(out, "+ "+l)
		}
	}
	return out
}

// englishEnv is this process's environment in the C locale: the tests read English unless
// they ask for another language, whatever the machine running them speaks.
func englishEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "LANG" && k != "LANGUAGE" && !strings.HasPrefix(k, "LC_") {
			env = append(env, kv)
		}
	}
	return append(env, "LANG=C.UTF-8")
}

// result is one run of the binary.
type result struct {
	out, err string
	code     int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.err)
}

// swarmwiz runs the binary without a terminal, stdin empty, in English.
func swarmwiz(t *testing.T, args ...string) result {
	t.Helper()
	return runIn(t, englishEnv(), args...)
}

// runIn runs the binary without a terminal, stdin empty, with the environment env.
func runIn(t *testing.T, env []string, args ...string) result {
	t.Helper()
	needLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{out: out.String(), err: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("swarmwiz %v: %v", args, err)
	}
	return r
}

// labNode is a node as `lab status --output json` lists it.
type labNode = lab.NodeStatus

func labStatus(t *testing.T, name string) []labNode {
	t.Helper()
	r := swarmwiz(t, "lab", "status", "--name", name, "--output", "json")
	if r.code != 0 {
		t.Fatalf("lab status: %s", r)
	}
	var st struct{ Nodes []labNode }
	if err := json.Unmarshal([]byte(r.out), &st); err != nil {
		t.Fatalf("lab status json: %v\n%s", err, r.out)
	}
	return st.Nodes
}

// sharedLab brings the seed's 7-node lab up (once; `lab up` of a healthy lab is a no-op)
// with every node out of any swarm.
func sharedLab(t *testing.T) []labNode {
	t.Helper()
	if r := swarmwiz(t, "lab", "up", "--name", labName, "--nodes", "7", "--subnet", "198.18.100.0/24"); r.code != 0 {
		t.Fatalf("lab up: %s", r)
	}
	// Every node leaves at once: a manager's leave waits on Raft, one after another is slow.
	// A manager just restarted by a drill may still be rejoining its old swarm, so check
	// that every node is out, and try again (bounded) until it is.
	for try := 0; ; try++ {
		nodes := labStatus(t, labName)
		var wg sync.WaitGroup
		busy := 0
		for _, n := range nodes {
			if n.Swarm == "inactive" {
				continue
			}
			busy++
			wg.Add(1)
			go func() {
				defer wg.Done()
				sshTry(n, "docker swarm leave --force")
			}()
		}
		wg.Wait()
		if busy == 0 {
			freeGossip(t, nodes)
			return nodes
		}
		if try == 20 {
			t.Fatalf("nodes still in a swarm after resetting: %+v", nodes)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// ssh runs cmd on n with the real OpenSSH client, strict host key checking and the lab's
// known_hosts: what a learner would type.
func ssh(t *testing.T, n labNode, cmd string) string {
	t.Helper()
	out, err := sshTry(n, cmd)
	if err != nil {
		t.Fatalf("ssh %s %q: %v\n%s", n.Name, cmd, err, out)
	}
	return strings.TrimSpace(out)
}

func sshTry(n labNode, cmd string) (string, error) {
	c := exec.Command("ssh", "-i", n.IdentityFile, "-o", "StrictHostKeyChecking=yes",
		"-o", "UserKnownHostsFile="+n.KnownHostsFile, "-o", "BatchMode=yes", "-o", "ConnectTimeout=5",
		n.User+"@"+n.Address, cmd)
	out, err := c.CombinedOutput()
	return string(out), err
}

// nodeLs is `docker node ls` read back over SSH from a manager, one map a node.
func nodeLs(t *testing.T, manager labNode) []map[string]any {
	t.Helper()
	var rows []map[string]any
	for _, line := range strings.Split(ssh(t, manager, "docker node ls --format '{{json .}}'"), "\n") {
		m := map[string]any{}
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("node ls line %q: %v", line, err)
		}
		rows = append(rows, m)
	}
	return rows
}

func runOut(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}

// nowPlus is the Unix time n seconds from now, as text.
func nowPlus(n int64) string { return strconv.FormatInt(time.Now().Unix()+n, 10) }

// stopNode stops a lab node's daemons (a failure drill) and starts it again when the test
// ends.
func stopNode(t *testing.T, name string) {
	t.Helper()
	if r := swarmwiz(t, "lab", "stop", "--name", labName, name); r.code != 0 {
		t.Fatal(r)
	}
	t.Cleanup(func() { swarmwiz(t, "lab", "start", "--name", labName, name) })
}

// freeGossip restarts the dockerd of every node that still holds 7946/udp though it left its
// swarm (docker 20.10 sometimes keeps its gossip socket after a leave, moby/moby#31913):
// every test starts from nodes that never were in a swarm, as a learner's fresh machines
// are. The preflight names such a node itself (TestBusyUDPPortFindings, and
// TestPreflightProbesUDP with another program on the port); here it would only hide the
// fault a test puts there.
func freeGossip(t *testing.T, nodes []labNode) {
	t.Helper()
	var mu sync.Mutex
	var leaked []labNode
	var wg sync.WaitGroup
	for _, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if out, _ := sshTry(n, "ss -Hulpn 'sport = :7946'"); strings.Contains(out, `"dockerd"`) {
				mu.Lock()
				leaked = append(leaked, n)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(leaked) > 0 {
		freshDaemons(t, leaked)
	}
}

// freshDaemons restarts every node's dockerd (and sshd). Tests that send traffic over the
// overlay need it: the shared lab's nodes leave one swarm and join the next again and again,
// and docker's network agent then sometimes fails to start ("error in agentInit ... 7946:
// address already in use", moby/moby#31913), leaving that node's overlay dead until dockerd
// restarts. `swarmwiz check` names that fault; the other tests must not be hit by it.
func freshDaemons(t *testing.T, nodes []labNode) {
	t.Helper()
	for _, verb := range []string{"stop", "start"} {
		var wg sync.WaitGroup
		for _, n := range nodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if out, err := runOut(bin, "lab", verb, "--name", labName, n.Name); err != nil {
					t.Errorf("lab %s %s: %v\n%s", verb, n.Name, err, out)
				}
			}()
		}
		wg.Wait()
	}
}
