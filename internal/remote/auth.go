package remote

import (
	"github.com/swarmwiz/swarmwiz/templates"

	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// MaxTries bounds how often one secret is asked for: a wrong password three times is where
// many servers start locking accounts, so swarmwiz stops there.
const MaxTries = 3

// Auth is how a run logs in, shared by all its connections so that each passphrase and the
// password are asked for at most once when they are right. It tries, in order: ssh-agent,
// the key files (asking for the passphrase of an encrypted one), then a password.
type Auth struct {
	Agent    bool     // use SSH_AUTH_SOCK when set
	KeyFiles []string // explicit keys; none: ~/.ssh/id_ed25519, id_ecdsa, id_rsa that exist
	// AskPassphrase and AskPassword prompt the user; nil means never prompt (no terminal).
	AskPassphrase func(keyFile string) (string, error)
	AskPassword   func(userAtHost string) (string, error)
	// AskPrompt asks a question the server puts through keyboard-interactive (a one-time
	// code, after the password), shown as the server wrote it; echo says it may be shown
	// as typed. nil: such questions cannot be answered.
	AskPrompt func(userAtHost, question string, echo bool) (string, error)

	mu       sync.Mutex
	signers  []ssh.Signer
	loaded   bool
	loadErr  error
	extra    map[string]ssh.Signer // per-host keys (ssh_config IdentityFile), by path
	password string
}

// DefaultKeyFiles are the keys ssh itself tries, where they exist.
func DefaultKeyFiles() []string {
	home, _ := os.UserHomeDir()
	var out []string
	for _, k := range []string{"id_ed25519", "id_ecdsa", "id_rsa"} {
		if p := filepath.Join(home, ".ssh", k); fileExists(p) {
			out = append(out, p)
		}
	}
	return out
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// WrongSecretError is a passphrase or password refused MaxTries times.
type WrongSecretError struct{ What, For string }

func (e *WrongSecretError) Error() string {
	return templates.Msg("ssh.wrongsecret", map[string]any{"What": e.What, "For": e.For, "Tries": MaxTries})
}

// NeedsPersonError is a server that asks, through keyboard-interactive, what only a person can
// answer, off a terminal: a login refused for want of a person, not a host that is down.
type NeedsPersonError struct{ UserAtHost, Question string }

func (e *NeedsPersonError) Error() string {
	return templates.Msg("ssh.kbdint.noterm", map[string]string{"Host": e.UserAtHost, "Question": e.Question})
}

// prompter wraps a question to the user: the connection's handshake deadline must not run
// while a person types.
type prompter func(ask func() (string, error)) (string, error)

// attempt is what one connection's login tried: the server offers a method only where its
// callback ran (x/crypto/ssh skips the methods the server does not list).
type attempt struct {
	passwordTries    int
	tried            []string // "publickey", "password", "keyboard-interactive", in order
	passwordQuestion string   // keyboard-interactive's question for the password
}

func (at *attempt) note(method string) {
	if !slices.Contains(at.tried, method) {
		at.tried = append(at.tried, method)
	}
}

// methods are the auth methods for one connection to userAtHost; hostKeys are keys for
// that host alone, tried first.
func (a *Auth) methods(userAtHost string, hostKeys []string, at *attempt, around prompter) []ssh.AuthMethod {
	passwordTries := &at.passwordTries
	m := []ssh.AuthMethod{ssh.PublicKeysCallback(func() ([]ssh.Signer, error) {
		at.note("publickey")
		own, err := a.hostSigners(hostKeys, around)
		if err != nil {
			return nil, err
		}
		run, err := a.publicKeys(around)
		if err != nil && len(own) == 0 {
			return nil, err
		}
		return append(own, run...), nil
	})}
	if a.AskPassword != nil {
		m = append(m, ssh.RetryableAuthMethod(ssh.PasswordCallback(func() (string, error) {
			at.note("password")
			*passwordTries++
			return a.passwordFor(userAtHost, *passwordTries, around)
		}), MaxTries))
	}
	// Keyboard-interactive: how servers that take passwords through PAM only ask for one
	// (PasswordAuthentication no, common on RHEL-family servers). The connection's first hidden
	// question is the password's (typed once for the whole run), and so is the same question
	// asked again; any other (a one-time code) is put to the user as the server wrote it.
	m = append(m, ssh.RetryableAuthMethod(ssh.KeyboardInteractive(func(_, instruction string, questions []string, echos []bool) ([]string, error) {
		at.note("keyboard-interactive")
		answers := make([]string, len(questions))
		for i, q := range questions {
			if !echos[i] && at.passwordQuestion == "" {
				at.passwordQuestion = q
			}
			var err error
			switch {
			case !echos[i] && q == at.passwordQuestion && a.AskPassword != nil:
				*passwordTries++
				answers[i], err = a.passwordFor(userAtHost, *passwordTries, around)
			case a.AskPrompt != nil:
				answers[i], err = around(func() (string, error) { return a.AskPrompt(userAtHost, strings.TrimSpace(instruction+" "+q), echos[i]) })
			default:
				return nil, &NeedsPersonError{UserAtHost: userAtHost, Question: strings.TrimSpace(q)}
			}
			if err != nil {
				return nil, err
			}
		}
		return answers, nil
	}), MaxTries))
	return m
}

func (a *Auth) hostSigners(files []string, around prompter) ([]ssh.Signer, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []ssh.Signer
	for _, f := range files {
		s, ok := a.extra[f]
		if !ok {
			var err error
			if s, err = a.loadKey(f, around); err != nil {
				return nil, err
			}
			if a.extra == nil {
				a.extra = map[string]ssh.Signer{}
			}
			a.extra[f] = s
		}
		out = append(out, s)
	}
	return out, nil
}

// publicKeys are the agent's keys, then the key files', decrypted once for the whole run.
func (a *Auth) publicKeys(around prompter) ([]ssh.Signer, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.loaded {
		a.signers, a.loadErr = a.load(around)
		a.loaded = true
	}
	return a.signers, a.loadErr
}

func (a *Auth) load(around prompter) ([]ssh.Signer, error) {
	var signers []ssh.Signer
	if sock := agentAddr(os.Getenv); a.Agent && sock != "" {
		if conn, err := dialAgent(sock); err == nil {
			// The agent connection stays open: it signs during each handshake.
			if s, err := agent.NewClient(conn).Signers(); err == nil {
				signers = append(signers, s...)
			}
		}
	}
	files := a.KeyFiles
	if len(files) == 0 {
		files = DefaultKeyFiles()
	}
	for _, f := range files {
		s, err := a.loadKey(f, around)
		if err != nil {
			return nil, err
		}
		signers = append(signers, s)
	}
	if len(signers) == 0 && a.AskPassword == nil {
		return nil, errors.New(templates.Msg("ssh.nokey", nil))
	}
	return signers, nil
}

// loadKey reads one private key, asking for its passphrase when it has one.
func (a *Auth) loadKey(file string, around prompter) (ssh.Signer, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read key: %w", err)
	}
	s, err := ssh.ParsePrivateKey(pem)
	var missing *ssh.PassphraseMissingError
	if !errors.As(err, &missing) {
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", file, err)
		}
		return s, nil
	}
	if a.AskPassphrase == nil {
		return nil, errors.New(templates.Msg("ssh.passphrase.noterm", file))
	}
	for try := 0; try < MaxTries; try++ {
		pass, err := around(func() (string, error) { return a.AskPassphrase(file) })
		if err != nil {
			return nil, err
		}
		s, err := ssh.ParsePrivateKeyWithPassphrase(pem, []byte(pass))
		if err == nil {
			return s, nil
		}
	}
	return nil, &WrongSecretError{What: "passphrase", For: file}
}

// passwordFor is the run's password: asked once, reused for every host, asked again on a
// host that refuses it.
func (a *Auth) passwordFor(userAtHost string, try int, around prompter) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if try == 1 && a.password != "" {
		return a.password, nil
	}
	p, err := around(func() (string, error) { return a.AskPassword(userAtHost) })
	if err != nil {
		return "", err
	}
	a.password = p
	return p, nil
}
