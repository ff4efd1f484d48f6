package remote

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// DockerSocket is where the docker daemon listens on a node.
const DockerSocket = "/var/run/docker.sock"

// DialStdio is the command that connects its stdin and stdout to the node's docker daemon:
// the docker client's own way of reaching a daemon over ssh (Docker 18.09 and later).
const DialStdio = "docker system dial-stdio"

// DockerDialer opens connections to the node's docker daemon over the SSH connection r
// already has: the socket forwarded directly where sshd and the user's rights allow
// (streamlocal, as root), otherwise `docker system dial-stdio` run on the node, through sudo
// for a user who needs it. Either way nothing sent (a join token) is on a command line.
func DockerDialer(r Runner) func(ctx context.Context) (net.Conn, error) {
	return func(ctx context.Context) (net.Conn, error) {
		switch c := r.(type) {
		case DockerConnector:
			return c.DockerConn(ctx)
		case *Client:
			if conn, err := c.DialUnix(ctx, DockerSocket); err == nil {
				return conn, nil
			}
			return c.Stdio(ctx, DialStdio, "")
		case *Sudo:
			cl, ok := c.Inner.(stdioRunner)
			if !ok {
				return nil, errors.New("no docker connection through this runner")
			}
			if c.TTY {
				p, ok := c.Inner.(interface {
					StdioPty(ctx context.Context, cmd string) (net.Conn, error)
				})
				if !ok {
					return nil, errors.New("no docker connection through this runner")
				}
				return p.StdioPty(ctx, "sudo -n "+DialStdio)
			}
			if c.Password == "" {
				return cl.Stdio(ctx, "sudo -n "+DialStdio, "")
			}
			// sudo reads the password line from stdin, then hands the rest to docker. -k: a
			// password sudo remembers from an earlier command must not go unread to docker.
			return cl.Stdio(ctx, "sudo -k -S -p '' "+DialStdio, c.Password+"\n")
		case stdioRunner:
			return c.Stdio(ctx, DialStdio, "")
		}
		return nil, errors.New("no docker connection through this runner")
	}
}

// DockerConnector is a Runner with its own way to the daemon (the unit tests' fake node).
type DockerConnector interface {
	DockerConn(ctx context.Context) (net.Conn, error)
}

type stdioRunner interface {
	Stdio(ctx context.Context, cmd, preamble string) (net.Conn, error)
}

// Stdio runs cmd on the node and returns its stdin and stdout as one connection; preamble is
// written to its stdin first (a sudo password). Closing the connection ends the command.
func (c *Client) Stdio(ctx context.Context, cmd, preamble string) (net.Conn, error) {
	return c.stdio(ctx, cmd, preamble, false)
}

// StdioPty is Stdio with a terminal in raw mode (every byte passes as it is): for sudo that
// wants a terminal (requiretty). The terminal's one stream carries what stderr would say.
func (c *Client) StdioPty(ctx context.Context, cmd string) (net.Conn, error) {
	return c.stdio(ctx, cmd, "", true)
}

func (c *Client) stdio(ctx context.Context, cmd, preamble string, pty bool) (net.Conn, error) {
	sess, err := c.session(ctx, pty)
	if err != nil {
		return nil, err
	}
	stderr := &tailBuffer{}
	sess.Stderr = stderr
	in, out, err := startPiped(sess, cmd, preamble)
	if err != nil {
		sess.Close()
		return nil, err
	}
	return &stdioConn{sess: sess, in: in, out: out, stderr: stderr}, nil
}

// stdioConn is a command's stdin and stdout as a net.Conn, for an HTTP client.
type stdioConn struct {
	sess   *ssh.Session
	in     io.WriteCloser
	out    io.Reader
	stderr *tailBuffer
	once   sync.Once
}

func (s *stdioConn) Read(p []byte) (int, error) {
	n, err := s.out.Read(p)
	if err == io.EOF && n == 0 {
		// The command ended: what it said on stderr is the reason (sudo, an old docker).
		if msg := strings.TrimSpace(s.stderr.String()); msg != "" {
			return 0, errors.New(lastLine(msg))
		}
	}
	return n, err
}

func (s *stdioConn) Write(p []byte) (int, error) { return s.in.Write(p) }

func (s *stdioConn) Close() error {
	s.once.Do(func() {
		s.in.Close()
		s.sess.Close()
	})
	return nil
}

func (s *stdioConn) LocalAddr() net.Addr              { return stdioAddr{} }
func (s *stdioConn) RemoteAddr() net.Addr             { return stdioAddr{} }
func (s *stdioConn) SetDeadline(time.Time) error      { return nil }
func (s *stdioConn) SetReadDeadline(time.Time) error  { return nil }
func (s *stdioConn) SetWriteDeadline(time.Time) error { return nil }
func (stdioAddr) Network() string                     { return "stdio" }
func (stdioAddr) String() string                      { return DialStdio }

type stdioAddr struct{}

// tailBuffer keeps the last few KiB a command writes to stderr.
type tailBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > 4096 {
		t.b = t.b[len(t.b)-4096:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

func lastLine(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[i+1:])
	}
	return s
}
