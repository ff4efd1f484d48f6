package templates_test

import (
	"crypto/ed25519"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/swarmwiz/swarmwiz/internal/classroom"
	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/internal/facts"
	"github.com/swarmwiz/swarmwiz/internal/lab"
	"github.com/swarmwiz/swarmwiz/internal/preflight"
	"github.com/swarmwiz/swarmwiz/internal/remote"
	"github.com/swarmwiz/swarmwiz/steps/check"
	"github.com/swarmwiz/swarmwiz/steps/create"
	"github.com/swarmwiz/swarmwiz/steps/prelude"
	"github.com/swarmwiz/swarmwiz/steps/quorum"
	"github.com/swarmwiz/swarmwiz/templates"
	"github.com/swarmwiz/swarmwiz/wizard"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// goldens render every template the way the program does: through the function that renders
// it, with data of the program's own types. A template and the code that feeds it cannot
// drift apart unnoticed.
var goldens = map[string]func() (string, error){
	"net-up.sh":    func() (string, error) { return lab.NetUpScript(labInv(1)) },
	"down.sh":      func() (string, error) { return lab.DownScript("lab") },
	"node-boot.sh": func() (string, error) { return lab.BootScript(labInv(1), labInv(1).Nodes[0]) },
	"node-stop.sh": func() (string, error) { return lab.StopScript(labInv(1).Nodes[0]) },
	"sshd_config":  func() (string, error) { return lab.SSHDConfig(labInv(1), labInv(1).Nodes[0]) },
	"hosts":        func() (string, error) { return lab.HostsFile(labInv(2)) },
	"install-debian.sh": func() (string, error) {
		return lab.InstallScript(true, []string{"docker.service", "docker.socket", "containerd.service"}, lab.Packages)
	},
	"lab-up":          func() (string, error) { return lab.UpText(labInv(1)) },
	"image-base.sh":   func() (string, error) { return lab.ImageScript("debian-12", "base", "http://deb.debian.org/debian") },
	"image-docker.sh": func() (string, error) { return lab.ImageScript("debian-11", "docker", "http://deb.debian.org/debian") },
	"acng.conf":       func() (string, error) { return lab.AptProxyConfig(labInv(1)) },
	"apt-proxy.conf":  func() (string, error) { return lab.NodeAptConfig(labInv(1)) },
	"lab-images": func() (string, error) {
		return lab.ImagesText([]lab.Image{{Release: "debian-12", Layer: "base", Path: "/var/lib/swarmwiz/images/debian-12/base", Bytes: 304_000_000},
			{Release: "debian-12", Layer: "docker", Path: "/var/lib/swarmwiz/images/debian-12/docker", Bytes: 316_000_000}})
	},
	"lab-status": func() (string, error) {
		inv := labInv(1)
		return lab.StatusText(inv, []lab.NodeStatus{{Name: "node1", Address: inv.Nodes[0].Address, Kind: "machine", OS: "debian-12", SSHD: true, Swarm: "unknown"}})
	},
	"baseline.sh": func() (string, error) {
		inv := labInv(4)
		return lab.ByHandScript(inv, "198.18.0.2", []string{"198.18.0.3", "198.18.0.4"}, []string{"198.18.0.5"})
	},
	"facts.sh": ok(facts.Command(true)),
	"swarm-init": ok(docker.Init("10.0.0.11", docker.InitOptions{}) + "\n" + docker.Init("10.0.0.11", docker.InitOptions{Pools: []string{"10.200.0.0/16"},
		PoolMaskLen: 26, DataPathPort: 5789, Availability: "drain", Autolock: true, CertExpiry: 720 * time.Hour})),
	"join-token":          ok(docker.JoinToken("worker")),
	"swarm-join":          ok(docker.Join("SWMTKN-1-abc-def", "10.0.0.11:2377", "") + "\n" + docker.JoinAs("SWMTKN-1-abc-def", "10.0.0.11:2377", "", "drain")),
	"node-ls":             ok(docker.NodeLs()),
	"swarm-leave":         ok(docker.Leave(true)),
	"node-demote":         ok(docker.Demote("node3")),
	"node-promote":        ok(docker.Promote("node3")),
	"node-addr":           ok(docker.NodeAddr("abc123")),
	"swarm-join-addr":     ok(docker.JoinState("/srv/docker root")),
	"node-rm":             ok(docker.Rm("node3", false)),
	"node-manager-status": ok(docker.ManagerStatus("abc123")),
	"node-cert":           ok(docker.Cmd("node-cert", "/var/lib/docker/swarm/certificates/swarm-node.crt")),
	"join-token-rotate":   ok(docker.Cmd("join-token-rotate", "worker")),
	"unlock-key-rotate":   ok(docker.Cmd("unlock-key-rotate", nil)),
	"unlock-key":          ok(docker.Cmd("unlock-key", nil)),
	"swarm-unlock":        ok(docker.Cmd("swarm-unlock", nil)),
	"swarm-inspect":       ok(docker.Cmd("swarm-inspect", nil)),
	"sudo-mode.sh":        ok(remote.SudoModeScript()),
	"udp-listen.sh":       ok(preflight.UDPListenScript(4, []int{7946, 4789})),
	"udp-send.sh":         ok(preflight.UDPSendScript([]string{"10.0.0.12", "10.0.0.13"}, []int{7946, 4789}, true)),
	"udp-holders.sh":      ok(preflight.UDPHoldersScript()),
	"gossip-log.sh":       ok(docker.GossipLogTwoRounds(40, 40)),
	"node-lock.sh":        func() (string, error) { return facts.LockScript(0, "root@laptop|1765090000|swarmwiz create|1234") },
	"install-docker-rhel.sh": func() (string, error) {
		return preflight.InstallScript(facts.Facts{OS: "Rocky Linux 9.3 (Blue Onyx)", OSID: "rocky", OSVersion: "9.3"}, preflight.SourceDocker)
	},
	"install-docker-debian.sh": func() (string, error) {
		return preflight.InstallScript(facts.Facts{OS: "Debian GNU/Linux 12 (bookworm)", OSID: "debian", OSVersion: "12"}, preflight.SourceDocker)
	},
	"start-docker.sh": func() (string, error) {
		return preflight.StartScript(facts.Facts{OS: "Debian GNU/Linux 12 (bookworm)", OSID: "debian", OSVersion: "12", DockerInstalled: true, Systemd: true})
	},
	"install-docker-distro.sh": func() (string, error) {
		return preflight.InstallScript(facts.Facts{OS: "Debian GNU/Linux 12 (bookworm)", OSID: "debian", OSVersion: "12"}, preflight.SourceDistro)
	},
	"firewall-open.sh": func() (string, error) {
		return preflight.FirewallScript("nftables", facts.NftChain{Family: "inet", Table: "filter", Chain: "input", Policy: "drop"}, 5789)
	},
	"probe-ports.sh":       ok(preflight.ProbeScript("10.0.0.11")),
	"check-network-create": ok(docker.CheckNetworkCreate("swarmwiz-check-1a2b3c4d", "1a2b3c4d", true)),
	"check-service-create": ok(docker.CheckServiceCreate("swarmwiz-check-1a2b3c4d", "1a2b3c4d", "swarmwiz-probe:v1.0", "/swarmwiz", true)),
	"check-exec":           ok(docker.CheckExec("0123abcd", "/swarmwiz", "swarmwiz-check-1a2b3c4d", []string{"node2=10.0.1.3", "node3=10.0.1.4"})),
	"check-cleanup.sh":     ok(docker.CheckCleanup(false) + "\n" + docker.CheckCleanup(true)),
	"mesh-support.sh":      ok(docker.MeshSupport()),
	"swarm-init-force":     ok(docker.ForceNewCluster("10.0.0.11")),
	"drill-service":        ok(docker.Cmd("drill-service", map[string]string{"Name": "swarmwiz-drill", "Image": "swarmwiz-probe:v1.0", "Path": "/swarmwiz"})),
	"drill-update":         ok(docker.Cmd("drill-update", map[string]string{"Name": "swarmwiz-drill", "Lesson": "1"})),
	"service-rm":           ok(docker.Cmd("service-rm", map[string]string{"Name": "swarmwiz-drill"})),
	"open-port": ok(strings.Join([]string{docker.Cmd("open-port", map[string]string{"Firewall": "firewalld", "Port": "4789/udp", "Proto": "udp", "Number": "4789"}),
		docker.Cmd("open-port", map[string]string{"Firewall": "ufw", "Port": "7946/tcp", "Proto": "tcp", "Number": "7946"}),
		docker.Cmd("open-port", map[string]string{"Firewall": "", "Port": "4789/udp", "Proto": "udp", "Number": "4789"})}, "\n")),
	"managers-seen":       ok(quorum.ManagersSeenText([][]string{{"node1", "198.18.0.2", "yes"}, {"?", "198.18.0.3", "no"}, {"swarm-manager-03.example.lan", "198.18.0.4", "no"}})),
	"classroom-report.md": func() (string, error) { return classroom.Markdown(sampleRoom(), sampleNow) },
	"check-matrix": ok(check.CheckText(&check.CheckResult{Network: "overlay", Nodes: []string{"node1", "swarm-worker-01.example.lan", "node3"},
		Pairs: []check.CheckPair{{From: "node1", To: "swarm-worker-01.example.lan", OK: true}, {From: "node1", To: "node3", OK: false},
			{From: "swarm-worker-01.example.lan", To: "node1", OK: true}, {From: "swarm-worker-01.example.lan", To: "node3", OK: false},
			{From: "node3", To: "node1", OK: false}, {From: "node3", To: "swarm-worker-01.example.lan", OK: false}},
		Working: 2, Total: 6, Skipped: []check.CheckSkip{{Node: "node4", Why: "not checked: the node is Down"}},
		Problems: []string{"node1 → node3: TCP, UDP failed: VXLAN 4789/udp is blocked on node3"},
		Fixes:    []string{"node3: the overlay fails while the nodes reach each other on 7946/tcp, so VXLAN 4789/udp, which carries the overlay's traffic, is blocked on node3. Fix: open 4789/udp on node3: iptables -I INPUT -p udp --dport 4789 -j ACCEPT"},
		Mesh:     "not checked: dockerd on node1 runs with --iptables=false", Seconds: 9.5})),
	"preflight": ok(create.PreflightText([]preflight.Finding{{Level: preflight.Error, Node: "node2", Check: "reach 10.0.0.11:2377",
		Result: "blocked (timeout)", Fix: "on node1, let 2377/tcp in"}})),
	"quorum-table": ok(create.QuorumText(3)),
	"new-host-keys": ok(prelude.NewHostKeysText([]*remote.UnknownHostError{{Host: "10.0.0.11",
		Fingerprint: ssh.FingerprintSHA256(hostKey()), Key: hostKey()}}, "/root/.ssh/known_hosts")),
	"summary": ok(create.SummaryText(summaryState())),
	"node-table": ok(quorum.NodeTableText([]docker.Node{
		{ID: "id1", Hostname: "n1", Status: "Ready", Availability: "Active", ManagerStatus: "Leader", EngineVersion: "24.0.7", Self: true},
		{ID: "id2", Hostname: "n2", Status: "Ready", Availability: "Active", EngineVersion: "24.0.7"}})),
	"next-steps": ok(create.NextStepsText(3, "lab", "swarmwiz-probe:v1.0") + "\n---\n" + create.NextStepsText(3, "", "swarmwiz-probe:v1.0")),
}

func ok(s string) func() (string, error) { return func() (string, error) { return s, nil } }

func labInv(nodes int) *lab.Inventory {
	cfg, err := lab.ParseConfig("lab", string(rune('0'+nodes)), lab.DefaultSubnet)
	if err != nil {
		panic(err)
	}
	inv := lab.Plan(cfg)
	return &inv
}

// hostKey is a fixed ed25519 key: its fingerprint is the same in every run.
func hostKey() ssh.PublicKey {
	k, _ := ssh.NewPublicKey(ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public())
	return k
}

func summaryState() *wizard.State {
	first := &wizard.Node{Host: "10.0.0.11", Role: wizard.Manager,
		Facts: facts.Facts{Hostname: "n1", OS: "CentOS Linux 7 (Core)", DockerVersion: "24.0.7"}}
	worker := &wizard.Node{Host: "10.0.0.12", Role: wizard.Worker,
		Facts: facts.Facts{Hostname: "n2", OS: "CentOS Linux 7 (Core)", DockerVersion: "24.0.7"}}
	return &wizard.State{Nodes: []*wizard.Node{first, worker}, First: first, Advertise: "10.0.0.11", Managers: 1}
}

// Every template file renders as its golden file says; shell scripts also pass `bash -n`.
// Run `go test ./templates -update` after changing a template, and read the diff.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("*/*.tmpl")
	sort.Strings(files)
	for _, f := range files {
		if strings.HasPrefix(f, "messages/") {
			continue // the catalog has tests of its own
		}
		name := strings.TrimSuffix(filepath.Base(f), ".tmpl")
		t.Run(name, func(t *testing.T) {
			render, found := goldens[name]
			if !found {
				t.Fatalf("no golden producer for %s: add the function that renders it to goldens", f)
			}
			got, err := render()
			if err != nil {
				t.Fatal(err)
			}
			compareGolden(t, name+".golden", got)
			if strings.HasSuffix(name, ".sh") || strings.HasPrefix(f, "docker/") {
				if out, err := exec.Command("bash", "-n", "-c", got).CombinedOutput(); err != nil {
					t.Errorf("bash -n: %v %s", err, out)
				}
			}
		})
	}
	if len(goldens) != len(files)-len(must(filepath.Glob("messages/*.tmpl"))) {
		t.Errorf("goldens has %d producers for %d templates: remove the stale ones", len(goldens), len(files))
	}
	_ = templates.Quote
}

