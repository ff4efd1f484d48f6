// Package remote runs commands on the nodes: one SSH connection per host, reused for every
// command of a run, with host keys always checked against a known_hosts file.
package remote

import (
	"github.com/swarmwiz/swarmwiz/templates"

	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/internal/poll"
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
	// Auth is the run's shared login; nil logs in with IdentityFiles alone, never prompting.
	Auth *Auth
	// Jump is the host to go through (ProxyJump), itself possibly through another.
	Jump *Target
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
	jump *Client // the connection this one goes through, if any
	done chan struct{}
}

// KeepAlive is how often an idle connection is checked; a dead peer ends it.
const KeepAlive = 15 * time.Second

// Dial connects and logs in. Host keys are checked against t.KnownHostsFile.
func Dial(ctx context.Context, t Target) (*Client, error) {
	timeout := t.Timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	auth, ownKeys := t.Auth, t.IdentityFiles
	if auth == nil {
		if len(t.IdentityFiles) == 0 {
			return nil, errors.New(templates.Msg("ssh.nokey", nil))
		}
		auth, ownKeys = &Auth{KeyFiles: t.IdentityFiles}, nil
	}
	hostKeys, err := hostKeyCheck(t)
	if err != nil {
		return nil, err
	}
	var jump *Client
	if t.Jump != nil {
		if jump, err = Dial(ctx, *t.Jump); err != nil {
			return nil, fmt.Errorf("through %s: %w", t.Jump.Host, err)
		}
	}
	raw, err := dialTCP(ctx, jump, t.Addr(), timeout)
	if err != nil {
		closeJump(jump)
		return nil, noSuchHost(t.Host, err)
	}
	// The handshake has its own deadline: a host that accepts TCP but never speaks SSH must
	// not hang the run. It stops while the user types a passphrase or password.
	_ = raw.SetDeadline(time.Now().Add(timeout))
	around := func(ask func() (string, error)) (string, error) {
		_ = raw.SetDeadline(time.Time{})
		defer raw.SetDeadline(time.Now().Add(timeout))
		return ask()
	}
	var at attempt
	cfg := &ssh.ClientConfig{
		User:            t.User,
		Auth:            auth.methods(t.User+"@"+t.Host, ownKeys, &at, around),
		HostKeyCallback: hostKeys.callback,
		// Only the algorithms of the keys known_hosts has for this host, as OpenSSH does.
		HostKeyAlgorithms: hostKeys.algorithms,
		Timeout:           timeout,
	}
	c, chans, reqs, err := ssh.NewClientConn(raw, t.Addr(), cfg)
	if err != nil {
		raw.Close()
		closeJump(jump)
		if neg := (*ssh.AlgorithmNegotiationError)(nil); errors.As(err, &neg) && neg.What == "host key" && len(hostKeys.known) > 0 {
			return nil, &HostKeyTypeError{Host: knownhostsName(t.Addr()), KnownHostsFile: t.KnownHostsFile, Known: hostKeys.known}
		}
		return nil, loginError(t, err, auth, &at)
	}
	_ = raw.SetDeadline(time.Time{})
	cl := &Client{conn: ssh.NewClient(c, chans, reqs), jump: jump, done: make(chan struct{})}
	go cl.keepAlive()
	return cl, nil
}

// dialTCP connects directly or through a jump host, retrying a refused connection twice
// (a host still booting), so a dead host fails in bounded time.
func dialTCP(ctx context.Context, jump *Client, addr string, timeout time.Duration) (net.Conn, error) {
	var conn net.Conn
	var err error
	tries := 0
	perr := poll.Until(ctx, 0, poll.Backoff{First: 300 * time.Millisecond, Max: time.Second, Factor: 2}, func(ctx context.Context) (bool, error) {
		tries++
		dctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		if jump != nil {
			conn, err = jump.conn.DialContext(dctx, "tcp", addr)
		} else {
			d := net.Dialer{Timeout: timeout}
			conn, err = d.DialContext(dctx, "tcp", addr)
		}
		return err == nil || !errors.Is(err, syscall.ECONNREFUSED) || tries == 3, nil
	})
	if perr != nil {
		return nil, perr
	}
	return conn, err
}

// NoSuchHostError is a node's name that does not resolve: bad input (exit 2), a typo far more
// often than a network fault, and never "does not answer".
type NoSuchHostError struct{ Host string }

func (e *NoSuchHostError) Error() string { return templates.Msg("ssh.nosuchhost", e.Host) }

// As makes it a failure.UsageError too.
func (e *NoSuchHostError) As(target any) bool {
	if u, ok := target.(**failure.UsageError); ok {
		*u = &failure.UsageError{Msg: e.Error()}
		return true
	}
	return false
}

