package remote

import (
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
	return fmt.Sprintf("host key of %s has CHANGED (known %s, now %s); refusing to connect. If the machine was reinstalled, check the new key, then run: ssh-keygen -f %s -R %s",
		e.Host, e.Old, e.New, e.KnownHostsFile, e.Host)
}

// UnknownHostError is a host not in known_hosts that was not accepted. Key is what it
// offered, so a caller that asks the user later can trust it with Trust.
type UnknownHostError struct {
	Host, Fingerprint string
	Key               ssh.PublicKey
}

func (e *UnknownHostError) Error() string {
	return fmt.Sprintf("host key of %s (%s) is not known and was not accepted", e.Host, e.Fingerprint)
}

func hostKeyCallback(t Target) (ssh.HostKeyCallback, error) {
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
	return func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		err := check(hostname, remote, key)
		var kerr *knownhosts.KeyError
		if !errors.As(err, &kerr) {
			return err
		}
		fp := ssh.FingerprintSHA256(key)
		if len(kerr.Want) > 0 {
			return &HostKeyChangedError{Host: knownhosts.Normalize(hostname), KnownHostsFile: file,
				Old: ssh.FingerprintSHA256(kerr.Want[0].Key), New: fp}
		}
		if t.AskNewHost == nil {
			return &UnknownHostError{Host: knownhosts.Normalize(hostname), Fingerprint: fp, Key: key}
		}
		ok, aerr := t.AskNewHost(knownhosts.Normalize(hostname), fp)
		if aerr != nil {
			return aerr
		}
		if !ok {
			return &UnknownHostError{Host: knownhosts.Normalize(hostname), Fingerprint: fp, Key: key}
		}
		return appendKnownHost(file, hostname, key)
	}, nil
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
