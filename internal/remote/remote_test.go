package remote

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/swarmwiz/swarmwiz/internal/failure"
)

func testKey(t *testing.T) ssh.PublicKey {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := ssh.NewPublicKey(pub)
	return k
}

// Hashed known_hosts entries (HashKnownHosts yes) are honoured, and a changed key is
// refused with both fingerprints and the ssh-keygen command.
func TestKnownHostsHashedAndChanged(t *testing.T) {
	file := filepath.Join(t.TempDir(), "known_hosts")
	good, other := testKey(t), testKey(t)
	line := knownhosts.Line([]string{knownhosts.HashHostname("10.0.0.11")}, good)
	os.WriteFile(file, []byte(line+"\n"), 0o600)
	cb, err := hostKeyCallback(Target{KnownHostsFile: file})
	if err != nil {
		t.Fatal(err)
	}
	addr := &net.TCPAddr{IP: net.ParseIP("10.0.0.11"), Port: 22}
	if err := cb("10.0.0.11:22", addr, good); err != nil {
		t.Errorf("hashed entry not honoured: %v", err)
	}
	err = cb("10.0.0.11:22", addr, other)
	var changed *HostKeyChangedError
	if !errors.As(err, &changed) || !strings.Contains(err.Error(), ssh.FingerprintSHA256(good)) ||
		!strings.Contains(err.Error(), ssh.FingerprintSHA256(other)) || !strings.Contains(err.Error(), "ssh-keygen -f "+file+" -R 10.0.0.11") {
		t.Errorf("changed key: %v", err)
	}
	var unknown *UnknownHostError
	if err := cb("10.0.0.12:22", addr, good); !errors.As(err, &unknown) {
		t.Errorf("unknown host without a question: %v", err)
	}
}

// ssh_config: an alias's HostName, User, Port and IdentityFile, and ProxyJump over two hops.
func TestSSHConfigApply(t *testing.T) {
	cfgFile := filepath.Join(t.TempDir(), "config")
	os.WriteFile(cfgFile, []byte(`Host inner
  HostName 10.1.0.5
  User admin
  Port 2222
  IdentityFile /keys/inner
  ProxyJump bastion,root@10.0.0.2:2200
Host bastion
  HostName 203.0.113.7
  User jump
`), 0o600)
	c, err := LoadSSHConfig(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Apply(Target{Host: "inner"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Host != "10.1.0.5" || got.User != "admin" || got.Port != 2222 || got.IdentityFiles[0] != "/keys/inner" {
		t.Errorf("alias: %+v", got)
	}
	// Through bastion, then 10.0.0.2:2200, then inner.
	if got.Jump == nil || got.Jump.Host != "10.0.0.2" || got.Jump.Port != 2200 || got.Jump.User != "root" {
		t.Fatalf("last hop: %+v", got.Jump)
	}
	if first := got.Jump.Jump; first == nil || first.Host != "203.0.113.7" || first.User != "jump" {
		t.Errorf("first hop: %+v", first)
	}
	if _, err := LoadSSHConfig(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("an explicit --ssh-config that does not exist must be an error")
	}
}

type closeRecorder struct{ closed chan bool }

func (c *closeRecorder) Close() error { c.closed <- true; return nil }

// A channel request on a dead connection gives up when its context ends, and what it opens
// later is closed, not leaked.
func TestUntilDoneGivesUpAndCloses(t *testing.T) {
	release := make(chan struct{})
	late := &closeRecorder{closed: make(chan bool, 1)}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	_, err := untilDone(ctx, func() (*closeRecorder, error) { <-release; return late, nil })
	if err == nil || time.Since(t0) > 2*time.Second {
		t.Fatalf("want the context's error soon, got %v after %s", err, time.Since(t0))
	}
	close(release)
	select {
	case <-late.closed:
	case <-time.After(2 * time.Second):
		t.Errorf("what opened after the give-up was not closed")
	}
	v, err := untilDone(context.Background(), func() (*closeRecorder, error) { return late, nil })
	if err != nil || v != late {
		t.Errorf("an answer in time is returned: %v %v", v, err)
	}
}

// A name the resolver does not know is bad input, said as such, not "does not answer".
func TestNoSuchHostIsBadInput(t *testing.T) {
	err := noSuchHost("nodee4", fmt.Errorf("dial: %w", &net.DNSError{Err: "no such host", Name: "nodee4", IsNotFound: true}))
	if failure.Code(err) != failure.ExitUsage || !strings.Contains(err.Error(), "nodee4: no such host name") {
		t.Errorf("got %v (exit %d)", err, failure.Code(err))
	}
	timeout := &net.DNSError{Err: "i/o timeout", Name: "node4", IsTimeout: true}
	if err := noSuchHost("node4", timeout); err != timeout {
		t.Errorf("a resolver that did not answer is not a wrong name: %v", err)
	}
}

// A port nothing listens on is told apart from a machine that does not answer, by the
// connection's own error, never its text: sshd stopped is not "switched off".
func TestUnreachableSaysWhatTheConnectionMet(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	_, err = net.Dial("tcp", addr)
	if got := noSuchHost("127.0.0.1", err); !strings.Contains(got.Error(), "the machine answers, but nothing listens on its SSH port: sshd is stopped there") {
		t.Errorf("refused: %v", got)
	}
	var u *UnreachableError
	if got := noSuchHost("node4", context.DeadlineExceeded); !errors.As(got, &u) || u.Kind != "timeout" || !strings.Contains(got.Error(), "it does not answer on its SSH port") {
		t.Errorf("timeout: %v", got)
	}
}
