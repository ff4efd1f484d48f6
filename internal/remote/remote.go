// Package remote runs commands on the nodes: one SSH connection per host, reused for every
// command of a run, with host keys always checked against a known_hosts file.
package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// Runner runs shell commands on one node.
type Runner interface {
	Run(ctx context.Context, cmd string) (stdout, stderr string, err error)
	Close() error
}

// Target says how to reach and log in to one node.
type Target struct {
	Host           string // address or name, as dialled
	Port           int    // 22 when zero
	User           string
	IdentityFiles  []string
	KnownHostsFile string
	Timeout        time.Duration // connect timeout; 10 s when zero
	// AskNewHost is asked about a host that is not in known_hosts yet, with its SHA256
	// fingerprint. Nil refuses unknown hosts, which is what non-interactive runs want.
	AskNewHost func(host, fingerprint string) (bool, error)
}

// Addr is host:port as dialled.
func (t Target) Addr() string {
	port := t.Port
	if port == 0 {
		port = 22
	}
	return net.JoinHostPort(t.Host, strconv.Itoa(port))
}

// CommandError is a command that ran and failed: its exit status and what it said.
type CommandError struct {
	Cmd    string
	Status int
	Stderr string
}

func (e *CommandError) Error() string {
	msg := strings.TrimSpace(e.Stderr)
	if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
		msg = strings.TrimSpace(msg[i+1:])
	}
	if msg == "" {
		return fmt.Sprintf("exit status %d", e.Status)
	}
	return fmt.Sprintf("exit status %d: %s", e.Status, msg)
}

// Client is an SSH connection to one node.
type Client struct {
	conn *ssh.Client
}

// Dial connects and logs in. Host keys are checked against t.KnownHostsFile.
func Dial(ctx context.Context, t Target) (*Client, error) {
	timeout := t.Timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	auths, err := keyAuth(t.IdentityFiles)
	if err != nil {
		return nil, err
	}
	hostKeys, err := hostKeyCallback(t)
	if err != nil {
		return nil, err
	}
	cfg := &ssh.ClientConfig{
		User:            t.User,
		Auth:            auths,
		HostKeyCallback: hostKeys,
		Timeout:         timeout,
	}
	d := net.Dialer{Timeout: timeout}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	raw, err := d.DialContext(dctx, "tcp", t.Addr())
	if err != nil {
		return nil, err
	}
	// The handshake has its own deadline: a host that accepts TCP but never speaks SSH must
	// not hang the run.
	_ = raw.SetDeadline(time.Now().Add(timeout))
	c, chans, reqs, err := ssh.NewClientConn(raw, t.Addr(), cfg)
	if err != nil {
		raw.Close()
		return nil, err
	}
	_ = raw.SetDeadline(time.Time{})
	return &Client{conn: ssh.NewClient(c, chans, reqs)}, nil
}

func keyAuth(files []string) ([]ssh.AuthMethod, error) {
	var signers []ssh.Signer
	for _, f := range files {
		pem, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read key: %w", err)
		}
		s, err := ssh.ParsePrivateKey(pem)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", f, err)
		}
		signers = append(signers, s)
	}
	if len(signers) == 0 {
		return nil, errors.New("no SSH key to log in with")
	}
	return []ssh.AuthMethod{ssh.PublicKeys(signers...)}, nil
}

// Run runs cmd in a new session on the shared connection. Cancelling ctx closes the session.
func (c *Client) Run(ctx context.Context, cmd string) (string, string, error) {
	sess, err := c.conn.NewSession()
	if err != nil {
		return "", "", err
	}
	defer sess.Close()
	var out, errb bytes.Buffer
	sess.Stdout, sess.Stderr = &out, &errb
	done := make(chan error, 1)
	go func() { done <- sess.Run(cmd) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		sess.Close()
		return out.String(), errb.String(), ctx.Err()
	}
	var exit *ssh.ExitError
	if errors.As(err, &exit) {
		return out.String(), errb.String(), &CommandError{Cmd: cmd, Status: exit.ExitStatus(), Stderr: errb.String()}
	}
	return out.String(), errb.String(), err
}

// Close ends the connection.
func (c *Client) Close() error { return c.conn.Close() }

// UnixDialer is a Runner that can also reach a unix socket on the node (OpenSSH's
// streamlocal forwarding), such as the docker daemon's.
type UnixDialer interface {
	DialUnix(ctx context.Context, path string) (net.Conn, error)
}

// DialUnix opens a connection to the unix socket path on the node, through the SSH
// connection. sshd may refuse it (AllowStreamLocalForwarding no, or no access to the socket).
func (c *Client) DialUnix(_ context.Context, path string) (net.Conn, error) {
	return c.conn.Dial("unix", path)
}
