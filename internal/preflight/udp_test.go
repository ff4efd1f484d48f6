package preflight

import (
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
			listen := exec.Command("bash", "-c", UDPListenScript(5, []int{47946, 44789}))
			listen.Env = []string{"PATH=" + bin}
			in, _ := listen.StdinPipe()
			var out strings.Builder
			listen.Stdout = &out
			if err := listen.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(500 * time.Millisecond)
			if err := exec.Command("bash", "-c", UDPSendScript([]string{"127.0.0.1"}, []int{47946, 44789})).Run(); err != nil {
				t.Fatal(err)
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
