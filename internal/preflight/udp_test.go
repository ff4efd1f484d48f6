package preflight

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The UDP listener hears what the sender sends, on loopback, with perl and with python (a node
// with only one of them), and ends as soon as its stdin closes, freeing the ports for docker.
func TestUDPListenAndSend(t *testing.T) {
	for _, interp := range []string{"perl", "python3"} {
		path, err := exec.LookPath(interp)
		if err != nil {
			t.Logf("no %s here", interp)
			continue
		}
		if interp == "python3" { // a shim (pyenv) is a script: the interpreter itself
			if out, err := exec.Command(path, "-c", "import sys; print(sys.executable)").Output(); err == nil {
				path = strings.TrimSpace(string(out))
			}
		}
		t.Run(interp, func(t *testing.T) {
			bin := t.TempDir() // bash and only this interpreter on PATH
			for name, p := range map[string]string{interp: path, "bash": mustLook(t, "bash")} {
				os.Symlink(p, filepath.Join(bin, name))
			}
			listen, in, out := startListener(t, []string{"PATH=" + bin}, 47946, 44789)
			// Through sh, as sudo runs it (dash on Debian: no /dev/udp of its own).
			sent, err := exec.Command("sh", "-c", UDPSendScript([]string{"127.0.0.1"}, []int{47946, 44789}, false)).Output()
			if err != nil {
				t.Fatal(err)
			}
			if tried := ParseUDPSend(string(sent)); !tried["127.0.0.1"][47946] || !tried["127.0.0.1"][44789] {
				t.Errorf("the sender says %q: want both ways sent", sent)
			}
			time.Sleep(200 * time.Millisecond)
			t0 := time.Now()
			in.Close()
			listen.Wait()
			h := ParseUDPListen(out.String())
			if !h.Ready || len(h.Listening) != 2 || len(h.From[47946]) == 0 || len(h.From[44789]) == 0 || h.From[47946][0] != "127.0.0.1" {
				t.Errorf("heard %+v from %q", h, out.String())
			}
			if d := time.Since(t0); d > 2*time.Second {
				t.Errorf("the listener took %s to end after its stdin closed", d)
			}
		})
	}
}

func mustLook(t *testing.T, name string) string {
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A way the sender cannot send by is said as refused, not as sent: the listener's side is not
// blamed for it. (An address no route leads to: 192.0.2.1 is TEST-NET-1, and the send fails
// before any packet leaves, in a network namespace of its own with only loopback up.)
func TestUDPSendSaysRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for a network namespace")
	}
	out, err := exec.Command("unshare", "--net", "sh", "-c", "ip link set lo up && "+UDPSendScript([]string{"192.0.2.1", "127.0.0.1"}, []int{47946}, false)).Output()
	if err != nil {
		t.Fatal(err)
	}
	tried := ParseUDPSend(string(out))
	if left, ok := tried["192.0.2.1"][47946]; !ok || left {
		t.Errorf("to an address with no route: want refused, got %q", out)
	}
	if left, ok := tried["127.0.0.1"][47946]; !ok || !left {
		t.Errorf("to loopback: want sent, got %q", out)
	}
}

// ss's words for a port's holder: docker's leftover, another program, the kernel's own.
func TestUDPHolder(t *testing.T) {
	out := `State  Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess
UNCONN 0      0            0.0.0.0:68         0.0.0.0:*    users:(("dhclient",pid=512,fd=7))
UNCONN 0      0                  *:7946             *:*    users:(("dockerd",pid=7499,fd=23))
UNCONN 0      0            0.0.0.0:4789       0.0.0.0:*
UNCONN 0      0          127.0.0.1:17946      0.0.0.0:*    users:(("serf",pid=9,fd=3))
`
	for port, want := range map[int]string{7946: "dockerd", 4789: "", 68: "dhclient", 946: "", 17946: "serf"} {
		if got := UDPHolder(out, port); got != want {
			t.Errorf("port %d: want %q, got %q", port, want, got)
		}
	}
}

// A sender started on cue sends nothing until its cue line, and nothing at all when its stdin
// ends first (swarmwiz gave up before the listeners were ready).
func TestUDPSendOnCue(t *testing.T) {
	listen, in, out := startListener(t, nil, 47946)
	script := UDPSendScript([]string{"127.0.0.1"}, []int{47946}, true)
	uncued := exec.Command("sh", "-c", script)
	uncued.Stdin = strings.NewReader("")
	if sent, err := uncued.Output(); err != nil || len(sent) != 0 {
		t.Errorf("without its cue the sender said %q (%v): want nothing sent", sent, err)
	}
	cued := exec.Command("sh", "-c", script)
	cued.Stdin = strings.NewReader("go\n")
	sent, err := cued.Output()
	if tried := ParseUDPSend(string(sent)); err != nil || !tried["127.0.0.1"][47946] {
		t.Errorf("on its cue the sender said %q (%v): want sent", sent, err)
	}
	time.Sleep(200 * time.Millisecond)
	in.Close()
	listen.Wait()
	if h := ParseUDPListen(out.String()); len(h.From[47946]) != 3 {
		t.Errorf("heard %q: want the cued sender's three datagrams and no other", out.String())
	}
}

// startListener runs the listener script on ports (env: its environment; nil: this one's),
// gives it time to listen, and returns it, its stdin and what it prints.
func startListener(t *testing.T, env []string, ports ...int) (*exec.Cmd, io.WriteCloser, *strings.Builder) {
	t.Helper()
	listen := exec.Command("bash", "-c", UDPListenScript(5, ports))
	listen.Env = env
	in, _ := listen.StdinPipe()
	out := &strings.Builder{}
	listen.Stdout = out
	if err := listen.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	return listen, in, out
}
