package preflight

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/remote"
	"golang.org/x/crypto/ssh"
)

// ProbeTimeout is how long a port may take to answer before it counts as blocked: the
// probe script's `timeout 3`.
const ProbeTimeout = 3 * time.Second

// ProbeForward is ProbeScript without a process on the node: sshd itself connects, from
// the node, to addr on each port (OpenSSH's TCP forwarding), all ports at once. The answer
// means what the script's does: refused is open, since nothing listens before the swarm
// starts; a timeout or any other failure ("No route to host") is blocked. ok is false where
// sshd does not forward (AllowTcpForwarding no): then the script has to ask.
func ProbeForward(ctx context.Context, d remote.TCPDialer, addr string, ports []int) (blocked []Blocked, ok bool) {
	if len(ports) == 0 {
		ports = SwarmPorts
	}
	results := make([]*Blocked, len(ports))
	unforwarded := make([]bool, len(ports))
	var wg sync.WaitGroup
	for i, port := range ports {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(ctx, ProbeTimeout)
			defer cancel()
			conn, err := d.DialTCP(ctx, net.JoinHostPort(addr, strconv.Itoa(port)))
			var open *ssh.OpenChannelError
			switch {
			case err == nil:
				conn.Close()
			case errors.As(err, &open) && open.Reason == ssh.ConnectionFailed:
				if !strings.Contains(strings.ToLower(open.Message), "refused") {
					results[i] = &Blocked{port, open.Message}
				}
			case errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil:
				results[i] = &Blocked{port, "timeout"}
			default:
				unforwarded[i] = true // sshd would not forward, or the connection ended
			}
		}()
	}
	wg.Wait()
	for i := range ports {
		if unforwarded[i] {
			return nil, false
		}
		if results[i] != nil {
			blocked = append(blocked, *results[i])
		}
	}
	return blocked, true
}
