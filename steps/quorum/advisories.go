package quorum

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"path"
	"strconv"
	"sync"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/steps/prelude"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// CertWindow is how soon before its certificate expires a node is warned about.
const CertWindow = 14 * 24 * time.Hour

// CertInfo is when a node's swarm certificate expires.
type CertInfo struct {
	Node    string    `json:"node"`
	Expires time.Time `json:"expires"`
}

// nodeCerts reads every connected member's swarm certificate (a public certificate, not a
// secret) from its docker data root and says when each expires.
func nodeCerts(ctx context.Context, env *wizard.Env, st *wizard.State) []CertInfo {
	out := make([]*CertInfo, len(st.Nodes))
	var wg sync.WaitGroup
	for i, n := range st.Nodes {
		if n.Conn == nil || n.Facts.Swarm.LocalNodeState != "active" && n.Facts.Swarm.LocalNodeState != "locked" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			root := n.Facts.DockerRoot
			if root == "" {
				root = "/var/lib/docker"
			}
			pemText, err := env.Read(ctx, n, docker.Cmd("node-cert", path.Join(root, "swarm/certificates/swarm-node.crt")))
			if err != nil {
				return
			}
			if b, _ := pem.Decode([]byte(pemText)); b != nil {
				if c, err := x509.ParseCertificate(b.Bytes); err == nil {
					out[i] = &CertInfo{Node: n.Name(), Expires: c.NotAfter}
				}
			}
		}()
	}
	wg.Wait()
	var certs []CertInfo
	for _, c := range out {
		if c != nil {
			certs = append(certs, *c)
		}
	}
	return certs
}

// certLifetime is the lifetime the swarm gives the certificates it issues (--cert-expiry),
// as a manager's docker API says; 0 when none answers. Docker applies it when it renews a
// certificate: the ones issued at init and join keep docker's 90 days until then (measured
// in the lab), so a short lifetime is told apart from the certificates' own dates.
func certLifetime(ctx context.Context, st *wizard.State) time.Duration {
	mgr := prelude.ManagerOf(st)
	if mgr == nil || mgr.Conn == nil || !mgr.Facts.Swarm.ControlAvailable {
		return 0
	}
	var sw struct {
		Spec struct {
			CAConfig struct{ NodeCertExpiry int64 }
		}
	}
	if err := mgr.Docker().Get(ctx, "/swarm", &sw); err != nil {
		return 0
	}
	return time.Duration(sw.Spec.CAConfig.NodeCertExpiry)
}

// advisories are what status says beyond the table: locked managers of an autolocked swarm,
// a certificate lifetime shorter than the warning window, and certificates that expire soon
// or have expired.
func advisories(st *wizard.State, lifetime time.Duration, certs []CertInfo, now time.Time) []string {
	var out []string
	if lifetime > 0 && lifetime < CertWindow {
		out = append(out, msg("status.cert.short", roundLeft(lifetime)))
	}
	for _, n := range st.Nodes {
		if n.Conn != nil && n.Facts.Swarm.LocalNodeState == "locked" {
			out = append(out, msg("status.locked", map[string]string{"Node": n.Name(), "Lab": st.LabName}))
		}
	}
	for _, c := range certs {
		left := c.Expires.Sub(now)
		data := map[string]any{"Node": c.Node, "At": c.Expires.UTC().Format("2006-01-02 15:04 UTC"), "Left": roundLeft(left)}
		switch {
		case left <= 0:
			out = append(out, msg("status.cert.expired", data))
		case left < CertWindow:
			out = append(out, msg("status.cert.soon", data))
		}
	}
	return out
}

// roundLeft says a time left the way a person would: 59m, 13h, 9d.
func roundLeft(d time.Duration) string {
	switch {
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + "m"
	case d < 48*time.Hour:
		return docker.Hours(d.Round(time.Hour))
	}
	return strconv.Itoa(int(d.Hours()/24)) + "d"
}
