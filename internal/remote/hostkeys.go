package remote

import (
	"github.com/swarmwiz/swarmwiz/templates"

	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// HostKeyChangedError is a host whose key differs from the one in known_hosts: possibly a
// reinstalled machine, possibly someone in the middle. Nothing runs on such a host.
type HostKeyChangedError struct {
	Host, KnownHostsFile, Old, New string
}

func (e *HostKeyChangedError) Error() string {
	return templates.Msg("hostkey.changed", e)
}

// HostKeyTypeError is a known host that no longer offers any key of the types known_hosts
// holds for it: as suspicious as a changed key, and refused the same way.
type HostKeyTypeError struct {
	Host, KnownHostsFile string
	Known                []string // the key types known_hosts has for it
}

func (e *HostKeyTypeError) Error() string {
	return templates.Msg("hostkey.type", e)
}

// UnknownHostError is a host not in known_hosts that was not accepted. Key is what it
// offered, so a caller that asks the user later can trust it with Trust.
type UnknownHostError struct {
	Host, Fingerprint string
	Key               ssh.PublicKey
}

func (e *UnknownHostError) Error() string {
	return templates.Msg("hostkey.unknown", map[string]string{"Host": e.Host, "Type": e.Key.Type(), "Fingerprint": e.Fingerprint})
}

// Type is the key's algorithm as ssh names it (ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa).
func (e *UnknownHostError) Type() string { return e.Key.Type() }

// PubFile is the file on the machine whose fingerprint the user should compare with this
// one: `ssh-keygen -lf` of it prints the same SHA256 line.
func (e *UnknownHostError) PubFile() string { return HostKeyPubFile(e.Key.Type()) }

// HostKeyPubFile is where OpenSSH keeps the public host key of that type.
func HostKeyPubFile(keyType string) string {
	short := "rsa"
	switch {
	case strings.Contains(keyType, "ed25519"):
		short = "ed25519"
	case strings.Contains(keyType, "ecdsa"):
		short = "ecdsa"
	case strings.Contains(keyType, "dss"):
		short = "dsa"
	}
	return "/etc/ssh/ssh_host_" + short + "_key.pub"
}

// IsHostKeyError says whether err is a refusal over the host's key (changed, of another
// type, or not trusted): the host answered, and it is not a network problem.
func IsHostKeyError(err error) bool {
	var changed *HostKeyChangedError
	var typ *HostKeyTypeError
	var unknown *UnknownHostError
	return errors.As(err, &changed) || errors.As(err, &typ) || errors.As(err, &unknown)
}

// hostKeys is how one connection checks the server's key: the callback, and the key
// algorithms to offer, which are those known_hosts holds for the host (nil for a new host:
// the library's usual order). Offering only those is what OpenSSH does: a server with
// several host keys otherwise shows one that known_hosts lacks and looks "changed".
type hostKeys struct {
	callback   ssh.HostKeyCallback
	algorithms []string
	known      []string // key types known for the host
}

func hostKeyCheck(t Target) (*hostKeys, error) {
	file := t.KnownHostsFile
	if file == "" {
		return nil, errors.New("no known_hosts file given")
	}
	if _, err := os.Stat(file); errors.Is(err, os.ErrNotExist) {
		// An absent file is an empty one: every host is new and asked about.
		if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
			return nil, err
		}
		if err := os.WriteFile(file, nil, 0o600); err != nil {
			return nil, err
		}
	}
	check, err := knownhosts.New(file)
	if err != nil {
		return nil, fmt.Errorf("known_hosts %s: %w", file, err)
	}
	hk := &hostKeys{}
	hk.known = knownTypes(check, t.Addr())
	hk.algorithms = algorithmsFor(hk.known)
	hk.callback = func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		err := check(hostname, remote, key)
		var kerr *knownhosts.KeyError
		if !errors.As(err, &kerr) {
			return err
		}
		fp := ssh.FingerprintSHA256(key)
		host := knownhosts.Normalize(hostname)
		if len(kerr.Want) > 0 {
			// Only a known key of the same type can tell that this one changed.
			old := ""
			for _, w := range kerr.Want {
				if w.Key.Type() == key.Type() {
					old = ssh.FingerprintSHA256(w.Key)
					break
				}
			}
			if old == "" {
				return &HostKeyTypeError{Host: host, KnownHostsFile: file, Known: hk.known}
			}
			return &HostKeyChangedError{Host: host, KnownHostsFile: file, Old: old, New: fp}
		}
		if t.AskNewHost == nil {
			return &UnknownHostError{Host: host, Fingerprint: fp, Key: key}
		}
		ok, aerr := t.AskNewHost(host, fp)
		if aerr != nil {
			return aerr
		}
		if !ok {
			return &UnknownHostError{Host: host, Fingerprint: fp, Key: key}
		}
		return appendKnownHost(file, hostname, key)
	}
	return hk, nil
}

// hostKeyCallback is the check alone, for callers that negotiate nothing.
func hostKeyCallback(t Target) (ssh.HostKeyCallback, error) {
	hk, err := hostKeyCheck(t)
	if err != nil {
		return nil, err
	}
	return hk.callback, nil
}

// probeKey is a key no host has: asking known_hosts about it lists every key it does hold
// for a host.
var probeKey = func() ssh.PublicKey {
	k, _ := ssh.NewPublicKey(ed25519.PublicKey(make([]byte, ed25519.PublicKeySize)))
	return k
}()

// knownTypes lists the key types known_hosts holds for addr (host:port), in file order.
func knownTypes(check ssh.HostKeyCallback, addr string) []string {
	err := check(addr, &net.TCPAddr{IP: net.IPv4zero}, probeKey)
	var kerr *knownhosts.KeyError
	if !errors.As(err, &kerr) {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, w := range kerr.Want {
		if t := w.Key.Type(); !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// algorithmsFor are the host key algorithms that can show a key of one of these types, in
// OpenSSH's order of preference. An RSA key is signed with SHA-2 by current servers.
func algorithmsFor(types []string) []string {
	if len(types) == 0 {
		return nil
	}
	has := map[string]bool{}
	for _, t := range types {
		has[t] = true
	}
	var out []string
	for _, a := range []struct{ alg, keyType string }{
		{ssh.KeyAlgoED25519, ssh.KeyAlgoED25519},
		{ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA256},
		{ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA384},
		{ssh.KeyAlgoECDSA521, ssh.KeyAlgoECDSA521},
		{ssh.KeyAlgoSKED25519, ssh.KeyAlgoSKED25519},
		{ssh.KeyAlgoSKECDSA256, ssh.KeyAlgoSKECDSA256},
		{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSA},
		{ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA},
		{ssh.KeyAlgoRSA, ssh.KeyAlgoRSA},
	} {
		if has[a.keyType] {
			out = append(out, a.alg)
		}
	}
	return out
}

// Trust adds host's key to the known_hosts file, as ssh does when the user answers yes.
func Trust(file, host string, key ssh.PublicKey) error { return appendKnownHost(file, host, key) }

func appendKnownHost(file, hostname string, key ssh.PublicKey) error {
	f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteString(knownhosts.Line([]string{knownhosts.Normalize(hostname)}, key) + "\n")
	return err
}

// KnownHostsLine is the known_hosts entry for addr with key, as ssh writes it.
func KnownHostsLine(addr string, key ssh.PublicKey) string {
	return strings.TrimSpace(knownhosts.Line([]string{knownhosts.Normalize(addr)}, key))
}

// knownhostsName is addr as known_hosts writes it: host alone on port 22, [host]:port else.
func knownhostsName(addr string) string { return knownhosts.Normalize(addr) }
