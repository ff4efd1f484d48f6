package stepstest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/swarmwiz/swarmwiz/internal/remote"
	"github.com/swarmwiz/swarmwiz/internal/remote/remotetest"
	"github.com/swarmwiz/swarmwiz/wizard"
)

const (
	MgrToken = "SWMTKN-1-0123456789abcdefghijklmnopqrstuvwxyz0123456789abcd-managersecret0123456789"
	WrkToken = "SWMTKN-1-0123456789abcdefghijklmnopqrstuvwxyz0123456789abcd-workersecret01234567890"
)

// FakeCluster is n fake nodes at 10.0.0.1..n, not in a swarm, docker answering.
func FakeCluster(n int) map[string]*remotetest.Node {
	nodes := map[string]*remotetest.Node{}
	for i := 1; i <= n; i++ {
		addr := fmt.Sprintf("10.0.0.%d", i)
		nodes[addr] = &remotetest.Node{Replies: map[string]remotetest.Reply{
			"# Reads what swarmwiz needs": {Out: fmt.Sprintf("hostname=n%d\nos=Rocky Linux 9.3 (Blue Onyx)\nos_id=rocky\ndocker_installed=yes\ndocker=24.0.7\n"+
				"swarm={\"LocalNodeState\":\"inactive\"}\n#ip\n1: lo    inet 127.0.0.1/8 scope host lo\n2: eth0    inet %s/24 scope global eth0\n3: docker0    inet 172.17.0.1/16 scope global docker0\n#end\n", i, addr)},
			"API GET /swarm":  {Out: fmt.Sprintf(`{"JoinTokens":{"Manager":%q,"Worker":%q}}`, MgrToken, WrkToken)},
			"API GET /info":   {Out: fmt.Sprintf(`{"Swarm":{"NodeID":"id%d"}}`, i)},
			"API GET /nodes/": {Out: `{"ManagerStatus":{"Leader":false,"Reachability":"reachable","Addr":"x"}}`},
			"API GET /nodes": {Out: APINodes(`id1 n1 ready active leader`, `id2 n2 ready active reachable`,
				`id3 n3 ready active reachable`, `id4 n4 ready active -`)},
		}}
	}
	return nodes
}

func TestEnv(p wizard.Prompter, nodes map[string]*remotetest.Node, interactive bool) (*wizard.Env, *bytes.Buffer) {
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

func HostsState(n int) *wizard.State {
	st := &wizard.State{SSH: wizard.SSH{User: "root", KeyFiles: []string{"k"}, KnownHosts: "kh"}}
	for i := 1; i <= n; i++ {
		st.Nodes = append(st.Nodes, &wizard.Node{Host: fmt.Sprintf("10.0.0.%d", i)})
	}
	return st
}

// APINodes is the daemon's answer to GET /nodes for rows "ID HOSTNAME STATE AVAILABILITY
// MANAGER" (manager: leader, reachable, unreachable, or - for a worker), engine 24.0.7.
func APINodes(rows ...string) string {
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

func Contains(list []string, s string) bool {
	for _, l := range list {
		if strings.TrimSpace(l) == s {
			return true
		}
	}
	return false
}

func Ans(question, value string) wizard.Answer {
	return wizard.Answer{Question: question, Value: value}
}