// noSuchHost is err, or a NoSuchHostError when the resolver said the name does not exist, or
// an UnreachableError that says in the user's words what the connection met.
func noSuchHost(host string, err error) error {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		if dns.IsNotFound {
			return &NoSuchHostError{Host: host}
		}
		return err // the resolver's own trouble, not the machine's
	}
	var kind string
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		kind = "refused" // the machine answered: nothing listens on the port
	case errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH):
		kind = "noroute"
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		kind = "timeout"
	default:
		return err
	}
	return &UnreachableError{Addr: host, Kind: kind, Err: err}
}

// UnreachableError is a node whose SSH port could not be reached, by what the connection met:
// "refused" (the machine is up, nothing listens: sshd stopped, or on another port), "timeout"
// (no answer: switched off, or a firewall drops the port), "noroute".
type UnreachableError struct {
	Addr, Kind string
	Err        error
}

func (e *UnreachableError) Error() string {
	return templates.Msg("ssh.unreachable", map[string]string{"Addr": e.Addr, "Kind": e.Kind})
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// loginError says in one line which secret was wrong, or what was tried.
func loginError(t Target, err error, auth *Auth, at *attempt) error {
	var wrong *WrongSecretError
	if errors.As(err, &wrong) {
		return wrong
	}
	var person *NeedsPersonError
	if errors.As(err, &person) {
		return person
	}
	// x/crypto/ssh has no type for "every method refused"; its wording is fixed in
	// client_auth.go ("ssh: unable to authenticate, attempted methods ..."). Allow-listed in
	// the text-matching test.
	if strings.Contains(err.Error(), "ssh: unable to authenticate") {
		if at.passwordTries >= MaxTries {
			return &WrongSecretError{What: "password", For: t.User + "@" + t.Host}
		}
		return &LoginRefusedError{UserAtHost: t.User + "@" + t.Host, Tried: at.tried, Terminal: auth.AskPassword != nil}
	}
	return err
}

// LoginRefusedError is a host that answered and refused every way of logging in tried:
// Tried are the methods the server offered and swarmwiz tried, in order.
type LoginRefusedError struct {
	UserAtHost string
	Tried      []string
	Terminal   bool // passwords could be asked
}

func (e *LoginRefusedError) Error() string {
	return templates.Msg("ssh.refused", map[string]any{"Host": e.UserAtHost, "Tried": strings.Join(e.Tried, ", "),
		"Password": slices.Contains(e.Tried, "password") || slices.Contains(e.Tried, "keyboard-interactive"), "Terminal": e.Terminal})
}

func closeJump(j *Client) {
	if j != nil {
		j.Close()
	}
}

// keepAlive asks the peer every KeepAlive; a dead peer closes the connection, so commands
// on it fail instead of hanging.
func (c *Client) keepAlive() {
	tick := time.NewTicker(KeepAlive)
	defer tick.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-tick.C:
			if _, _, err := c.conn.SendRequest("keepalive@openssh.com", true, nil); err != nil {
				c.conn.Close()
				return
			}
		}
	}
}

// Run runs cmd in a new session on the shared connection. Cancelling ctx closes the session.
func (c *Client) Run(ctx context.Context, cmd string) (string, string, error) {
	return c.RunInput(ctx, cmd, "")
}

// RunInput is Run with stdin: how a secret reaches a command (sudo -S) without ever being
// on a command line.
func (c *Client) RunInput(ctx context.Context, cmd, stdin string) (string, string, error) {
	sess, err := c.session(ctx, false)
	if err != nil {
		return "", "", err
	}
	defer sess.Close()
	var out, errb bytes.Buffer
	sess.Stdout, sess.Stderr = &out, &errb
	if stdin != "" {
		sess.Stdin = strings.NewReader(stdin)
	}
	err = runWait(ctx, sess, cmd, errb.String)
	return out.String(), errb.String(), err
}

// runWait runs cmd on sess until it ends, or closes it when ctx ends first; a non-zero exit
// is a CommandError whose text is what stderr said.
func runWait(ctx context.Context, sess *ssh.Session, cmd string, stderr func() string) error {
	done := make(chan error, 1)
	go func() { done <- sess.Run(InCLocale(cmd)) }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		sess.Close()
		return ctx.Err()
	}
	var exit *ssh.ExitError
	if errors.As(err, &exit) {
		return &CommandError{Cmd: cmd, Status: exit.ExitStatus(), Stderr: stderr()}
	}
	return err
}

// session opens a session, with a raw terminal when pty is set (see ptyModes).
func (c *Client) session(ctx context.Context, pty bool) (*ssh.Session, error) {
	sess, err := c.newSession(ctx)
	if err != nil {
		return nil, err
	}
	if pty {
		if err := sess.RequestPty("dumb", 40, 500, ptyModes); err != nil {
			sess.Close()
			return nil, err
		}
	}
	return sess, nil
}

