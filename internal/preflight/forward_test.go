package preflight

import (
	"context"
	"net"
	"testing"

	"golang.org/x/crypto/ssh"
)

type dialer map[string]error

func (d dialer) DialTCP(ctx context.Context, addr string) (net.Conn, error) {
	if err, ok := d[addr]; ok {
		if err == context.DeadlineExceeded {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return nil, err
	}
	a, b := net.Pipe()
	b.Close()
	return a, nil
}

// What sshd answers when it connects from the node means what the probe script's answer
// means; a server that does not forward leaves it to the script.
func TestProbeForward(t *testing.T) {
	refused := &ssh.OpenChannelError{Reason: ssh.ConnectionFailed, Message: "Connection refused"}
	noRoute := &ssh.OpenChannelError{Reason: ssh.ConnectionFailed, Message: "No route to host"}
	d := dialer{"10.0.0.1:7946": refused, "10.0.0.2:2377": noRoute}
	if blocked, ok := ProbeForward(context.Background(), d, "10.0.0.1", nil); !ok || len(blocked) != 0 {
		t.Errorf("open and refused ports: %v %v", blocked, ok)
	}
	blocked, ok := ProbeForward(context.Background(), d, "10.0.0.2", []int{2377, 7946})
	if !ok || len(blocked) != 1 || blocked[0] != (Blocked{2377, "No route to host"}) {
		t.Errorf("no route: %v %v", blocked, ok)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	slow := dialer{"10.0.0.3:2377": context.DeadlineExceeded}
	blocked, ok = ProbeForward(ctx, slow, "10.0.0.3", []int{2377})
	if !ok || len(blocked) != 1 || blocked[0] != (Blocked{2377, "timeout"}) {
		t.Errorf("timeout: %v %v", blocked, ok)
	}
	prohibited := dialer{"10.0.0.4:2377": &ssh.OpenChannelError{Reason: ssh.Prohibited, Message: "administratively prohibited"}}
	if _, ok := ProbeForward(context.Background(), prohibited, "10.0.0.4", []int{2377, 7946}); ok {
		t.Error("a server that does not forward should leave the probe to the script")
	}
}
