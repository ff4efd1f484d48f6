// Command swarmwiz walks a first-time user through building a Docker Swarm cluster over SSH.
// main only parses flags, builds the Env and hands over; the work is in steps/ and internal/.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/templates"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// version is set at build time by the Makefile.
var version = "dev"

func main() {
	code := run(os.Args[1:])
	os.Exit(code)
}

func run(args []string) int {
	// The first Ctrl-C cancels the context: steps stop, say what was done, and we exit 130.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := wizard.NewEnv(ctx)
	env.Version = version
	env.Self, _ = os.Executable()
	if env.Interactive {
		// An interrupted prompt may leave the terminal in raw mode; put it back as it was.
		if saved, err := term.GetState(int(os.Stdin.Fd())); err == nil {
			defer term.Restore(int(os.Stdin.Fd()), saved)
		}
	}
	return execute(ctx, env, args, wizard.Run)
}

// flowRunner runs a flow of steps: wizard.Run, or a test's stand-in that records the State
// the flags made (the seam cli/cli keeps with its runF).
type flowRunner func(ctx context.Context, env *wizard.Env, st *wizard.State, flow []wizard.Step) error

// execute parses args into a command, runs it, and turns its outcome into an exit code and
// one line on stderr.
func execute(ctx context.Context, env *wizard.Env, args []string, run flowRunner) int {
	lang := templates.LangFromEnv(os.Getenv)
	if l, ok := langFromArgs(args); ok {
		lang = l
	}
	templates.SetLang(lang)
	root := newRoot(env, run)
	root.SetArgs(args)
	root.SetOut(env.Out)
	root.SetErr(env.Err)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	if ctx.Err() != nil {
		err = errors.Join(failure.ErrInterrupted, err)
	}
	code := failure.Code(err)
	if code == failure.ExitInterrupted {
		if env.Interactive {
			// A prompt or spinner may have hidden the cursor: give it back.
			fmt.Fprint(env.Err, "\033[?25h")
		}
		env.Errorln("\nswarmwiz:", failure.ErrInterrupted)
	} else if shown := (*failure.ShownError)(nil); !errors.As(err, &shown) {
		env.Errorln("swarmwiz:", err)
	}
	return code
}

func newRoot(env *wizard.Env, run flowRunner) *cobra.Command {
	root := &cobra.Command{
		Use:           "swarmwiz",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          noArgs,
	}
	// Flag mistakes are bad input: exit 2 with cobra's one-line reason.
	root.SetFlagErrorFunc(flagError)
	create := newCreate(env, run)
	// `swarmwiz` alone is `swarmwiz create`: the wizard is the product.
	root.RunE = create.RunE
	root.Flags().AddFlagSet(create.Flags())
	var lang string
	// Read before cobra parses (langFromArgs); declared so that every command accepts it.
	root.PersistentFlags().StringVar(&lang, "lang", "", "")
	root.AddCommand(newVersion(), create, newStatus(env, run), newLeave(env, run), newCheck(env, run), newChangeRole(env, run, wizard.Manager), newChangeRole(env, run, wizard.Worker), newRecover(env, run), newDrill(env, run), newUnlock(env, run), newRotateTokens(env, run), newLab(env), newProbe(), newClassroom(env))
	describe(root)
	return root
}

// flagError makes a flag that does not parse read like every other refusal, in the user's
// language: the flag, the value, and what would be accepted. pflag's errors are told apart by
// their type, never by their English words.
func flagError(cmd *cobra.Command, err error) error {
	var (
		invalid  *pflag.InvalidValueError
		unknown  *pflag.NotExistError
		required *pflag.ValueRequiredError
		syntax   *pflag.InvalidSyntaxError
	)
	switch {
	case errors.As(err, &invalid):
		f := invalid.GetFlag()
		return usage("cli.flagvalue", map[string]string{"Flag": f.Name, "Value": invalid.GetValue(), "Kind": f.Value.Type()})
	case errors.As(err, &unknown):
		name := "--" + unknown.GetSpecifiedName()
		if unknown.GetSpecifiedShortnames() != "" {
			name = "-" + unknown.GetSpecifiedName()[:1]
		}
		return usage("cli.flagunknown", map[string]string{"Flag": name, "Cmd": cmd.CommandPath()})
	case errors.As(err, &required):
		return usage("cli.flagneedsvalue", map[string]string{"Flag": required.GetFlag().Name, "Cmd": cmd.CommandPath()})
	case errors.As(err, &syntax):
		return usage("cli.flagsyntax", map[string]string{"Flag": syntax.GetSpecifiedFlag(), "Cmd": cmd.CommandPath()})
	}
	return failure.Usagef("%v", err)
}

// noArgs refuses a stray argument as bad input (exit 2), saying what it was.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usage("cli.noargs", map[string]string{"Cmd": cmd.CommandPath(), "Arg": args[0]})
	}
	return nil
}

// Set at build time by the Makefile (-X): the release, the commit it was built from, and the
// commit's date (not the build's: two builds of one commit are the same bytes).
var commit, buildDate = "", ""

// versionInfo is what `swarmwiz version` says, for a person and with --output json.
type versionInfo struct {
	Version string `json:"version"`
	Commit  string `json:"commit,omitempty"`
	Date    string `json:"buildDate,omitempty"`
	Go      string `json:"goVersion"`
	OS      string `json:"os"`
	Arch    string `json:"arch"`
}

func newVersion() *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:  "version",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := versionInfo{version, commit, buildDate, runtime.Version(), runtime.GOOS, runtime.GOARCH}
			switch output {
			case "":
				fmt.Fprintln(cmd.OutOrStdout(), templates.Msg("version.line", v))
			case "json":
				b, _ := json.MarshalIndent(v, "", "  ")
				fmt.Fprintln(cmd.OutOrStdout(), string(b))
			default:
				return usage("cli.output", output)
			}
			return nil
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "", "")
	return c
}
