package preflight

import (
	"flag"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/internal/facts"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// osFacts reads a fixture os-release file as the facts script would report it.
func osFacts(t *testing.T, path string) facts.Facts {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f facts.Facts
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, "=")
		v = strings.Trim(v, `"`)
		switch k {
		case "ID":
			f.OSID = v
		case "VERSION_ID":
			f.OSVersion = v
		case "PRETTY_NAME":
			f.OS = v
		}
	}
	return f
}

// typicalFirewall is what each fixture OS runs out of the box.
var typicalFirewall = map[string]string{"centos7": "firewalld", "rocky9": "firewalld", "ubuntu2204": "ufw", "debian12": "iptables"}

// The install and firewall scripts, rendered for CentOS 7, Rocky 9, Ubuntu 22.04 and
// Debian 12 from their os-release files, match their golden files and pass `bash -n`.
func TestScriptsGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/os-release/*")
	if len(files) != 4 {
		t.Fatalf("want 4 os-release fixtures, found %d", len(files))
	}
	for _, file := range files {
		name := filepath.Base(file)
		f := osFacts(t, file)
		install, err := InstallScript(f, SourceDocker)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// The OS's own packages: a script, or (RHEL and its rebuilds package no Docker
		// Engine) the one-line reason, golden too.
		distro, err := InstallScript(f, SourceDistro)
		if err != nil {
			distro = "# refused: " + err.Error() + "\n"
		}
		fw, err := FirewallScript(typicalFirewall[name], facts.NftChain{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		for kind, got := range map[string]string{"install": install, "install-distro": distro, "firewall": fw} {
			golden := filepath.Join("testdata", name+"-"+kind+".golden")
			if *update {
				os.WriteFile(golden, []byte(got), 0o644)
			}
			want, err := os.ReadFile(golden)
			if err != nil || string(want) != got {
				t.Errorf("%s differs from %s (go test -update rewrites it):\n%s", kind, golden, got)
			}
			if out, err := exec.Command("bash", "-n", "-c", got).CombinedOutput(); err != nil {
				t.Errorf("%s %s: bash -n: %v %s", name, kind, err, out)
			}
		}
	}
}

func TestOSRecognised(t *testing.T) {
	for _, c := range []struct {
		id, version string
		level       Level
		note        string
	}{
		{"centos", "7", Note, "vault.centos.org"}, {"rocky", "9.3", Note, ""}, {"almalinux", "8.9", Note, ""},
		{"ubuntu", "20.04", Note, ""}, {"ubuntu", "24.04", Note, ""}, {"debian", "11", Note, ""}, {"debian", "13", Note, ""},
		{"arch", "", Warn, "not one swarmwiz knows"},
	} {
		_, level, note := OS(c.id, c.version)
		if level != c.level || !strings.Contains(note, c.note) {
			t.Errorf("%s %s: %v %q", c.id, c.version, level, note)
		}
	}
}

func TestCheckFindsClonesSkewAndSwarms(t *testing.T) {
	base := facts.Facts{OSID: "debian", OSVersion: "12", DockerInstalled: true, DockerVersion: "20.10.24", Swarm: docker.Swarm{LocalNodeState: "inactive"}}
	a, b, c := base, base, base
	a.Hostname, b.Hostname, c.Hostname = "n1", "n1", "n3"
	a.MachineID, b.MachineID, c.MachineID = "m1", "m2", "m2"
	c.Swarm = docker.Swarm{LocalNodeState: "active", ControlAvailable: true}
	a.Addrs = []facts.Addr{{Iface: "eth0", IP: "10.0.2.15"}}
	got := Check([]Node{{Name: "a", Addr: "1", Facts: a, Skew: 45}, {Name: "b", Addr: "2", Facts: b}, {Name: "c", Addr: "3", Facts: c}}, "10.0.2.15", Options{})
	want := []string{"a (1) and b (2) share the hostname", "b (2) and c (3) share the machine-id", "+45 s from this machine's clock",
		"already a manager of another swarm", "VirtualBox NAT"}
	text := ""
	for _, f := range got {
		text += f.Level.String() + " " + f.Node + " " + f.Result + "\n"
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("findings lack %q:\n%s", w, text)
		}
	}
}

func TestParseProbe(t *testing.T) {
	got := ParseProbe("2377 blocked timeout\n7946 open refused\n")
	if len(got) != 1 || got[0] != (Blocked{2377, "timeout"}) {
		t.Errorf("%v", got)
	}
}

// An address every node has (VirtualBox NAT, docker0) is an error naming the others and
// offering the first manager's own addresses; the same machine given twice is a duplicate
// entry, not a clone; advice names what works where the user is.
func TestCheckSharedAddressTwiceAndAdvice(t *testing.T) {
	mk := func(name, own string) facts.Facts {
		return facts.Facts{Hostname: name, OSID: "debian", OSVersion: "12", DockerInstalled: true, DockerVersion: "20.10.24",
			MachineID: "m-" + name, Swarm: docker.Swarm{LocalNodeState: "inactive"},
			Addrs: []facts.Addr{{Iface: "eth0", IP: "10.0.2.15"}, {Iface: "eth1", IP: own}}}
	}
	nodes := []Node{{Name: "n1", Addr: "192.168.56.11", Facts: mk("n1", "192.168.56.11")}, {Name: "n2", Addr: "192.168.56.12", Facts: mk("n2", "192.168.56.12")}}
	text := findingsText(Check(nodes, "10.0.2.15", Options{}))
	for _, want := range []string{"ERROR n1 10.0.2.15 is also an address of n2", "192.168.56.11 (eth1)"} {
		if !strings.Contains(text, want) {
			t.Errorf("lacks %q:\n%s", want, text)
		}
	}
	twice := append(nodes[:1:1], Node{Name: "n1", Addr: "root@192.168.56.11:22", Facts: nodes[0].Facts})
	text = findingsText(Check(twice, "192.168.56.11", Options{}))
	if !strings.Contains(text, "are the same machine") || strings.Contains(text, "cloned") || strings.Contains(text, "share the") {
		t.Errorf("the same machine twice:\n%s", text)
	}
	down := mk("node4", "198.18.0.5")
	down.DockerVersion = ""
	other := mk("node5", "198.18.0.6")
	other.Swarm = docker.Swarm{LocalNodeState: "active"}
	for _, c := range []struct {
		o          Options
		want, lack string
	}{
		{Options{Lab: "lab"}, "swarmwiz lab start --name lab node4", "systemctl"},
		{Options{}, "sudo systemctl enable --now docker", "swarmwiz lab"},
		{Options{}, "--leave-other-swarms", "swarmwiz offers"},
		{Options{Interactive: true}, "swarmwiz offers to", "--leave-other-swarms"},
	} {
		text := findingsText(Check([]Node{{Name: "node4", Facts: down}, {Name: "node5", Facts: other}}, "", c.o))
		if !strings.Contains(text, c.want) || strings.Contains(text, c.lack) {
			t.Errorf("%+v: want %q without %q:\n%s", c.o, c.want, c.lack, text)
		}
	}
}

func findingsText(fs []Finding) string {
	text := ""
	for _, f := range fs {
		text += f.Level.String() + " " + f.Node + " " + f.Result + " | " + f.Fix + "\n"
	}
	return text
}

// A node whose interface toward swarmwiz has an MTU below what the overlay assumes is warned
// about, with the MTU to give overlay networks; 1500 is fine.
func TestCheckWarnsSmallMTU(t *testing.T) {
	out, err := facts.Parse("hostname=n1\narch=x86_64\n#ip\n2: eth0    inet 10.0.0.1/24 scope global eth0\n1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue\n2: eth0@if7: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1400 qdisc noqueue\n#end\n")
	if err != nil || out.Arch != "x86_64" || out.IfaceOf("10.0.0.1") != "eth0" {
		t.Fatalf("parse: %+v %v", out, err)
	}
	found := Check([]Node{{Name: "n1", Addr: "10.0.0.1", Facts: out}}, "10.0.0.1", Options{})
	var mtu *Finding
	for i := range found {
		if found[i].Check == "mtu" {
			mtu = &found[i]
		}
	}
	if mtu == nil || mtu.Level != Warn || !strings.Contains(mtu.Result, "eth0 has MTU 1400") || !strings.Contains(mtu.Fix, "com.docker.network.driver.mtu=1350") {
		t.Errorf("want an MTU warning for eth0 at 1400: %+v", found)
	}
	out.MTU["eth0"] = 1500
	for _, f := range Check([]Node{{Name: "n1", Addr: "10.0.0.1", Facts: out}}, "10.0.0.1", Options{}) {
		if f.Check == "mtu" {
			t.Errorf("MTU 1500 is fine: %+v", f)
		}
	}
}

// A node on a 10.x network makes docker's default pool unsafe: a pool that overlaps none of
// the nodes' networks (addresses and routes) is proposed, and the overlap is named.
func TestPoolProposal(t *testing.T) {
	node := func(name string, nets ...string) Node {
		var f facts.Facts
		for _, n := range nets {
			p := netip.MustParsePrefix(n)
			f.Addrs = append(f.Addrs, facts.Addr{Iface: "eth0", IP: p.Addr().String(), Net: p.Masked()})
		}
		return Node{Name: name, Facts: f}
	}
	lan := []Node{node("node1", "192.168.56.11/24"), node("node2", "192.168.56.12/24")}
	if o := PoolOverlaps(lan, nil); len(o) != 0 {
		t.Errorf("a 192.168 LAN does not overlap 10.0.0.0/8: %v", o)
	}
	office := []Node{node("node1", "10.123.0.2/24"), node("node2", "10.123.0.3/24")}
	office[1].Facts.Routes = []facts.Route{{Iface: "eth0", Net: netip.MustParsePrefix("10.200.0.0/16")}}
	o := PoolOverlaps(office, nil)
	if len(o) != 3 || o[0].Node != "node1" || o[0].Net.String() != "10.123.0.0/24" || o[2].Net.String() != "10.200.0.0/16" {
		t.Errorf("overlaps: %v", o)
	}
	if p := ProposePool(office, 0); p != "10.201.0.0/16" {
		t.Errorf("proposed %q, want 10.201.0.0/16 (10.200.0.0/16 is routed by node2)", p)
	}
	if o := PoolOverlaps(office, []string{"10.123.0.0/16"}); len(o) != 2 {
		t.Errorf("a given pool over the nodes' network: %v", o)
	}
}

// "live-restore": true is refused before anything changes, with the daemon.json fix (docker
// would refuse the init or join with its own words); a node already in the swarm is left be.
func TestCheckRefusesLiveRestore(t *testing.T) {
	f := facts.Facts{Hostname: "n1", OSID: "debian", OSVersion: "12", DockerInstalled: true, DockerVersion: "24.0.7",
		MachineID: "m1", Swarm: docker.Swarm{LocalNodeState: "inactive"}, LiveRestore: true}
	text := findingsText(Check([]Node{{Name: "n1", Addr: "10.0.0.1", Facts: f}}, "10.0.0.1", Options{}))
	if !strings.Contains(text, `ERROR n1 "live-restore": true is set`) || !strings.Contains(text, "/etc/docker/daemon.json") {
		t.Errorf("live-restore not refused:\n%s", text)
	}
	if text := findingsText(Check([]Node{{Name: "n1", Addr: "10.0.0.1", Facts: f, Member: true}}, "10.0.0.1", Options{})); strings.Contains(text, "live-restore") {
		t.Errorf("a member is not refused again:\n%s", text)
	}
}

// A hostname that is not a DNS name (an underscore) gets a note with a name that is.
func TestCheckNotesHostnameNotDNS(t *testing.T) {
	f := facts.Facts{Hostname: "swarm_node1", OSID: "debian", OSVersion: "12", DockerInstalled: true, DockerVersion: "24.0.7",
		MachineID: "m1", Swarm: docker.Swarm{LocalNodeState: "inactive"}}
	text := findingsText(Check([]Node{{Name: "swarm_node1", Addr: "10.0.0.1", Facts: f}}, "10.0.0.1", Options{}))
	if !strings.Contains(text, `"swarm_node1" is not a valid DNS name`) || !strings.Contains(text, "hostnamectl set-hostname swarm-node1") {
		t.Errorf("no note:\n%s", text)
	}
	f.Hostname = "node-1.example.lan"
	if text := findingsText(Check([]Node{{Name: "n", Addr: "10.0.0.1", Facts: f}}, "10.0.0.1", Options{})); strings.Contains(text, "DNS name") {
		t.Errorf("a DNS name noted:\n%s", text)
	}
}