// PtyRunner runs a command with a terminal: what sudo wants where `Defaults requiretty` is set.
type PtyRunner interface {
	RunPty(ctx context.Context, cmd string) (string, error)
}

// ptyModes are a terminal in raw mode (as cfmakeraw makes one): nothing echoed, no line
// editing or signals, no CR or LF changed either way, eight bits: what a command reads and
// prints, an HTTP stream to docker included, passes as it is.
var ptyModes = ssh.TerminalModes{
	ssh.ECHO: 0, ssh.ECHONL: 0, ssh.ICANON: 0, ssh.ISIG: 0, ssh.IEXTEN: 0,
	ssh.PARMRK: 0, ssh.ISTRIP: 0, ssh.INLCR: 0, ssh.IGNCR: 0, ssh.ICRNL: 0, ssh.IXON: 0,
	ssh.OPOST: 0, ssh.CS8: 1, ssh.TTY_OP_ISPEED: 38400, ssh.TTY_OP_OSPEED: 38400,
}

// RunPty runs cmd with a terminal; its stdout and stderr are one stream there, returned as
// its output (and as the error's text when it fails).
func (c *Client) RunPty(ctx context.Context, cmd string) (string, error) {
	sess, err := c.session(ctx, true)
	if err != nil {
		return "", err
	}
	defer sess.Close()
	var out bytes.Buffer
	sess.Stdout = &out
	err = runWait(ctx, sess, cmd, out.String)
	return out.String(), err
}

// newSession opens a session, or gives up when ctx ends.
func (c *Client) newSession(ctx context.Context) (*ssh.Session, error) {
	return untilDone(ctx, c.conn.NewSession)
}

// untilDone runs open, or gives up when ctx ends: on a connection whose peer went away
// without closing it (a machine switched off), a channel request waits until the keepalive
// notices, which a caller with a deadline must not. What open returns after that is closed.
func untilDone[T io.Closer](ctx context.Context, open func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := open()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.err == nil {
				r.v.Close()
			}
		}()
		var zero T
		return zero, ctx.Err()
	}
}

// InCLocale makes cmd run with messages in English and C formats, whatever the node's
// login environment says (LANG=ko_KR.UTF-8 on a Korean server): swarmwiz reads what
// commands print ("Connection refused", "Status: active", sudo's complaints), and that text
// is translated in other locales. LC_ALL=C also makes gettext ignore LANGUAGE.
func InCLocale(cmd string) string { return "LC_ALL=C; export LC_ALL; " + cmd }

// Close ends the connection, and the one it went through.
func (c *Client) Close() error {
	select {
	case <-c.done:
	default:
		close(c.done)
	}
	err := c.conn.Close()
	closeJump(c.jump)
	return err
}

// UnixDialer is a Runner that can also reach a unix socket on the node (OpenSSH's
// streamlocal forwarding), such as the docker daemon's.
type UnixDialer interface {
	DialUnix(ctx context.Context, path string) (net.Conn, error)
}

// DialUnix opens a connection to the unix socket path on the node, through the SSH
// connection. sshd may refuse it (AllowStreamLocalForwarding no, or no access to the socket).
func (c *Client) DialUnix(ctx context.Context, path string) (net.Conn, error) {
	return untilDone(ctx, func() (net.Conn, error) { return c.conn.Dial("unix", path) })
}

// TCPDialer is a Runner that can also open a TCP connection from the node (OpenSSH's
// direct-tcpip forwarding): what the node reaches, seen from the node, without starting a
// process there.
type TCPDialer interface {
	DialTCP(ctx context.Context, addr string) (net.Conn, error)
}

// DialTCP connects, from the node, to addr (host:port). sshd may refuse to
// (AllowTcpForwarding no): then the error is an *ssh.OpenChannelError with the reason
// ssh.Prohibited. A connection the node could not make is one with ssh.ConnectionFailed and
// sshd's words ("Connection refused", "No route to host").
func (c *Client) DialTCP(ctx context.Context, addr string) (net.Conn, error) {
	return untilDone(ctx, func() (net.Conn, error) { return c.conn.DialContext(ctx, "tcp", addr) })
}

// ValidHost says whether host can name a node: an IP address, or a host name or ssh_config
// alias of letters, digits, dots, hyphens and underscores that does not start with a hyphen
// (which a program would read as an option). Every place a host is given goes through it.
func ValidHost(host string) bool {
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	if host == "" || len(host) > 253 || host[0] == '-' || host[0] == '.' {
		return false
	}
	for _, r := range host {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
