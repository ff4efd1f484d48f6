//go:build linux

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// The machine-node tests: each node a booted Debian with systemd, its own /etc, users, host
// keys (rsa, ecdsa, ed25519), journald and locale; no docker until the wizard installs it.
// They share one 7-node lab, in the order of this file: the first installs docker. The
// mixed-release test comes before them: its lab builds the three releases' images at once.
const (
	machLab    = "e2emach"
	machSubnet = "198.19.60.0/24"
	mixLab     = "e2emix"
	mixSubnet  = "198.19.61.0/24"
)

// machineLab brings the machine lab up (once) and returns its nodes.
func machineLab(t *testing.T) []labNode {
	t.Helper()
	if r := swarmwiz(t, "lab", "up", "--name", machLab, "--os", "debian-12", "--nodes", "7", "--docker", "none", "--subnet", machSubnet); r.code != 0 {
		t.Fatalf("lab up: %s", r)
	}
	return labStatus(t, machLab)
}

// inMachines runs cmd on every node at once, as root over SSH; it fails the test on an error.
func inMachines(t *testing.T, nodes []labNode, cmd string) []string {
	t.Helper()
	outs := make([]string, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := sshTry(n, cmd)
			if err != nil {
				t.Errorf("%s: %q: %v\n%s", n.Name, cmd, err, out)
			}
			outs[i] = strings.TrimSpace(out)
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return outs
}

// machineDocker makes sure docker runs on every machine node (the wizard installs it where
// it is missing) and that no node is in a swarm.
func machineDocker(t *testing.T) []labNode {
	t.Helper()
	nodes := machineLab(t)
	for _, n := range nodes {
		if !n.Dockerd {
			r := swarmwiz(t, "create", "--lab", machLab, "--managers", "1", "--advertise-addr", nodes[0].Address,
				"--docker-source", "distro", "--install-docker", "--yes", "--check=false")
			if r.code != 0 {
				t.Fatalf("create with --install-docker: %s", r)
			}
			break
		}
	}
	inMachines(t, nodes, "docker swarm leave --force >/dev/null 2>&1; docker info --format '{{.Swarm.LocalNodeState}}' | grep -qx inactive")
	return labStatus(t, machLab)
}

// Machines of three Debian releases, fresh: docker.io from each one's own archive, one
// swarm, and preflight says what a mix of engine versions means; the node table shows each.
func TestMachineMixedReleases(t *testing.T) {
	r := swarmwiz(t, "lab", "up", "--name", mixLab, "--os", "debian-12:1,debian-11:1,debian-13:1", "--docker", "none", "--subnet", mixSubnet)
	if r.code != 0 {
		t.Fatalf("lab up: %s", r)
	}
	t.Cleanup(func() { swarmwiz(t, "lab", "down", "--name", mixLab) })
	nodes := labStatus(t, mixLab)
	releases := []string{}
	for _, n := range nodes {
		releases = append(releases, n.OS)
	}
	if strings.Join(releases, ",") != "debian-12,debian-11,debian-13" {
		t.Fatalf("nodes run %v", releases)
	}
	for i, out := range inMachines(t, nodes, ". /etc/os-release; echo $VERSION_ID") {
		if want := strings.TrimPrefix(releases[i], "debian-"); out != want {
			t.Errorf("%s runs Debian %q, want %s", nodes[i].Name, out, want)
		}
	}
	r = swarmwiz(t, "create", "--lab", mixLab, "--managers", "1", "--advertise-addr", nodes[0].Address,
		"--docker-source", "distro", "--install-docker", "--yes", "--check=false")
	if r.code != 0 {
		t.Fatalf("create: %s", r)
	}
	if !strings.Contains(r.out, "the engines differ") || !strings.Contains(r.out, "every manager should run the same one") {
		t.Errorf("preflight does not say what mixed versions mean:\n%s", r.out)
	}
	// docker node ls, as printed: three rows, three engine versions.
	versions := map[string]bool{}
	row := regexp.MustCompile(`(?m)^\S+\s+(?:\*\s+)?node[123]\s+Ready\s.*\s(\d+\.\d+\.\d+\S*)\s*$`)
	for _, m := range row.FindAllStringSubmatch(r.out, -1) {
		versions[m[1]] = true
	}
	if len(versions) != 3 {
		t.Errorf("want 3 engine versions in the node table, got %v:\n%s", versions, r.out)
	}
}

// A learner's new machines have no docker. Off a terminal nothing is installed without
// --install-docker (the refusal names it, nothing changes); with it and --docker-source
// distro, docker.io comes through apt (the lab's proxy) on all 7 and the seed cluster forms.
func TestMachineCreateInstallsDocker(t *testing.T) {
	nodes := machineLab(t)
	for _, n := range nodes {
		if n.Kind != "machine" || n.OS != "debian-12" || !n.SSHD {
			t.Fatalf("not a debian-12 machine node: %+v", n)
		}
	}
	if outs := inMachines(t, nodes, "command -v docker || echo none; systemctl is-system-running || true"); !allHave(outs, "none") {
		// A lab left from an earlier run of this test: start from new machines.
		if r := swarmwiz(t, "lab", "up", "--recreate", "--name", machLab, "--os", "debian-12", "--nodes", "7", "--docker", "none", "--subnet", machSubnet); r.code != 0 {
			t.Fatalf("lab up --recreate: %s", r)
		}
		nodes = labStatus(t, machLab)
	}
	// Booted machines: systemd runs every node, with its own identity.
	outs := inMachines(t, nodes, "systemctl is-system-running --wait; cat /etc/machine-id; hostnamectl hostname; ls /etc/ssh/ssh_host_*_key | wc -l")
	ids := map[string]bool{}
	for i, out := range outs {
		f := strings.Fields(out)
		if len(f) != 4 || f[0] != "running" || f[2] != nodes[i].Name || f[3] != "3" {
			t.Errorf("%s is not a running machine of its own: %q", nodes[i].Name, out)
		}
		if len(f) > 1 {
			ids[f[1]] = true
		}
	}
	if len(ids) != len(nodes) {
		t.Errorf("machine-ids are not all different: %v", ids)
	}
	base := []string{"create", "--lab", machLab, "--managers", "3", "--advertise-addr", nodes[0].Address, "--docker-source", "distro", "--yes", "--check=false"}

	// No consent: refused, the flag named, nothing installed.
	r := swarmwiz(t, base...)
	if r.code == 0 || !strings.Contains(r.out+r.err, "--install-docker") || !strings.Contains(r.out, "not installed") {
		t.Fatalf("without --install-docker: want a refusal naming the flag:\n%s", r)
	}
	if outs := inMachines(t, nodes, "command -v docker || echo none"); !allHave(outs, "none") {
		t.Fatalf("docker was installed without consent: %v", outs)
	}

	t0 := time.Now()
	r = swarmwiz(t, append(base, "--install-docker")...)
	took := time.Since(t0)
	if r.code != 0 {
		t.Fatalf("create --install-docker: %s", r)
	}
	t.Logf("create with docker installed on 7 machine nodes: %.1fs", took.Seconds())
	for _, want := range []string{"apt-get install -y -q --no-install-recommends docker.io", "making Docker Engine ready: 7 of 7 done",
		"docker.io is Debian's and Ubuntu's own build", "node7 joined as a worker"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("output lacks %q:\n%s", want, r.out)
		}
	}
	// Installed by apt, from Debian, enabled at boot: what a real machine would have.
	for i, out := range inMachines(t, nodes, "dpkg-query -W -f '${Status} ${Version}' docker.io; echo; systemctl is-enabled docker") {
		if !strings.Contains(out, "install ok installed 20.10") || !strings.HasSuffix(out, "enabled") {
			t.Errorf("%s: docker.io not installed and enabled: %q", nodes[i].Name, out)
		}
	}
	// The packages came through the lab's apt proxy: its log has them.
	proxyLog, _ := os.ReadFile(filepath.Join("/var/lib/swarmwiz/lab", machLab, "apt-proxy", "apt-cacher.log"))
	if !strings.Contains(string(proxyLog), "docker.io_") {
		t.Errorf("the apt proxy's log shows no docker.io package:\n%.2000s", proxyLog)
	}
	rows := nodeLs(t, nodes[0])
	managers := 0
	for _, row := range rows {
		if row["ManagerStatus"] != "" {
			managers++
		}
	}
	if len(rows) != 7 || managers != 3 {
		t.Errorf("want 7 nodes, 3 managers; got %d, %d", len(rows), managers)
	}
}

