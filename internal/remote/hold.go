package remote

import (
	"bufio"
	"context"
	"errors"
	"io"

	"golang.org/x/crypto/ssh"

	"github.com/swarmwiz/swarmwiz/templates"
)

// Starter starts a command that runs for as long as its caller holds it: the lock a run keeps
// on a node while it changes it.
type Starter interface {
	Start(ctx context.Context, cmd, stdin string) (*Held, error)
}

// Held is a command still running: what it prints, line by line, and Release, which ends it
// (its stdin closes, its session with it). When this process dies the connection closes and
// the command ends the same way.
type Held struct {
	Out     *bufio.Reader
	In      io.Writer // the command's stdin, open until CloseInput
	closeIn func()
	release func()
}

// Release ends the command.
func (h *Held) Release() { h.release() }

// CloseInput closes the command's stdin only: one that ends at the end of its input then
// says its last words on Out before the session closes.
func (h *Held) CloseInput() { h.closeIn() }

// Start runs cmd in a new session, writes stdin to it and leaves its stdin open.
func (c *Client) Start(ctx context.Context, cmd, stdin string) (*Held, error) {
	return c.start(ctx, cmd, stdin, false)
}

// StartPty is Start with a terminal (see RunPty).
func (c *Client) StartPty(ctx context.Context, cmd string) (*Held, error) {
	return c.start(ctx, cmd, "", true)
}

func (c *Client) start(ctx context.Context, cmd, stdin string, pty bool) (*Held, error) {
	sess, err := c.session(ctx, pty)
	if err != nil {
		return nil, err
	}
	in, out, err := startPiped(sess, cmd, stdin)
	if err != nil {
		sess.Close()
		return nil, err
	}
	return &Held{Out: bufio.NewReader(out), In: in, closeIn: func() { in.Close() }, release: func() { in.Close(); sess.Close() }}, nil
}

// startPiped starts cmd on sess with its stdin and stdout as pipes, writing stdin first; the
// caller closes sess on an error.
func startPiped(sess *ssh.Session, cmd, stdin string) (io.WriteCloser, io.Reader, error) {
	in, err1 := sess.StdinPipe()
	out, err2 := sess.StdoutPipe()
	if err := errors.Join(err1, err2); err != nil {
		return nil, nil, err
	}
	if err := sess.Start(InCLocale(cmd)); err != nil {
		return nil, nil, err
	}
	if stdin != "" {
		if _, err := io.WriteString(in, stdin); err != nil {
			return nil, nil, err
		}
	}
	return in, out, nil
}

// Start runs cmd as root through sudo and holds it; the password, when there is one, is the
// first line of its stdin, as in Run.
func (s *Sudo) Start(ctx context.Context, cmd, stdin string) (*Held, error) {
	if s.TTY {
		p, ok := s.Inner.(interface {
			StartPty(ctx context.Context, cmd string) (*Held, error)
		})
		if !ok || stdin != "" {
			return nil, errors.ErrUnsupported
		}
		return p.StartPty(ctx, "sudo -n sh -c "+templates.Quote(InCLocale(cmd)))
	}
	inner, ok := s.Inner.(Starter)
	if !ok {
		return nil, errors.ErrUnsupported
	}
	if s.Password == "" {
		return inner.Start(ctx, "sudo -n sh -c "+templates.Quote(InCLocale(cmd)), stdin)
	}
	return inner.Start(ctx, "sudo -S -p '' sh -c "+templates.Quote(InCLocale(cmd)), s.Password+"\n"+stdin)
}
