package secrets

import (
	"context"
	"errors"
	"os"
	"strings"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/internal/private"
	"github.com/swarmwiz/swarmwiz/steps/prelude"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// UnlockKey is an autolocked swarm's unlock key, asked of a manager's docker API: the key
// travels in an API response over SSH, never on a command line or in a log.
func UnlockKey(ctx context.Context, n *wizard.Node) (string, error) {
	var r struct{ UnlockKey string }
	if err := n.Docker().Get(ctx, "/swarm/unlockkey", &r); err != nil {
		return "", err
	}
	return r.UnlockKey, nil
}

// KeepUnlockKey shows a new unlock key once and keeps it where the user says: the file of
// --unlock-key-file (or the plan's unlockKeyFile), written 0600, or, on a terminal, the key
// shown in full this once, then a file if the user names one. It is never printed again.
func KeepUnlockKey(env *wizard.Env, st *wizard.State, n *wizard.Node, key string) error {
	env.Teach(n, docker.Cmd("unlock-key", nil), msg("autolock.key.why", nil), docker.MaskToken(key))
	if !env.Quiet {
		say(env, "autolock.explain", nil)
	}
	if st.UnlockKeyFile != "" {
		if err := writeSecret(st.UnlockKeyFile, key); err != nil {
			return &failure.NodeError{Node: n.Name(), Err: err}
		}
		say(env, "autolock.saved", st.UnlockKeyFile)
		return nil
	}
	if !env.Interactive {
		// Checked before anything changed (InitChoices); here only if a caller forgot.
		return errors.New(msg("autolock.nofile", nil))
	}
	say(env, "autolock.key", key)
	path, err := env.Prompter.Input(msg("autolock.file.question", nil), msg("autolock.file.help", nil), "", nil)
	if err != nil {
		return err
	}
	if path = strings.TrimSpace(path); path != "" {
		if err := writeSecret(path, key); err != nil {
			return err
		}
		say(env, "autolock.saved", path)
	}
	return nil
}

// writeSecret writes a secret to path, mode 0600 (an existing file is tightened too).
func writeSecret(path, secret string) error { return private.WriteFile(path, []byte(secret+"\n")) }

// Unlock unlocks every locked manager of an autolocked swarm with the unlock key, asked at a
// prompt (never echoed) or read from --unlock-key-file; the key goes to each manager's docker
// API in a request body, never on a command line.
type Unlock struct {
	KeyFile string
}

func (Unlock) Title() string { return msg("unlock.title", nil) }

func (u Unlock) Run(ctx context.Context, env *wizard.Env, st *wizard.State) error {
	var locked []*wizard.Node
	for _, n := range st.Nodes {
		if n.Conn != nil && n.Facts.Swarm.LocalNodeState == "locked" {
			locked = append(locked, n)
		}
	}
	if len(locked) == 0 {
		return failure.Usagef("%s", msg("unlock.none", nil))
	}
	say(env, "unlock.found", names(locked))
	var key string
	switch {
	case u.KeyFile != "":
		b, err := os.ReadFile(u.KeyFile)
		if err != nil {
			return failure.Usagef("--unlock-key-file: %v", err)
		}
		key = strings.TrimSpace(string(b))
	default:
		if err := prelude.NeedTerminal(env, "--unlock-key-file FILE"); err != nil {
			return err
		}
		var err error
		if key, err = env.Prompter.Password(msg("unlock.question", nil), msg("unlock.help", nil)); err != nil {
			return err
		}
		key = strings.TrimSpace(key)
	}
	for _, n := range locked {
		if err := env.ChangeBy(ctx, st, n, docker.Cmd("swarm-unlock", nil), msg("unlock.why", nil), msg("unlock.done", n.Name()),
			func(ctx context.Context) error {
				return n.Docker().Post(ctx, "/swarm/unlock", map[string]string{"UnlockKey": key}, nil)
			}); err != nil {
			return err
		}
		n.Facts.Swarm.LocalNodeState = "active"
	}
	return nil
}

func names(nodes []*wizard.Node) string {
	var out []string
	for _, n := range nodes {
		out = append(out, n.Name())
	}
	return strings.Join(out, ", ")
}
