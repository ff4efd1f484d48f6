package secrets

import (
	"context"
	"errors"
	"strings"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/steps/prelude"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// RotateTokens gives the swarm new join tokens (both unless one is named), as a workshop
// should once its tokens have been on a projector: the old ones stop working at once, and
// nodes already joined are not affected. With UnlockKey it also rotates an autolocked swarm's
// unlock key, kept as create keeps the first one.
type RotateTokens struct {
	Manager, Worker, UnlockKey bool
	KeyFile                    string
}

func (RotateTokens) Title() string { return msg("rotate.title", nil) }

func (r RotateTokens) Run(ctx context.Context, env *wizard.Env, st *wizard.State) error {
	mgr := prelude.ManagerOf(st)
	if mgr == nil || !mgr.Facts.Swarm.ControlAvailable {
		return errors.New(msg("nodes.nomanager", nil))
	}
	if r.UnlockKey {
		var sw struct {
			Spec struct {
				EncryptionConfig struct{ AutoLockManagers bool }
			}
		}
		if err := mgr.Docker().Get(ctx, "/swarm", &sw); err != nil {
			return env.NodeErr(mgr, docker.Cmd("swarm-inspect", nil), err)
		}
		if !sw.Spec.EncryptionConfig.AutoLockManagers {
			return failure.Usagef("%s", msg("rotate.key.noautolock", nil))
		}
	}
	roles := []string{"manager", "worker"} // both, unless one alone is named
	if r.Manager && !r.Worker {
		roles = roles[:1]
	} else if r.Worker && !r.Manager {
		roles = roles[1:]
	}
	tokens := map[string]string{}
	for _, role := range roles {
		out, err := env.Change(ctx, st, mgr, docker.Cmd("join-token-rotate", role), msg("rotate.why", role), msg("rotate.done", role))
		if err != nil {
			return err
		}
		tokens[role] = env.Mask(strings.TrimSpace(out))
	}
	if !env.DryRun {
		say(env, "rotate.tokens", map[string]string{"Manager": tokens["manager"], "Worker": tokens["worker"]})
	}
	if r.UnlockKey {
		out, err := env.Change(ctx, st, mgr, docker.Cmd("unlock-key-rotate", nil), msg("rotate.key.why", nil), "")
		if err != nil || env.DryRun {
			return err
		}
		st.UnlockKeyFile = r.KeyFile
		return KeepUnlockKey(env, st, mgr, strings.TrimSpace(out))
	}
	return nil
}
