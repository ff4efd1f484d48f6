package docker

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// The gossip-log script reads docker's own words from /var/log/docker.log (where docker logs
// to a file; the practice lab's nodes do), run as sudo runs it (sh): memberlist's warnings of
// the last seconds only (an older one is not fresh evidence), both wordings of memberlist's
// versions, and "error in agentInit" only since dockerd last started. In a mount namespace of
// its own, /var/log a fresh tmpfs: this machine's own log is not read or touched.
func TestGossipLogScript(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for a mount namespace")
	}
	now := time.Now()
	at := func(ago time.Duration) string { return now.Add(-ago).Format("2006-01-02T15:04:05.000000000Z07:00") }
	log := fmt.Sprintf(`time="%s" level=error msg="error in agentInit: failed to create memberlist: bind: address already in use"
time="%s" level=info msg="Starting up"
time="%s" level=warning msg="memberlist: Was able to connect to old111 but other probes failed, network may be misconfigured"
time="%s" level=warning msg="memberlist: Was able to connect to new222 but other probes failed, network may be misconfigured"
time="%s" level=warning msg="memberlist: Was able to connect to new333 over TCP but UDP probes failed, network may be misconfigured"
time="%s" level=warning msg="memberlist: Was able to connect to new222 but other probes failed, network may be misconfigured"
`, at(time.Hour), at(50*time.Minute), at(2*time.Minute), at(20*time.Second), at(10*time.Second), at(5*time.Second))
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "docker.log"), []byte(log), 0o600); err != nil {
		t.Fatal(err)
	}
	script := GossipLogScript(60)
	run := func(extra string) GossipLog {
		t.Helper()
		// No journal here: journalctl is hidden, as on a machine without systemd.
		script := "mount -t tmpfs none /var/log && cp " + filepath.Join(dir, "docker.log") + " /var/log/ && " + extra +
			"PATH=" + dir + ":/usr/bin:/bin; journalctl() { return 1; }\n" + script
		out, err := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script).CombinedOutput()
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return ParseGossipLog(string(out))
	}
	g := run("")
	if !slices.Equal(g.UDPFailed, []string{"new222", "new333"}) || g.AgentInit || g.NoLog {
		t.Errorf("want new222 and new333 only, no agentInit (it came before the last start): %+v", g)
	}
	g = run(fmt.Sprintf(`echo 'time="%s" level=error msg="error in agentInit: failed to create memberlist"' >> /var/log/docker.log && `, at(time.Second)))
	if !g.AgentInit {
		t.Errorf("an agentInit error since the last start: %+v", g)
	}
	// Two rounds of 15 s: new222 warned 20 s and 5 s ago, in both; new333 10 s ago, in the
	// recent one only.
	script = GossipLogTwoRounds(15, 15)
	if g = run(""); !slices.Equal(g.UDPFailed, []string{"new333", "new222"}) || !slices.Equal(g.Older, []string{"new222"}) {
		t.Errorf("two rounds: want new333 and new222 recently, new222 before: %+v", g)
	}
	script = GossipLogScript(60)
	if g = run("rm /var/log/docker.log && "); !g.NoLog || len(g.UDPFailed) > 0 {
		t.Errorf("no log: want nolog: %+v", g)
	}
}
