package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// NodeStatus is one node as `lab status` reports it.
type NodeStatus struct {
	Name           string `json:"name"`
	Address        string `json:"address"`
	User           string `json:"user"`
	IdentityFile   string `json:"identityFile"`
	KnownHostsFile string `json:"knownHostsFile"`
	SSHD           bool   `json:"sshd"`
	Dockerd        bool   `json:"dockerd"`
	Swarm          string `json:"swarm"` // docker's LocalNodeState: inactive, active, pending, error; "unknown" when dockerd is down
}

// Status probes every node of inv in parallel.
func Status(ctx context.Context, inv *Inventory) []NodeStatus {
	out := make([]NodeStatus, len(inv.Nodes))
	var wg sync.WaitGroup
	for i, n := range inv.Nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := NodeStatus{Name: n.Name, Address: n.Address, User: inv.User, IdentityFile: inv.IdentityFile,
				KnownHostsFile: inv.KnownHostsFile, Swarm: "unknown"}
			name, err := sshHostname(ctx, inv, n, 2*time.Second)
			s.SSHD = err == nil && name == n.Name
			if b, err := dockerGet(ctx, n, "/info"); err == nil {
				s.Dockerd = true
				var info struct {
					Swarm struct{ LocalNodeState string }
				}
				if json.Unmarshal(b, &info) == nil {
					s.Swarm = info.Swarm.LocalNodeState
				}
			}
			out[i] = s
		}()
	}
	wg.Wait()
	return out
}

// dockerGet asks the node's dockerd directly over its socket, from the host: readiness and
// status need no SSH round trip.
func dockerGet(ctx context.Context, n Node, path string) ([]byte, error) {
	client := http.Client{
		Timeout: 2 * time.Second,
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", n.Socket())
		}},
	}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://docker"+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", path, resp.Status)
	}
	return b, err
}