// compareGolden checks got against testdata/file, or with -update writes it there.
func compareGolden(t *testing.T, file, got string) {
	t.Helper()
	golden := filepath.Join("testdata", file)
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s:\n--- got\n%s\n--- want\n%s", file, golden, got, want)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

var sampleNow = time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)

// sampleRoom is a classroom of two learners as their events leave it: one finished, one
// stopped by preflight.
func sampleRoom() *classroom.Room {
	r := classroom.NewRoom()
	at := func(s int) time.Time { return sampleNow.Add(time.Duration(s-600) * time.Second) }
	for _, e := range []struct {
		s int
		e classroom.Event
	}{
		{0, classroom.Event{Learner: "minji", Kind: classroom.KindStart, Command: "create"}},
		{1, classroom.Event{Learner: "minji", Kind: classroom.KindStep, Step: 1, Title: "Connect to the nodes"}},
		{3, classroom.Event{Learner: "minji", Kind: classroom.KindStep, Step: 2, Title: "Join the workers"}},
		{8, classroom.Event{Learner: "minji", Kind: classroom.KindNodes, Nodes: []classroom.NodeRow{
			{Hostname: "node1", Status: "Ready", Availability: "Active", Manager: "Leader"},
			{Hostname: "node2", Status: "Ready", Availability: "Active"}}}},
		{9, classroom.Event{Learner: "minji", Kind: classroom.KindEnd, OK: true}},
		{0, classroom.Event{Learner: "tom | 2", Kind: classroom.KindStart, Command: "create"}},
		{2, classroom.Event{Learner: "tom | 2", Kind: classroom.KindStep, Step: 1, Title: "Connect to the nodes"}},
		{6, classroom.Event{Learner: "tom | 2", Kind: classroom.KindStep, Step: 2, Title: "Check before any change"}},
		{7, classroom.Event{Learner: "tom | 2", Kind: classroom.KindProblem, Node: "node2", Text: "port 2377/tcp: blocked", Fix: "on node1, let 2377/tcp in"}},
		{7, classroom.Event{Learner: "tom | 2", Kind: classroom.KindEnd, Error: "Check before any change: preflight found 1 problem"}},
	} {
		r.Apply(e.e, at(e.s))
	}
	return r
}