func allHave(outs []string, s string) bool {
	for _, o := range outs {
		if !strings.Contains(o, s) {
			return false
		}
	}
	return true
}

// docker installed but stopped and disabled on a machine (systemd there): preflight's fix is
// `systemctl enable --now docker`, run for real with consent, and the node joins.
func TestMachineStartsStoppedDocker(t *testing.T) {
	nodes := machineDocker(t)
	node5 := nodes[4]
	ssh(t, node5, "systemctl disable --now docker.service docker.socket 2>/dev/null; ! docker info >/dev/null 2>&1")
	t.Cleanup(func() { sshTry(node5, "systemctl enable --now docker") })
	base := []string{"create", "--lab", machLab, "--managers", "1", "--advertise-addr", nodes[0].Address, "--yes", "--check=false"}
	r := swarmwiz(t, base...)
	if r.code == 0 || !strings.Contains(r.out, "sudo systemctl enable --now docker") {
		t.Fatalf("a stopped docker should be refused with its fix:\n%s", r)
	}
	r = swarmwiz(t, append(base, "--install-docker")...)
	if r.code != 0 || !strings.Contains(r.out, "systemctl enable --now docker") || !strings.Contains(r.out, "node5 joined as a worker") {
		t.Fatalf("create --install-docker with docker stopped on node5: %s", r)
	}
	if out := ssh(t, node5, "systemctl is-enabled docker; systemctl is-active docker"); out != "enabled\nactive" {
		t.Errorf("docker on node5 is not enabled and running: %q", out)
	}
}

