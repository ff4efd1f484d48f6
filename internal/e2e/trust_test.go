package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// sudoLog is where sudo writes in the lab while a test needs its log: this machine runs no
// syslog daemon, so without it sudo's log lines (COMMAND=...) would go nowhere.
const sudoLog = "/var/log/swarmwiz-e2e-sudo.log"

// multiKeySSHD starts a second sshd inside node1 on port 2222 with ecdsa, ed25519 and rsa host
// keys, as a real server has, and returns the public keys by type (ssh-ed25519, ...).
func multiKeySSHD(t *testing.T, node labNode) map[string]string {
	t.Helper()
	dir := t.TempDir()
	keys := map[string]string{}
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "ListenAddress %s:2222\nPidFile %s/sshd.pid\nAuthorizedKeysFile %s\n", node.Address, dir,
		filepath.Join("/var/lib/swarmwiz/lab", labName, "authorized_keys"))
	cfg.WriteString("PermitRootLogin prohibit-password\nPasswordAuthentication no\nUsePAM no\n")
	for _, typ := range []string{"ecdsa", "ed25519", "rsa"} {
		key := filepath.Join(dir, "ssh_host_"+typ+"_key")
		if out, err := exec.Command("ssh-keygen", "-q", "-t", typ, "-N", "", "-f", key).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v %s", err, out)
		}
		pub, _ := os.ReadFile(key + ".pub")
		f := strings.Fields(string(pub))
		keys[f[0]] = f[0] + " " + f[1]
		fmt.Fprintf(&cfg, "HostKey %s\n", key)
	}
	os.WriteFile(filepath.Join(dir, "sshd_config"), []byte(cfg.String()), 0o600)
	inNode(t, 1, "all", "/usr/sbin/sshd", "-f", filepath.Join(dir, "sshd_config"), "-E", filepath.Join(dir, "sshd.log"))
	t.Cleanup(func() {
		if pid, err := os.ReadFile(filepath.Join(dir, "sshd.pid")); err == nil {
			exec.Command("kill", strings.TrimSpace(string(pid))).Run()
		}
	})
	return keys
}

// A real server has several host keys, and known_hosts usually holds one of them. swarmwiz
// offers the server only the algorithms known_hosts has for it, as OpenSSH does, so either
// way round it connects with no question; a key that really changed is still refused.
func TestHostKeysByAlgorithm(t *testing.T) {
	nodes := sharedLab(t)
	n1 := nodes[0]
	keys := multiKeySSHD(t, n1)
	addr := "[" + n1.Address + "]:2222"
	run := func(knownLines ...string) result {
		t.Helper()
		kh := filepath.Join(t.TempDir(), "known_hosts")
		os.WriteFile(kh, []byte(strings.Join(knownLines, "\n")+"\n"), 0o600)
		// Off a terminal an unknown host would end in exit 2: success means no question.
		return swarmwiz(t, "create", "--dry-run", "--host", "root@"+n1.Address+":2222", "--ssh-key", n1.IdentityFile,
			"--known-hosts", kh, "--managers", "1", "--advertise-addr", n1.Address)
	}
	for _, typ := range []string{"ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa"} {
		// OpenSSH itself connects with this known_hosts: the lab shows what a real server does.
		kh := filepath.Join(t.TempDir(), "known_hosts")
		os.WriteFile(kh, []byte(addr+" "+keys[typ]+"\n"), 0o600)
		if out, err := runOut("ssh", "-p", "2222", "-i", n1.IdentityFile, "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile="+kh,
			"-o", "BatchMode=yes", "root@"+n1.Address, "true"); err != nil {
			t.Fatalf("OpenSSH with only the %s key: %v %s", typ, err, out)
		}
		if r := run(addr + " " + keys[typ]); r.code != 0 || strings.Contains(r.err+r.out, "CHANGED") {
			t.Errorf("known_hosts with only the %s key: %s", typ, r)
		}
	}
	// Really changed: known_hosts has an ed25519 key, the server now has another one.
	other := multiKeyOther(t)
	r := run(addr + " " + other)
	if r.code == 0 || !strings.Contains(r.err, "CHANGED") || !strings.Contains(r.err, "ssh-keygen -f") {
		t.Errorf("a changed key was not refused:\n%s", r)
	}
	if strings.Contains(r.err, "does not answer") || strings.Contains(r.err, "cannot be reached") {
		t.Errorf("a refused host key is reported as unreachable:\n%s", r)
	}
}

// multiKeyOther is an ed25519 public key that no server of the lab has.
func multiKeyOther(t *testing.T) string {
	t.Helper()
	key := filepath.Join(t.TempDir(), "other")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}
	pub, _ := os.ReadFile(key + ".pub")
	f := strings.Fields(string(pub))
	return f[0] + " " + f[1]
}

