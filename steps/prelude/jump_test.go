package prelude

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/remote"
)

// Connections through one jump host log in there at most JumpHandshakes at a time (its
// sshd drops logins beyond ten by default); those through another jump host, or none, do
// not wait for them.
func TestJumpHostLoginsBounded(t *testing.T) {
	bastion := &remote.Target{Host: "bastion", User: "ops", Port: 22}
	inner := &remote.Target{Host: "inner", Port: 22, Jump: bastion}
	var j jumpSlots
	var now, most atomic.Int32
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			jump := bastion
			if i%2 == 1 {
				jump = inner // through inner, which is reached through bastion: bastion's login too
			}
			release := j.take(jump)
			defer release()
			n := now.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(20 * time.Millisecond)
			now.Add(-1)
		}()
	}
	wg.Wait()
	if got := most.Load(); got != JumpHandshakes {
		t.Errorf("at most %d logins at once through one jump host, want %d", got, JumpHandshakes)
	}
	// Direct connections are not bounded here: thirty hold a slot at once.
	start := make(chan struct{})
	var taken atomic.Int32
	var direct sync.WaitGroup
	for range 30 {
		direct.Add(1)
		go func() {
			defer direct.Done()
			release := j.take(nil)
			taken.Add(1)
			<-start
			release()
		}()
	}
	deadline := time.Now().Add(5 * time.Second)
	for taken.Load() < 30 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	close(start)
	direct.Wait()
	if got := taken.Load(); got != 30 {
		t.Errorf("%d direct connections under way at once, want all 30", got)
	}
}