// ufw on one node and firewalld on another, both denying what comes in, as a hardened
// Ubuntu and a Rocky server do: preflight names both, --open-firewall opens the swarm ports
// in each, the swarm forms and the check proves every pair. Four of the lab's machines,
// given by address as real servers are.
func TestMachineFirewalls(t *testing.T) {
	nodes := machineDocker(t)
	ufw, fwd := nodes[1], nodes[2]
	ssh(t, ufw, "DEBIAN_FRONTEND=noninteractive apt-get install -y -q ufw >/dev/null && ufw default deny incoming && ufw allow 22/tcp && ufw --force enable")
	ssh(t, fwd, "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends firewalld >/dev/null && systemctl enable --now firewalld && firewall-cmd --state")
	t.Cleanup(func() {
		sshTry(ufw, "ufw --force reset; ufw --force disable")
		// firewalld going away flushes what docker put in its tables: docker starts again.
		sshTry(fwd, "systemctl disable --now firewalld; systemctl restart docker")
	})
	// Really closed: nothing passes 7946 from node1 to either (docker listens there once in a
	// swarm; closed or not, a firewall that drops shows as a timeout, one that rejects as
	// "no route to host").
	for _, n := range []labNode{ufw, fwd} {
		out, _ := sshTry(nodes[0], fmt.Sprintf("timeout 3 bash -c '</dev/tcp/%s/2377' 2>&1; echo rc=$?", n.Address))
		if strings.Contains(out, "Connection refused") || strings.Contains(out, "rc=0") {
			t.Fatalf("%s's firewall lets 2377 through: %s", n.Name, out)
		}
	}
	// Both firewalled nodes are managers (2377 matters there), with one worker beside them;
	// docker starts afresh (a node that left a swarm and joins the next may keep a dead network
	// agent, moby/moby#31913, which is not what this test is about).
	inMachines(t, nodes[:4], "systemctl restart docker")
	r := swarmwiz(t, "create", "--ssh-user", "root", "--ssh-key", nodes[0].IdentityFile, "--known-hosts", nodes[0].KnownHostsFile,
		"--manager", nodes[0].Address, "--manager", ufw.Address, "--manager", fwd.Address, "--worker", nodes[3].Address,
		"--advertise-addr", nodes[0].Address, "--open-firewall", "--yes", "--check")
	if r.code != 0 {
		t.Fatalf("create --open-firewall --check: %s", r)
	}
	for _, want := range []string{"node2", "ufw is active", "node3", "firewalld is running", "ufw allow 2377/tcp",
		"firewall-cmd --permanent --add-port=2377/tcp", "opening the swarm ports: 2 of 2 done", "12 of 12 directed pairs work"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("output lacks %q:\n%s", want, r.out)
		}
	}
	if out := ssh(t, ufw, "ufw status"); !strings.Contains(out, "7946/udp") || !strings.Contains(out, "4789/udp") {
		t.Errorf("ufw on node2 does not allow the swarm ports:\n%s", out)
	}
	if out := ssh(t, fwd, "firewall-cmd --list-ports"); !strings.Contains(out, "2377/tcp") || !strings.Contains(out, "4789/udp") {
		t.Errorf("firewalld on node3 does not allow the swarm ports:\n%s", out)
	}
}

// A real server offers rsa, ecdsa and ed25519 host keys, and known_hosts usually holds one
// of them. swarmwiz offers the server only the algorithms known_hosts has for it, as
// OpenSSH does, so either way round it connects with no question; a key that really
// changed is still refused.
func TestMachineHostKeysByAlgorithm(t *testing.T) {
	nodes := machineDocker(t) // the dry run's preflight wants docker; run alone, this test installs it
	n1 := nodes[0]
	keys := map[string]string{}
	for _, line := range strings.Split(ssh(t, n1, "cat /etc/ssh/ssh_host_*_key.pub"), "\n") {
		if f := strings.Fields(line); len(f) >= 2 {
			keys[f[0]] = f[0] + " " + f[1]
		}
	}
	if len(keys) != 3 {
		t.Fatalf("node1 should offer 3 host keys: %v", keys)
	}
	run := func(line string) result {
		t.Helper()
		kh := filepath.Join(t.TempDir(), "known_hosts")
		os.WriteFile(kh, []byte(line+"\n"), 0o600)
		// Off a terminal an unknown host would end in exit 2: success means no question.
		return swarmwiz(t, "create", "--dry-run", "--host", "root@"+n1.Address, "--ssh-key", n1.IdentityFile,
			"--known-hosts", kh, "--managers", "1", "--advertise-addr", n1.Address, "--check=false")
	}
	for _, typ := range []string{"ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa"} {
		// OpenSSH itself connects with this known_hosts: the node is what a real server is.
		kh := filepath.Join(t.TempDir(), "known_hosts")
		os.WriteFile(kh, []byte(n1.Address+" "+keys[typ]+"\n"), 0o600)
		if out, err := runOut("ssh", "-i", n1.IdentityFile, "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile="+kh,
			"-o", "BatchMode=yes", "root@"+n1.Address, "true"); err != nil {
			t.Fatalf("OpenSSH with only the %s key: %v %s", typ, err, out)
		}
		if r := run(n1.Address + " " + keys[typ]); r.code != 0 || strings.Contains(r.err+r.out, "CHANGED") {
			t.Errorf("known_hosts with only the %s key: %s", typ, r)
		}
	}
	r := run(n1.Address + " " + multiKeyOther(t))
	if r.code == 0 || !strings.Contains(r.err, "CHANGED") || !strings.Contains(r.err, "ssh-keygen -f") {
		t.Errorf("a changed key was not refused:\n%s", r)
	}
	if strings.Contains(r.err, "does not answer") || strings.Contains(r.err, "cannot be reached") {
		t.Errorf("a refused host key is reported as unreachable:\n%s", r)
	}
}

