package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const learnerPassword = "Pr4ctice-only-pw"

// learnerNode makes node N take password logins, for a user "learner" whose sudo asks for
// its password and who is not in the docker group. Users and sudoers are shared by all
// nodes (one /etc); everything is undone when the test ends.
func learnerNode(t *testing.T, node labNode, index int) {
	t.Helper()
	addLearner(t)
	cfgPath := filepath.Join("/var/lib/swarmwiz/lab", labName, "nodes", node.Name, "sshd_config")
	old, _ := os.ReadFile(cfgPath)
	cfg := strings.NewReplacer("PasswordAuthentication no", "PasswordAuthentication yes", "UsePAM no", "UsePAM yes").Replace(string(old))
	os.WriteFile(cfgPath, []byte(cfg), 0o600)
	restartSSHD(t, index, cfgPath)
	t.Cleanup(func() {
		os.WriteFile(cfgPath, old, 0o600)
		restartSSHD(t, index, cfgPath)
		os.Remove("/etc/sudoers.d/swarmwiz-learner")
		exec.Command("userdel", "-r", "learner").Run()
	})
}

// addLearner makes the user "learner" with its password and a sudo that asks for it; the
// caller undoes it. Users and sudoers are shared by all nodes (one /etc).
func addLearner(t *testing.T) {
	t.Helper()
	exec.Command("userdel", "-r", "learner").Run()
	mustRun(t, "useradd", "-m", "-s", "/bin/bash", "learner")
	chpasswd := exec.Command("chpasswd")
	chpasswd.Stdin = strings.NewReader("learner:" + learnerPassword + "\n")
	if out, err := chpasswd.CombinedOutput(); err != nil {
		t.Fatalf("chpasswd: %v %s", err, out)
	}
	os.WriteFile("/etc/sudoers.d/swarmwiz-learner", []byte("learner ALL=(ALL) ALL\n"), 0o440)
}

func mustRun(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v %s", name, args, err, out)
	}
}

// restartSSHD restarts node N's sshd with its (changed) config, inside the node.
func restartSSHD(t *testing.T, index int, cfg string) {
	t.Helper()
	script := `ns=swz-` + labName + `-` + string(rune('0'+index)) + `
for p in $(ip netns pids $ns); do [ "$(cat /proc/$p/comm)" = sshd ] && kill $p; done
sleep 0.2
d=$(for p in $(ip netns pids $ns); do [ "$(cat /proc/$p/comm)" = dockerd ] && echo $p; done | head -n1)
nsenter --target $d --net --uts --mount -- /usr/sbin/sshd -f ` + cfg + ` -E ` + filepath.Dir(cfg) + `/sshd.log`
	if out, err := exec.Command("bash", "-c", script).CombinedOutput(); err != nil {
		t.Fatalf("restart sshd: %v %s", err, out)
	}
}

// watchPS samples every command line on this machine while a run lasts, to prove a secret
// never appears in one.
func watchPS(t *testing.T, secret string) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
			}
			out, _ := exec.Command("ps", "-eo", "args").Output()
			if strings.Contains(string(out), secret) {
				t.Errorf("a secret appeared in ps output")
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// Password login, then docker through sudo with a password: both asked at the prompt,
// neither echoed nor on any command line; wrong ones end in one line after 3 tries.
func TestPasswordLoginAndSudo(t *testing.T) {
	nodes := sharedLab(t)
	createSeed(t, "--managers", "1")
	n1 := nodes[0]
	learnerNode(t, n1, 1)
	env := []string{"HOME=" + t.TempDir(), "SSH_AUTH_SOCK="}
	args := []string{"status", "--host", n1.Address, "--ssh-user", "learner", "--known-hosts", n1.KnownHostsFile}

	// No key: the key question is answered with Enter (the agent and usual keys: none here).
	noKey := func(s *session) {
		s.expect("Private key file")
		s.send(keyEnter)
	}
	stop := watchPS(t, learnerPassword)
	s := startPTY(t, env, args...)
	noKey(s)
	s.expect("Password for learner@" + n1.Address)
	s.send(strings.Split(learnerPassword, "")...)
	s.send(keyEnter)
	s.expect("sudo password on " + n1.Address)
	s.send(strings.Split(learnerPassword, "")...)
	s.send(keyEnter)
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
}