// keyLearner makes every node take key logins for "learner", a user whose sudo asks for its
// password and who is not in the docker group, and makes sudo log to a file of the test's
// own. Users and sudoers are shared by all nodes (one /etc); everything is undone after.
func keyLearner(t *testing.T, nodes []labNode) {
	t.Helper()
	addLearner(t)
	pub, _ := os.ReadFile(nodes[0].IdentityFile + ".pub")
	os.MkdirAll("/home/learner/.ssh", 0o700)
	os.WriteFile("/home/learner/.ssh/authorized_keys", pub, 0o600)
	mustRun(t, "chown", "-R", "learner:learner", "/home/learner/.ssh")
	os.Remove(sudoLog)
	os.WriteFile("/etc/sudoers.d/swarmwiz-e2e-log", []byte("Defaults logfile="+sudoLog+"\n"), 0o440)
	for i, n := range nodes {
		cfgPath := filepath.Join("/var/lib/swarmwiz/lab", labName, "nodes", n.Name, "sshd_config")
		old, _ := os.ReadFile(cfgPath)
		os.WriteFile(cfgPath, append(append([]byte{}, old...), "Match User learner\n  AuthorizedKeysFile .ssh/authorized_keys\n"...), 0o600)
		restartSSHD(t, i+1, cfgPath)
		t.Cleanup(func() {
			os.WriteFile(cfgPath, old, 0o600)
			restartSSHD(t, i+1, cfgPath)
		})
	}
	t.Cleanup(func() {
		os.Remove("/etc/sudoers.d/swarmwiz-learner")
		os.Remove("/etc/sudoers.d/swarmwiz-e2e-log")
		os.Remove(sudoLog)
		exec.Command("userdel", "-r", "learner").Run()
	})
}

// psRecorder samples every command line on this machine (the nodes' processes are this
// machine's) while a run lasts.
type psRecorder struct {
	mu    sync.Mutex
	lines map[string]bool
	done  chan struct{}
	wg    sync.WaitGroup
	count int
}