// learnerOnMachines makes "learner" on every node, in the node's own /etc: a password, the
// lab's key, and a sudo that asks for the password, as a workshop's servers have.
func learnerOnMachines(t *testing.T, nodes []labNode) {
	t.Helper()
	pub, err := os.ReadFile(nodes[0].IdentityFile + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	inMachines(t, nodes, fmt.Sprintf(`userdel -r learner >/dev/null 2>&1; useradd -m -s /bin/bash learner &&
echo 'learner:%s' | chpasswd && echo 'learner ALL=(ALL) ALL' >/etc/sudoers.d/learner && chmod 440 /etc/sudoers.d/learner &&
install -d -m 700 -o learner -g learner /home/learner/.ssh && echo %q >/home/learner/.ssh/authorized_keys &&
chown learner:learner /home/learner/.ssh/authorized_keys && chmod 600 /home/learner/.ssh/authorized_keys`, learnerPassword, strings.TrimSpace(string(pub))))
	t.Cleanup(func() {
		for _, n := range nodes {
			sshTry(n, "userdel -r learner; rm -f /etc/sudoers.d/learner")
		}
	})
}

// A swarm built through a sudo user with a password: no join token in any node's journal
// (sudo logs every command it runs there, with its arguments), in any command line seen
// while it ran, or in any file swarmwiz wrote.
func TestMachineJoinTokenInNoLogNoCommandLine(t *testing.T) {
	nodes := machineDocker(t)
	learnerOnMachines(t, nodes)
	// First show that the journal works: a marker run through sudo over SSH reaches it.
	marker := "swarmwiz-log-marker-" + nowPlus(0)
	if out, err := sshAs("learner", nodes[1], "echo "+learnerPassword+" | sudo -S -p '' /bin/echo "+marker); err != nil {
		t.Fatalf("sudo as learner: %v %s", err, out)
	}
	if out := ssh(t, nodes[1], "journalctl --no-pager -t sudo | grep -c "+marker); out != "1" {
		t.Fatalf("node2's journal does not show the sudo marker (%q): the test could not see a token there either", out)
	}
	since := ssh(t, nodes[0], "date '+%Y-%m-%d %H:%M:%S'")

	home := t.TempDir()
	kh := filepath.Join(home, "known_hosts")
	knownHosts, _ := os.ReadFile(nodes[0].KnownHostsFile)
	os.WriteFile(kh, knownHosts, 0o600)
	planFile := filepath.Join(home, "plan.yaml")
	args := []string{"create", "--ssh-user", "learner", "--ssh-key", nodes[0].IdentityFile, "--known-hosts", kh,
		"--advertise-addr", nodes[0].Address, "--yes", "--save-plan", planFile, "--explain", "--check=false"}
	for i, n := range nodes {
		role := "--worker"
		if i < 3 {
			role = "--manager"
		}
		args = append(args, role, n.Address)
	}
	ps := recordPS()
	s := startPTY(t, []string{"HOME=" + home, "SSH_AUTH_SOCK="}, args...)
	s.expect("sudo password on " + nodes[0].Address)
	s.send(strings.Split(learnerPassword, "")...)
	s.send(keyEnter)
	code := s.wait()
	ps.stop()
	if code != 0 {
		t.Fatalf("create through sudo: exit %d\n%s", code, s.text())
	}
	rows := nodeLs(t, nodes[0])
	if len(rows) != 7 {
		t.Fatalf("want 7 nodes; got %d: %v", len(rows), rows)
	}
	tokens := []string{ssh(t, nodes[0], "docker swarm join-token -q manager"), ssh(t, nodes[0], "docker swarm join-token -q worker")}
	secret := func(tok string) string { return tok[strings.LastIndexByte(tok, '-')+1:] }

	// Every node's journal since the run began: sudo's lines, sshd's, dockerd's.
	journals := inMachines(t, nodes, "journalctl --no-pager -o cat --since '"+since+"'")
	sudoLines := 0
	for i, j := range journals {
		sudoLines += strings.Count(j, "COMMAND=")
		for _, tok := range tokens {
			if strings.Contains(j, secret(tok)) {
				t.Errorf("%s's journal holds a join token", nodes[i].Name)
			}
		}
	}
	if !strings.Contains(strings.Join(journals, "\n"), "dial-stdio") {
		t.Errorf("no journal shows sudo running swarmwiz's docker connection (%d sudo lines): did the joins go through sudo at all?", sudoLines)
	}
	var files []string
	filepath.Walk(home, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, tok := range tokens {
			if strings.Contains(string(b), secret(tok)) {
				t.Errorf("%s holds a join token", f)
			}
		}
	}
	if strings.Contains(s.raw.String(), secret(tokens[0])) || strings.Contains(s.raw.String(), secret(tokens[1])) {
		t.Error("a token was shown on screen without --show-tokens")
	}
	if !strings.Contains(s.text(), "docker swarm join --token SWMTKN-1-****") {
		t.Errorf("--explain does not show the join command, masked:\n%s", s.text())
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.count < 10 {
		t.Fatalf("only %d ps samples: the run was not watched", ps.count)
	}
	for l := range ps.lines {
		if strings.Contains(l, "SWMTKN") {
			t.Errorf("a command line held a join token: %s", l)
		}
	}
}

// Password login, then docker through sudo with a password, on a node whose sshd is
// Debian's own (passwords and PAM on): both asked at the prompt, neither echoed nor on any
// command line; wrong ones end in one line after 3 tries.
func TestMachinePasswordLoginAndSudo(t *testing.T) {
	nodes := machineDocker(t)
	if r := swarmwiz(t, "create", "--lab", machLab, "--managers", "1", "--advertise-addr", nodes[0].Address, "--yes", "--check=false"); r.code != 0 {
		t.Fatalf("create: %s", r)
	}
	n1 := nodes[0]
	learnerOnMachines(t, nodes[:1])
	env := []string{"HOME=" + t.TempDir(), "SSH_AUTH_SOCK="}
	args := []string{"status", "--host", n1.Address, "--ssh-user", "learner", "--known-hosts", n1.KnownHostsFile}
	noKey := func(s *session) {
		s.expect("Private key file")
		s.send(keyEnter)
	}
	stop := watchPS(t, learnerPassword)
	s := startPTY(t, env, args...)
	noKey(s)
	typeLearnerPasswords(s, n1.Address)
	code := s.wait()
	stop()
	if code != 0 || !strings.Contains(s.text(), "Leader") {
		t.Fatalf("exit %d\n%s", code, s.text())
	}
	if strings.Contains(s.raw.String(), learnerPassword) {
		t.Error("the password was echoed")
	}
	s = startPTY(t, env, args...)
	noKey(s)
	for i := 0; i < 3; i++ {
		s.expect("Password for learner@")
		s.send("x", "x", keyEnter)
	}
	if code := s.wait(); code == 0 || !strings.Contains(s.text(), "wrong password for learner@"+n1.Address+" (3 tries)") {
		t.Errorf("wrong password: exit %d\n%s", code, s.text())
	}
	s = startPTY(t, env, args...)
	noKey(s)
	s.expect("Password for learner@")
	s.send(strings.Split(learnerPassword, "")...)
	s.send(keyEnter)
	for i := 0; i < 3; i++ {
		s.expect("sudo password on ")
		s.send("x", "x", keyEnter)
	}
	if code := s.wait(); code == 0 || !strings.Contains(s.text(), "wrong sudo password (3 tries)") {
		t.Errorf("wrong sudo password: exit %d\n%s", code, s.text())
	}
	// sudo's own record of the failures is in the node's journal, not this machine's.
	if out := ssh(t, n1, "journalctl --no-pager -t sudo | grep -c 'incorrect password attempt' || true"); out == "0" {
		t.Errorf("node1's journal has no failed sudo attempt")
	}
}

// A node installed in Korean (its /etc/default/locale says ko_KR.UTF-8, read by PAM for
// every login): bash and libc really speak Korean there, and it still passes preflight and
// joins, since swarmwiz reads what commands print in the C locale.
func TestMachineKoreanLocaleNodeJoins(t *testing.T) {
	nodes := machineDocker(t)
	node4 := nodes[3]
	ssh(t, node4, "update-locale LANG=ko_KR.UTF-8")
	t.Cleanup(func() { sshTry(node4, "update-locale --reset LANG=C.UTF-8") })
	out, _ := sshTry(node4, "echo $LANG; cd /nonexistent; exec 3<>/dev/tcp/"+nodes[0].Address+"/2377")
	if !strings.Contains(out, "ko_KR.UTF-8") || !strings.Contains(out, "그런 파일이나 디렉터리가 없습니다") || !strings.Contains(out, "연결이 거부됨") {
		t.Fatalf("node4 does not speak Korean:\n%s", out)
	}
	r := swarmwiz(t, "create", "--lab", machLab, "--managers", "3", "--advertise-addr", nodes[0].Address, "--yes", "--check=false")
	if r.code != 0 || !strings.Contains(r.out, "node4 joined as a worker") {
		t.Fatalf("node4 did not join:\n%s", r)
	}
	if rows := nodeLs(t, nodes[0]); len(rows) != 7 || !hostnamesOf(rows)["node4"] {
		t.Errorf("want 7 nodes with node4: %v", rows)
	}
}

// nftables alone (Debian's nftables.conf, policy drop, only ssh open) on a manager: preflight
// names nftables, not iptables whose policy says ACCEPT, --open-firewall adds the rules with
// nft to the very chain that drops and to /etc/nftables.conf, and they hold across a reboot
// of the node (lab stop, lab start): it is back in the swarm as a reachable manager.
func TestMachineNftablesOnly(t *testing.T) {
	nodes := machineDocker(t)
	fw := nodes[1]
	ssh(t, fw, `DEBIAN_FRONTEND=noninteractive apt-get install -y -q nftables >/dev/null && cp /etc/nftables.conf /root/nftables.conf.orig && cat >/etc/nftables.conf <<'EOF'
#!/usr/sbin/nft -f
flush ruleset
table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		iif lo accept
		tcp dport 22 accept
	}
}
EOF
systemctl enable --now nftables && systemctl restart nftables && systemctl restart docker`)
	t.Cleanup(func() {
		sshTry(fw, "cp /root/nftables.conf.orig /etc/nftables.conf; nft flush ruleset; systemctl disable --now nftables; systemctl restart docker")
	})
	out, _ := sshTry(nodes[0], fmt.Sprintf("timeout 3 bash -c '</dev/tcp/%s/2377' 2>&1; echo rc=$?", fw.Address))
	if strings.Contains(out, "Connection refused") || strings.Contains(out, "rc=0") {
		t.Fatalf("node2's nftables lets 2377 through: %s", out)
	}
	if p := ssh(t, fw, "iptables -S INPUT | head -n 1"); p != "-P INPUT ACCEPT" {
		t.Fatalf("iptables should say ACCEPT here (the drop is nftables'): %q", p)
	}
	inMachines(t, []labNode{nodes[0], nodes[2], nodes[3]}, "systemctl restart docker")
	r := swarmwiz(t, "create", "--ssh-user", "root", "--ssh-key", nodes[0].IdentityFile, "--known-hosts", nodes[0].KnownHostsFile,
		"--manager", nodes[0].Address, "--manager", fw.Address, "--manager", nodes[2].Address, "--worker", nodes[3].Address,
		"--advertise-addr", nodes[0].Address, "--open-firewall", "--yes", "--check")
	if r.code != 0 {
		t.Fatalf("create --open-firewall --check: %s", r)
	}
	for _, want := range []string{"nftables drops incoming traffic by default (table inet filter, chain input)",
		"nft insert rule inet filter input tcp dport", "12 of 12 directed pairs work"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("output lacks %q:\n%s", want, r.out)
		}
	}
	if strings.Contains(r.out, "lost at its next reboot") {
		t.Errorf("the rules were said not to be kept:\n%s", r.out)
	}
	if conf := ssh(t, fw, "cat /etc/nftables.conf"); !strings.Contains(conf, "# swarmwiz: Docker Swarm's ports") || !strings.Contains(conf, "dport { 2377, 7946 } accept") {
		t.Errorf("/etc/nftables.conf does not keep the rules:\n%s", conf)
	}
	// A reboot: the node's nftables.service loads its configuration again, with the rules.
	if r := swarmwiz(t, "lab", "stop", "--name", machLab, fw.Name); r.code != 0 {
		t.Fatalf("lab stop: %s", r)
	}
	if r := swarmwiz(t, "lab", "start", "--name", machLab, fw.Name); r.code != 0 {
		t.Fatalf("lab start: %s", r)
	}
	back := func() bool {
		for _, row := range nodeLs(t, nodes[0]) {
			if row["Hostname"] == fw.Name {
				return row["Status"] == "Ready" && row["ManagerStatus"] == "Reachable"
			}
		}
		return false
	}
	if !waitFor(2*time.Minute, back) {
		t.Errorf("after its reboot, node2 is not back as a reachable manager: %v\nits input chain: %s", nodeLs(t, nodes[0]), ssh(t, fw, "nft list chain inet filter input"))
	}
}

// docker's data root moved (/srv/docker) on every node: swarmwiz reads the swarm's files where
// that docker keeps them (DockerRootDir). status warns of certificates that expire soon (a
// 24h lifetime, rotated), node by node; and recover, after the first manager and another are
// lost, reads from each worker's own state that it joined through the lost first manager, so
// it promotes neither (its promotion would hang) and says so.
func TestMachineMovedDataRoot(t *testing.T) {
	all := machineDocker(t)
	nodes := all[:5]
	inMachines(t, nodes, `mkdir -p /srv/docker && if [ -f /etc/docker/daemon.json ]; then cp /etc/docker/daemon.json /root/daemon.json.orig; fi && printf '{"data-root": "/srv/docker"}\n' >/etc/docker/daemon.json && systemctl restart docker && docker info --format '{{.DockerRootDir}}' | grep -qx /srv/docker`)
	t.Cleanup(func() {
		for _, n := range nodes[:2] {
			swarmwiz(t, "lab", "start", "--name", machLab, n.Name)
		}
		for _, n := range nodes {
			sshTry(n, "docker swarm leave --force; rm -f /etc/docker/daemon.json; if [ -f /root/daemon.json.orig ]; then mv /root/daemon.json.orig /etc/docker/daemon.json; fi; systemctl restart docker")
		}
	})
	login := []string{"--ssh-user", "root", "--ssh-key", nodes[0].IdentityFile, "--known-hosts", nodes[0].KnownHostsFile}
	var hosts []string
	for _, n := range nodes {
		hosts = append(hosts, "--host", n.Address)
	}
	r := swarmwiz(t, append(append([]string{"create"}, login...), "--manager", nodes[0].Address, "--manager", nodes[1].Address, "--manager", nodes[2].Address,
		"--worker", nodes[3].Address, "--worker", nodes[4].Address, "--advertise-addr", nodes[0].Address, "--cert-expiry", "24h", "--yes", "--check=false")...)
	if r.code != 0 {
		t.Fatalf("create: %s", r)
	}
	if out, err := sshTry(nodes[0], "docker swarm ca --rotate --quiet >/dev/null && ls /srv/docker/swarm/certificates/swarm-node.crt"); err != nil {
		t.Fatalf("ca rotate: %v %s", err, out)
	}
	s := swarmwiz(t, append(append([]string{"status"}, login...), hosts...)...)
	for _, n := range nodes {
		if !strings.Contains(s.out+s.err, n.Name+"'s swarm certificate expires in") {
			t.Errorf("status does not warn of %s's certificate (read from /srv/docker): %s", n.Name, s)
		}
	}
	for _, n := range nodes[:2] {
		if r := swarmwiz(t, "lab", "stop", "--name", machLab, n.Name); r.code != 0 {
			t.Fatalf("lab stop %s: %s", n.Name, r)
		}
	}
	r = swarmwiz(t, append(append([]string{"recover", "--keep", nodes[2].Name, "--yes"}, login...), hosts...)...)
	if r.code != 0 {
		t.Fatalf("recover: %s", r)
	}
	want := "node4, node5 joined the swarm through " + nodes[0].Address
	if !strings.Contains(r.out, "node4 and node5 joined the swarm through "+nodes[0].Address) && !strings.Contains(r.out, want) {
		t.Errorf("recover should say the workers joined through the lost node1, and promote neither: %s", r)
	}
	for _, row := range nodeLs(t, nodes[2]) {
		if (row["Hostname"] == "node4" || row["Hostname"] == "node5") && row["ManagerStatus"] != "" {
			t.Errorf("%s was promoted: %v", row["Hostname"], row)
		}
	}
}

// `Defaults requiretty` (CentOS 7's sudoers): a learner with passwordless sudo is served
// through a terminal, off a terminal and without a password asked; one whose sudo also wants a
// password is refused before anything changes, with the sudoers line that fixes it, and that
// fix works.
func TestMachineSudoRequiretty(t *testing.T) {
	nodes := machineDocker(t)
	n1, n2 := nodes[0], nodes[1]
	if r := swarmwiz(t, "create", "--lab", machLab, "--managers", "1", "--advertise-addr", n1.Address, "--yes", "--check=false"); r.code != 0 {
		t.Fatalf("create: %s", r)
	}
	learnerOnMachines(t, nodes[:2])
	ssh(t, n1, "printf 'Defaults:learner requiretty\\nlearner ALL=(ALL) NOPASSWD: ALL\\n' >/etc/sudoers.d/learner")
	ssh(t, n2, "printf 'Defaults:learner requiretty\\nlearner ALL=(ALL) ALL\\n' >/etc/sudoers.d/learner")
	status := func(n labNode) result {
		return swarmwiz(t, "status", "--host", n.Address, "--ssh-user", "learner", "--ssh-key", n.IdentityFile, "--known-hosts", n.KnownHostsFile)
	}
	// Without a terminal sudo refuses every command here: the table is proof enough.
	if r := status(n1); r.code != 0 || !strings.Contains(r.out, "Leader") {
		t.Errorf("passwordless sudo with requiretty: %s", r)
	}
	r := status(n2)
	if r.code != 1 || !strings.Contains(r.err, "wants a terminal (Defaults requiretty) and a password for learner") || !strings.Contains(r.err, "Defaults:learner !requiretty") {
		t.Errorf("sudo with requiretty and a password: want the fix: %s", r)
	}
	if strings.Contains(r.out+r.err, "sudo password") {
		t.Errorf("a password was asked for that could not be used: %s", r)
	}
	ssh(t, n2, "printf 'Defaults:learner !requiretty\\n' >>/etc/sudoers.d/learner")
	if r := swarmwiz(t, "status", "--host", n2.Address, "--ssh-user", "learner", "--ssh-key", n2.IdentityFile, "--known-hosts", n2.KnownHostsFile); strings.Contains(r.err, "requiretty") {
		t.Errorf("after the fix, requiretty is still named: %s", r)
	}
}

// sshd that takes passwords only through PAM (PasswordAuthentication no,
// KbdInteractiveAuthentication yes, as RHEL-family servers often are): on a terminal the
// password is asked once and answers PAM's question; off a terminal the refusal names the
// question only a person can answer, not a missing key.
func TestMachineKeyboardInteractive(t *testing.T) {
	nodes := machineDocker(t)
	n1 := nodes[0]
	if r := swarmwiz(t, "create", "--lab", machLab, "--managers", "1", "--advertise-addr", n1.Address, "--yes", "--check=false"); r.code != 0 {
		t.Fatalf("create: %s", r)
	}
	learnerOnMachines(t, nodes[:1])
	// No key of the learner's is accepted: only PAM's questions remain.
	ssh(t, n1, "rm /home/learner/.ssh/authorized_keys && printf 'PasswordAuthentication no\\nKbdInteractiveAuthentication yes\\nUsePAM yes\\n' >/etc/ssh/sshd_config.d/10-pam-only.conf && systemctl reload ssh")
	t.Cleanup(func() { sshTry(n1, "rm -f /etc/ssh/sshd_config.d/10-pam-only.conf && systemctl reload ssh") })
	env := []string{"HOME=" + t.TempDir(), "SSH_AUTH_SOCK="}
	args := []string{"status", "--host", n1.Address, "--ssh-user", "learner", "--known-hosts", n1.KnownHostsFile}
	s := startPTY(t, env, args...)
	s.expect("Private key file")
	s.send(keyEnter)
	typeLearnerPasswords(s, n1.Address)
	if code := s.wait(); code != 0 || !strings.Contains(s.text(), "Leader") {
		t.Fatalf("through keyboard-interactive: exit %d\n%s", code, s.text())
	}
	r := runIn(t, append(englishEnv(), env...), append(args, "--ssh-key", n1.IdentityFile)...)
	if r.code == 0 || !strings.Contains(r.out+r.err, `asks "Password:" (keyboard-interactive), which only a person can answer`) || strings.Contains(r.out, "does not answer") {
		t.Errorf("off a terminal: want the question named: %s", r)
	}
}

// typeLearnerPasswords answers the login's password and then sudo's, on a terminal.
func typeLearnerPasswords(s *session, addr string) {
	s.expect("Password for learner@" + addr)
	s.send(strings.Split(learnerPassword, "")...)
	s.send(keyEnter)
	s.expect("sudo password on " + addr)
	s.send(strings.Split(learnerPassword, "")...)
	s.send(keyEnter)
}

// onConsole runs cmd inside a machine node as its own console would (the machine's systemd
// namespaces, entered from this host): how a learner fixes a node SSH does not reach.
func onConsole(t *testing.T, lab string, n labNode, cmd string) {
	t.Helper()
	pids, err := exec.Command("ip", "netns", "pids", "swz-"+lab+"-"+strings.TrimPrefix(n.Name, "node")).Output()
	if err != nil {
		t.Fatalf("%s's processes: %v", n.Name, err)
	}
	for _, pid := range strings.Fields(string(pids)) {
		status, _ := os.ReadFile("/proc/" + pid + "/status")
		// The machine's init: pid 1 in its own pid namespace.
		if m := regexp.MustCompile(`(?m)^NSpid:.*\s1$`).Find(status); m != nil {
			if out, err := exec.Command("nsenter", "--target", pid, "--all", "sh", "-c", cmd).CombinedOutput(); err != nil {
				t.Fatalf("on %s's console: %q: %v %s", n.Name, cmd, err, out)
			}
			return
		}
	}
	t.Fatalf("%s has no init in its namespaces", n.Name)
}

// Two faults of real machines, each refused before any change with the node named and its
// cause, and each fix applied as printed, on the machine itself: a cloned VM that kept the
// other's hostname (`hostnamectl set-hostname` there), and a machine whose sshd is stopped
// (started again on its console). Given by address, as real servers are.
func TestMachineDuplicateHostnameAndSSHDown(t *testing.T) {
	nodes := machineDocker(t)[:4]
	n3 := nodes[2]
	create := func() result {
		return swarmwiz(t, "create", "--ssh-user", "root", "--ssh-key", nodes[0].IdentityFile, "--known-hosts", nodes[0].KnownHostsFile,
			"--manager", nodes[0].Address, "--worker", nodes[1].Address, "--worker", n3.Address, "--worker", nodes[3].Address,
			"--advertise-addr", nodes[0].Address, "--yes", "--check=false")
	}
	unchanged := func(what string) {
		t.Helper()
		for _, s := range inMachines(t, []labNode{nodes[0], nodes[1], nodes[3]}, "docker info --format '{{.Swarm.LocalNodeState}}'") {
			if s != "inactive" {
				t.Errorf("%s: a node changed before the refusal: %s", what, s)
			}
		}
	}
	ssh(t, n3, "hostnamectl set-hostname node2")
	t.Cleanup(func() { sshTry(n3, "hostnamectl set-hostname node3") })
	r := create()
	if want := "node2 (" + nodes[1].Address + ") and node2 (" + n3.Address + ") share the hostname"; r.code != 1 || !strings.Contains(r.out, want) ||
		!strings.Contains(r.out, "sudo hostnamectl set-hostname NEWNAME") {
		t.Fatalf("duplicate hostname: want exit 1, %q and the fix: %s", want, r)
	}
	unchanged("duplicate hostname")
	ssh(t, n3, "hostnamectl set-hostname node3") // the fix, NEWNAME chosen
	ssh(t, n3, "systemctl stop ssh.socket ssh.service 2>/dev/null; systemctl stop ssh")
	t.Cleanup(func() { onConsole(t, machLab, n3, "systemctl start ssh") })
	r = create()
	if want := n3.Address + ": the machine answers, but nothing listens on its SSH port: sshd is stopped there"; r.code == 0 || !strings.Contains(r.out+r.err, want) {
		t.Fatalf("sshd down: want %q: %s", want, r)
	}
	unchanged("sshd down")
	onConsole(t, machLab, n3, "systemctl start ssh")
	if r = create(); r.code != 0 || strings.Count(r.out, "joined as a worker") != 3 {
		t.Fatalf("with both fixes applied the swarm must form: %s", r)
	}
	if rows := tableRows(t, r.out); len(rows) != 4 || !strings.Contains(r.out, "node3") {
		t.Errorf("want 4 nodes, node3 among them: %s", r.out)
	}
}
