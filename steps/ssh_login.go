package steps

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"

	"golang.org/x/crypto/ssh"

	"github.com/swarmwiz/swarmwiz/wizard"
)

// SSHLogin asks how to log in to the nodes: user and key. A lab brings its own.
type SSHLogin struct{}

func (SSHLogin) Title() string { return msg("ssh.title", nil) }

func (SSHLogin) Skip(st *wizard.State) bool {
	return st.SSH.User != "" && len(st.SSH.KeyFiles) > 0 && st.SSH.KnownHosts != ""
}

func (SSHLogin) Run(_ context.Context, env *wizard.Env, st *wizard.State) error {
	home, _ := os.UserHomeDir()
	if st.SSH.KnownHosts == "" {
		st.SSH.KnownHosts = filepath.Join(home, ".ssh", "known_hosts")
	}
	if st.SSH.User == "" {
		if err := needTerminal(env, "--ssh-user USER"); err != nil {
			return err
		}
		def := "root"
		if u, err := user.Current(); err == nil {
			def = u.Username
		}
		name, err := env.Prompter.Input(msg("ssh.user.question", nil), msg("ssh.user.help", nil), def, func(s string) error {
			if s == "" {
				return errors.New("give a user name, like root or admin")
			}
			return nil
		})
		if err != nil {
			return err
		}
		st.SSH.User = name
	}
	if len(st.SSH.KeyFiles) == 0 {
		if err := needTerminal(env, "--ssh-key FILE"); err != nil {
			return err
		}
		def := ""
		for _, k := range []string{"id_ed25519", "id_ecdsa", "id_rsa"} {
			if p := filepath.Join(home, ".ssh", k); fileExists(p) {
				def = p
				break
			}
		}
		key, err := env.Prompter.Input(msg("ssh.key.question", nil), msg("ssh.key.help", nil), def, CheckKeyFile)
		if err != nil {
			return err
		}
		st.SSH.KeyFiles = []string{key}
	}
	return nil
}

// CheckKeyFile says whether path holds a private key swarmwiz can use.
func CheckKeyFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("cannot read %q: give the path of your private key, like ~/.ssh/id_ed25519", path)
	}
	if _, err := ssh.ParsePrivateKey(b); err != nil {
		var pp *ssh.PassphraseMissingError
		if errors.As(err, &pp) {
			return fmt.Errorf("%s is protected by a passphrase: load it into ssh-agent, or give a key without one", path)
		}
		return fmt.Errorf("%s is not a private key (%v): give a file like ~/.ssh/id_ed25519, not the .pub one", path, err)
	}
	return nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
