//go:build linux

package e2e

import (
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

const learnerPassword = "Pr4ctice-only-pw"

func mustRun(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v %s", name, args, err, out)
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