func recordPS() *psRecorder {
	r := &psRecorder{lines: map[string]bool{}, done: make(chan struct{})}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for {
			out, _ := exec.Command("ps", "-eo", "args").Output()
			r.mu.Lock()
			for _, l := range strings.Split(string(out), "\n") {
				r.lines[l] = true
			}
			r.count++
			r.mu.Unlock()
			select {
			case <-r.done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return r
}

func (r *psRecorder) stop() { close(r.done); r.wg.Wait() }

// A swarm built through a sudo user with a password: no join token in any node's log, in
// any command line seen while it ran, or in any file swarmwiz wrote. Before, a join ran as
// `sudo -S sh -c 'docker swarm join --token SWMTKN-...'`, which sudo logs in full.
func TestJoinTokenInNoLogNoCommandLine(t *testing.T) {
	nodes := sharedLab(t)
	keyLearner(t, nodes)
	// First show that the log works: a marker run through sudo over SSH reaches it.
	marker := "swarmwiz-log-marker-" + nowPlus(0)
	if out, err := sshAs("learner", nodes[1], "echo "+learnerPassword+" | sudo -S -p '' /bin/echo "+marker); err != nil {
		t.Fatalf("sudo as learner: %v %s", err, out)
	}
	if log, _ := os.ReadFile(sudoLog); !strings.Contains(string(log), marker) {
		t.Fatalf("sudo's log file does not show the marker: the test could not see a token there either\n%s", log)
	}

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
	managers := 0
	for _, r := range rows {
		if r["ManagerStatus"] != "" {
			managers++
		}
	}
	if len(rows) != 7 || managers != 3 {
		t.Fatalf("want 7 nodes, 3 managers; got %d, %d: %v", len(rows), managers, rows)
	}
	tokens := []string{ssh(t, nodes[0], "docker swarm join-token -q manager"), ssh(t, nodes[0], "docker swarm join-token -q worker")}
	secret := func(tok string) string { return tok[strings.LastIndexByte(tok, '-')+1:] }

	// Every node's logs: sudo's (all nodes write the one file), sshd's and dockerd's.
	logs := []string{sudoLog}
	more, _ := filepath.Glob(filepath.Join("/var/lib/swarmwiz/lab", labName, "nodes", "*", "*.log"))
	logs = append(logs, more...)
	sudoText, _ := os.ReadFile(sudoLog)
	if !strings.Contains(string(sudoText), "dial-stdio") {
		t.Errorf("sudo's log shows no docker connection of swarmwiz's: did the joins go through sudo at all?\n%s", sudoText)
	}
	// Every file swarmwiz wrote: its home (known_hosts, the saved plan).
	filepath.Walk(home, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			logs = append(logs, p)
		}
		return nil
	})
	for _, f := range logs {
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

// sshAs runs cmd on n as user with the lab's key (the learner's authorized_keys has it).
func sshAs(user string, n labNode, cmd string) (string, error) {
	return runOut("ssh", "-i", n.IdentityFile, "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile="+n.KnownHostsFile,
		"-o", "BatchMode=yes", user+"@"+n.Address, cmd)
}

// A node whose login environment is Korean (LANG=ko_KR.UTF-8, as on a server installed in
// Korean): its bash and libc really speak Korean, and it still passes preflight and joins,
// since swarmwiz reads what commands print in the C locale.
func TestKoreanLocaleNodeJoins(t *testing.T) {
	nodes := sharedLab(t)
	ensureKoreanLocale(t)
	const idx = 4
	cfgPath := filepath.Join("/var/lib/swarmwiz/lab", labName, "nodes", nodes[idx-1].Name, "sshd_config")
	old, _ := os.ReadFile(cfgPath)
	os.WriteFile(cfgPath, append(append([]byte{}, old...), "SetEnv LANG=ko_KR.UTF-8\n"...), 0o600)
	restartSSHD(t, idx, cfgPath)
	t.Cleanup(func() {
		os.WriteFile(cfgPath, old, 0o600)
		restartSSHD(t, idx, cfgPath)
	})
	// First show the node really speaks Korean: bash's and libc's own messages.
	out, _ := sshTry(nodes[idx-1], "echo $LANG; cd /nonexistent; exec 3<>/dev/tcp/"+nodes[0].Address+"/2377")
	if !strings.Contains(out, "ko_KR.UTF-8") || !strings.Contains(out, "그런 파일이나 디렉터리가 없습니다") || !strings.Contains(out, "연결이 거부됨") {
		t.Fatalf("node%d does not speak Korean:\n%s", idx, out)
	}
	r := createSeed(t, "--managers", "3")
	if !strings.Contains(r.out, "node4 joined as a worker") {
		t.Errorf("node4 did not join:\n%s", r)
	}
	rows := nodeLs(t, nodes[0])
	if len(rows) != 7 || !hostnamesOf(rows)["node4"] {
		t.Errorf("want 7 nodes with node4: %v", rows)
	}
}

// ensureKoreanLocale makes ko_KR.UTF-8 available (Debian's locales package has its source)
// and removes it after the test if it was not there before.
func ensureKoreanLocale(t *testing.T) {
	t.Helper()
	if out, _ := exec.Command("locale", "-a").Output(); strings.Contains(strings.ToLower(string(out)), "ko_kr.utf8") {
		return
	}
	if _, err := os.Stat("/usr/share/i18n/locales/ko_KR"); err != nil {
		t.Fatalf("no Korean locale source: install Debian's locales package (make test's prerequisites do)")
	}
	if out, err := exec.Command("localedef", "-i", "ko_KR", "-c", "-f", "UTF-8", "ko_KR.UTF-8").CombinedOutput(); err != nil {
		t.Fatalf("localedef: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("localedef", "--delete-from-archive", "ko_KR.utf8").Run() })
}

// `lab down` of one lab removes its own firewall rule and no other lab's, however alike
// their names: "e2e" is a prefix of "e2edown".
func TestLabDownLeavesOtherLabsRule(t *testing.T) {
	sharedLab(t)
	if r := swarmwiz(t, "lab", "up", "--name", "e2edown", "--nodes", "1", "--subnet", "198.19.0.0/24"); r.code != 0 {
		t.Fatalf("lab up e2edown: %s", r)
	}
	t.Cleanup(func() { swarmwiz(t, "lab", "down", "--name", "e2edown") })
	rule := func(tag string) bool {
		out, _ := runOut("iptables", "-S", "FORWARD")
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, "--comment "+tag+" ") {
				return true
			}
		}
		return false
	}
	if !rule("swarmwiz-lab-e2e") || !rule("swarmwiz-lab-e2edown") {
		t.Fatal("both labs should have their rule")
	}
	if r := swarmwiz(t, "lab", "down", "--name", labName); r.code != 0 {
		t.Fatalf("lab down e2e: %s", r)
	}
	if rule("swarmwiz-lab-e2e") {
		t.Error("lab down e2e left its own rule")
	}
	if !rule("swarmwiz-lab-e2edown") {
		t.Error("lab down e2e removed e2edown's rule")
	}
}
