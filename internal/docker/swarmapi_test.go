package docker

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/remote/remotetest"
)

// The node list read from the API is what `docker node ls` prints: its words, ordered by
// hostname as people count, the node read from marked.
func TestNodeListAsDockerNodeLsShowsIt(t *testing.T) {
	node := &remotetest.Node{Replies: map[string]remotetest.Reply{
		"API GET /info": {Out: `{"Swarm":{"NodeID":"b2"}}`},
		"API GET /nodes": {Out: `[
{"ID":"c3","Spec":{"Availability":"drain"},"Description":{"Hostname":"node10","Engine":{"EngineVersion":"24.0.7"}},"Status":{"State":"down"},"ManagerStatus":{"Reachability":"unreachable"}},
{"ID":"a1","Spec":{"Availability":"active"},"Description":{"Hostname":"node2","Engine":{"EngineVersion":"24.0.7"}},"Status":{"State":"ready"}},
{"ID":"b2","Spec":{"Availability":"active"},"Description":{"Hostname":"node1","Engine":{"EngineVersion":"20.10.24"}},"Status":{"State":"ready"},"ManagerStatus":{"Leader":true,"Reachability":"reachable"}}]`},
	}}
	rows, err := API{Dial: node.DockerConn}.NodeList(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, strings.Join([]string{r.ID, r.Hostname, r.Status, r.Availability, r.ManagerStatus, r.EngineVersion}, " ")+map[bool]string{true: " *"}[r.Self])
	}
	want := "b2 node1 Ready Active Leader 20.10.24 *|a1 node2 Ready Active  24.0.7|c3 node10 Down Drain Unreachable 24.0.7"
	if strings.Join(got, "|") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(got, "|"), want)
	}
}

// The init request carries every option swarmwiz offers, and nothing where docker's default
// stands.
func TestSwarmInitSendsTheOptions(t *testing.T) {
	node := &remotetest.Node{}
	api := API{Dial: node.DockerConn}
	if err := api.SwarmInit(context.Background(), "10.0.0.1", InitOptions{}); err != nil {
		t.Fatal(err)
	}
	o := InitOptions{Pools: []string{"10.200.0.0/16"}, PoolMaskLen: 26, DataPathPort: 4800, Availability: "drain", Autolock: true, CertExpiry: 48 * time.Hour}
	if err := api.SwarmInit(context.Background(), "10.0.0.1", o); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`POST /swarm/init {"ListenAddr":"0.0.0.0:2377","AdvertiseAddr":"10.0.0.1","SubnetSize":24,"Spec":{"CAConfig":{},"EncryptionConfig":{"AutoLockManagers":false}}}`,
		`POST /swarm/init {"ListenAddr":"0.0.0.0:2377","AdvertiseAddr":"10.0.0.1","DataPathPort":4800,"DefaultAddrPool":["10.200.0.0/16"],"SubnetSize":26,"Availability":"drain","Spec":{"CAConfig":{"NodeCertExpiry":172800000000000},"EncryptionConfig":{"AutoLockManagers":true}}}`,
	}
	if got := node.APIRequests(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestNaturalLess(t *testing.T) {
	for _, c := range []struct {
		a, b string
		less bool
	}{{"node2", "node10", true}, {"node10", "node2", false}, {"a", "b", true}, {"node1", "node1", false}, {"node", "node1", true}, {"n01", "n2", true}} {
		if got := naturalLess(c.a, c.b); got != c.less {
			t.Errorf("naturalLess(%q, %q) = %v", c.a, c.b, got)
		}
	}
}

// A node promoted a moment ago has the manager role in its spec before Raft lists it
// (ManagerStatus still null): it is promoting; a demoted one, or one of an older daemon that
// sends no role, is not.
func TestPromotingFollowsTheSpec(t *testing.T) {
	rows, err := nodeRows([]byte(`[
	{"ID":"a","Spec":{"Role":"manager"},"Description":{"Hostname":"promoted"},"ManagerStatus":null},
	{"ID":"b","Spec":{"Role":"worker"},"Description":{"Hostname":"demoted"},"ManagerStatus":{"Reachability":"reachable"}},
	{"ID":"c","Spec":{"Role":"manager"},"Description":{"Hostname":"manager"},"ManagerStatus":{"Reachability":"reachable"}},
	{"ID":"d","Description":{"Hostname":"old"},"ManagerStatus":null}]`), "a")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"promoted": true, "demoted": false, "manager": false, "old": false}
	for _, r := range rows {
		if r.Promoting() != want[r.Hostname] {
			t.Errorf("%s: Promoting %v", r.Hostname, r.Promoting())
		}
	}
}
