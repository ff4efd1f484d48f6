package create

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/internal/facts"
	"github.com/swarmwiz/swarmwiz/internal/preflight"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// adviceNodes are the cases whose advice depends on where it is read: a node whose docker
// does not answer, one in another swarm, the same machine given twice, and an advertise
// address every node has.
func adviceNodes() []preflight.Node {
	mk := func(name, ip string) facts.Facts {
		return facts.Facts{Hostname: name, OSID: "debian", OSVersion: "12", DockerInstalled: true, DockerVersion: "20.10.24",
			MachineID: "m-" + name, Swarm: docker.Swarm{LocalNodeState: "inactive"},
			Addrs: []facts.Addr{{Iface: "eth0", IP: ip}, {Iface: "eth1", IP: "10.0.2.15"}}}
	}
	n1, n2, n3 := mk("node1", "198.18.0.2"), mk("node2", "198.18.0.3"), mk("node3", "198.18.0.4")
	n2.DockerVersion = ""
	n3.Swarm = docker.Swarm{LocalNodeState: "active", ControlAvailable: true}
	return []preflight.Node{{Name: "node1", Addr: "198.18.0.2", Facts: n1}, {Name: "node2", Addr: "198.18.0.3", Facts: n2},
		{Name: "node3", Addr: "198.18.0.4", Facts: n3}, {Name: "node1", Addr: "root@198.18.0.2:22", Facts: n1}}
}

// The advice a user reads, golden-tested in the lab's wording and a real machine's, on a
// terminal and off one: the fixes name what works where the user is.
func TestAdviceGolden(t *testing.T) {
	for name, o := range map[string]preflight.Options{
		"advice-lab":           {Interactive: true, Lab: "lab"},
		"advice-real":          {Interactive: true},
		"advice-real-noninter": {},
	} {
		t.Run(name, func(t *testing.T) {
			got := PreflightText(preflight.Check(adviceNodes(), "10.0.2.15", o)) + "\n" + NextStepsText(3, o.Lab, "swarmwiz-probe:v1.0")
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				os.WriteFile(golden, []byte(got), 0o644)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("differs from %s:\n--- got\n%s\n--- want\n%s", golden, got, want)
			}
		})
	}
}
