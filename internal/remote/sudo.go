package remote

import (
	"context"
	"errors"
	"strings"

	"github.com/swarmwiz/swarmwiz/templates"
)

// InputRunner runs a command with stdin.
type InputRunner interface {
	Runner
	RunInput(ctx context.Context, cmd, stdin string) (string, string, error)
}

// Sudo runs every command through sudo, for a user who may not use docker directly. With a
// password it uses `sudo -S -p ”` and writes the password to sudo's stdin: never on a
// command line (where `ps` shows it), never in a file or a log.
type Sudo struct {
	Inner    InputRunner
	Password string // "": passwordless sudo (sudo -n)
	// TTY: sudo wants a terminal (Defaults requiretty, CentOS 7's default); passwordless only,
	// since a password typed into a terminal could be echoed.
	TTY bool
}

// Run runs cmd as root through sudo.
func (s *Sudo) Run(ctx context.Context, cmd string) (string, string, error) {
	if s.TTY {
		p, ok := s.Inner.(PtyRunner)
		if !ok {
			return "", "", errors.ErrUnsupported
		}
		out, err := p.RunPty(ctx, "sudo -n sh -c "+templates.Quote(InCLocale(cmd)))
		return out, "", err
	}
	if s.Password == "" {
		return s.Inner.Run(ctx, "sudo -n sh -c "+templates.Quote(InCLocale(cmd)))
	}
	out, errOut, err := s.Inner.RunInput(ctx, "sudo -S -p '' sh -c "+templates.Quote(InCLocale(cmd)), s.Password+"\n")
	if err != nil && IsWrongSudoPassword(errOut) {
		return out, errOut, ErrWrongSudoPassword
	}
	return out, errOut, err
}

// Close closes the connection underneath.
func (s *Sudo) Close() error { return s.Inner.Close() }

// DialUnix is not offered through sudo: the docker socket is root's.
var _ Runner = (*Sudo)(nil)

// ErrWrongSudoPassword is sudo refusing the password, told apart from a docker failure.
var ErrWrongSudoPassword = templates.Sentence("sudo.wrong.err")

// IsWrongSudoPassword reads sudo's complaint on stderr.
func IsWrongSudoPassword(stderr string) bool {
	return strings.Contains(stderr, "incorrect password") || strings.Contains(stderr, "Sorry, try again")
}

// SudoMode says how a user runs docker on a node: "direct", "sudo-n" (passwordless sudo),
// "sudo-password", "sudo-tty" (passwordless sudo, but only with a terminal: requiretty), or
// "none" (no sudo at all). sudo that wants a terminal and a password is refused with the fix:
// swarmwiz types no password into a terminal, where it could be echoed.
func SudoMode(ctx context.Context, r Runner) (string, error) {
	out, _, err := r.Run(ctx, SudoModeScript())
	if err != nil {
		return "", err
	}
	mode := strings.TrimSpace(out)
	switch mode {
	case "none":
		return mode, errors.New(templates.Msg("sudo.none", nil))
	case "requiretty":
		p, ok := r.(PtyRunner)
		if !ok {
			return mode, errors.New(templates.Msg("sudo.requiretty", nil))
		}
		if _, err := p.RunPty(ctx, "sudo -n true"); err != nil {
			return mode, errors.New(templates.Msg("sudo.requiretty", nil))
		}
		return "sudo-tty", nil
	}
	return mode, nil
}

// SudoModeScript is the read-only script that tells how this user may run docker.
func SudoModeScript() string { return templates.MustRender("sudo-mode.sh.tmpl", nil) }

// CheckSudoPassword tries the password once with a harmless `sudo -S true`.
func CheckSudoPassword(ctx context.Context, r InputRunner, password string) error {
	_, errOut, err := r.RunInput(ctx, "sudo -S -p '' true", password+"\n")
	if err != nil && IsWrongSudoPassword(errOut) {
		return ErrWrongSudoPassword
	}
	return err
}
