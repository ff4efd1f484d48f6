package prelude

import (
	"context"
	"errors"
	"os"
	"os/user"

	"golang.org/x/crypto/ssh"

	"github.com/swarmwiz/swarmwiz/internal/remote"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// SSHLogin asks how to log in to the nodes: user and key. A lab brings its own.
type SSHLogin struct{}

func (SSHLogin) Title() string { return Msg("ssh.title", nil) }

func (SSHLogin) Skip(st *wizard.State) bool {
	return st.SSH.User != "" && (len(st.SSH.KeyFiles) > 0 || st.LabName != "")
}

// everyNodeHasUser says whether every node was given as user@host: then no user is asked.
func everyNodeHasUser(st *wizard.State) bool {
	for _, n := range st.Nodes {
		if n.User == "" {
			return false
		}
	}
	return len(st.Nodes) > 0
}

// Run fills in what is missing the way ssh does: the current user, and ssh-agent plus the
// usual keys; on a terminal it asks, with those as the defaults.
func (SSHLogin) Run(_ context.Context, env *wizard.Env, st *wizard.State) error {
	def := "root"
	if u, err := user.Current(); err == nil {
		def = u.Username
	}
	if st.SSH.User == "" {
		st.SSH.User = def
		if env.Interactive && !everyNodeHasUser(st) {
			name, err := env.Prompter.Input(Msg("ssh.user.question", nil), Msg("ssh.user.help", nil), def, func(s string) error {
				if s == "" {
					return errors.New(Msg("ssh.user.empty", nil))
				}
				return nil
			})
			if err != nil {
				return err
			}
			st.SSH.User = name
		}
	}
	if len(st.SSH.KeyFiles) == 0 && env.Interactive {
		keyDef := ""
		if keys := remote.DefaultKeyFiles(); len(keys) > 0 {
			keyDef = keys[0]
		}
		key, err := env.Prompter.Input(Msg("ssh.key.question", nil), Msg("ssh.key.help", nil), keyDef, func(s string) error {
			if s == "" {
				return nil
			}
			return CheckKeyFile(s)
		})
		if err != nil {
			return err
		}
		if key != "" {
			st.SSH.KeyFiles = []string{key}
		}
	}
	return nil
}

// CheckKeyFile says whether path holds a private key swarmwiz can use.
func CheckKeyFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return errors.New(Msg("ssh.key.unreadable", path))
	}
	if _, err := ssh.ParsePrivateKey(b); err != nil {
		var pp *ssh.PassphraseMissingError
		if errors.As(err, &pp) {
			return nil // its passphrase is asked when it is needed
		}
		return errors.New(Msg("ssh.key.notkey", map[string]string{"Path": path, "Err": err.Error()}))
	}
	return nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
