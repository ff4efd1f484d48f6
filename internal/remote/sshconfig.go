package remote

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kevinburke/ssh_config"
)

// SSHConfig is an ssh_config file (~/.ssh/config by default): Host aliases with HostName,
// User, Port, IdentityFile and ProxyJump are honoured as ssh would.
type SSHConfig struct {
	cfg *ssh_config.Config
}

// LoadSSHConfig reads file; "" means ~/.ssh/config, and its absence is no error.
func LoadSSHConfig(file string) (*SSHConfig, error) {
	explicit := file != ""
	if !explicit {
		home, _ := os.UserHomeDir()
		file = filepath.Join(home, ".ssh", "config")
	}
	f, err := os.Open(file)
	if err != nil {
		if !explicit && os.IsNotExist(err) {
			return &SSHConfig{}, nil
		}
		return nil, err
	}
	defer f.Close()
	cfg, err := ssh_config.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return &SSHConfig{cfg: cfg}, nil
}

func (c *SSHConfig) get(alias, key string) string {
	if c == nil || c.cfg == nil {
		return ""
	}
	v, _ := c.cfg.Get(alias, key)
	return v
}

// Apply resolves t.Host as an alias: its HostName, and User, Port and IdentityFile where t
// has none of its own, and its ProxyJump hops. depth guards against a jump loop.
func (c *SSHConfig) Apply(t Target) (Target, error) { return c.apply(t, 0) }

func (c *SSHConfig) apply(t Target, depth int) (Target, error) {
	if depth > 8 {
		return t, fmt.Errorf("ProxyJump for %s goes round in circles", t.Host)
	}
	alias := t.Host
	if h := c.get(alias, "HostName"); h != "" {
		t.Host = strings.ReplaceAll(h, "%h", alias)
	}
	if t.User == "" {
		t.User = c.get(alias, "User")
	}
	if t.Port == 0 {
		if p, err := strconv.Atoi(c.get(alias, "Port")); err == nil {
			t.Port = p
		}
	}
	if f := c.get(alias, "IdentityFile"); f != "" && c.cfg != nil {
		home, _ := os.UserHomeDir()
		if strings.HasPrefix(f, "~/") {
			f = filepath.Join(home, f[2:])
		}
		t.IdentityFiles = append([]string{f}, t.IdentityFiles...)
	}
	jump := c.get(alias, "ProxyJump")
	if jump == "" || strings.EqualFold(jump, "none") {
		return t, nil
	}
	// "a,b": through a, then b, then t.
	var prev *Target
	for _, hop := range strings.Split(jump, ",") {
		j, err := parseHop(strings.TrimSpace(hop), t)
		if err != nil {
			return t, err
		}
		if j, err = c.apply(j, depth+1); err != nil {
			return t, err
		}
		if prev != nil && j.Jump == nil {
			j.Jump = prev
		}
		prev = &j
	}
	t.Jump = prev
	return t, nil
}

// parseHop reads one ProxyJump hop, [user@]host[:port]; it inherits how to check host keys
// and how to log in, but not the target's user.
func parseHop(hop string, from Target) (Target, error) {
	j := Target{KnownHostsFile: from.KnownHostsFile, Timeout: from.Timeout, Auth: from.Auth, AskNewHost: from.AskNewHost}
	if user, rest, ok := strings.Cut(hop, "@"); ok {
		j.User, hop = user, rest
	}
	j.Host = hop
	if h, p, err := net.SplitHostPort(hop); err == nil {
		port, err := strconv.Atoi(p)
		if err != nil {
			return j, fmt.Errorf("ProxyJump %q: bad port", hop)
		}
		j.Host, j.Port = h, port
	}
	// No user yet: the hop's own ssh_config User, or else the run's user, fills it later.
	return j, nil
}
