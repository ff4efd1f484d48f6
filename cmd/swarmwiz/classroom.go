package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/swarmwiz/swarmwiz/internal/classroom"
	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/internal/plan"
	"github.com/swarmwiz/swarmwiz/templates"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// joinClassroom starts env's classroom sender when the flags or the plan name a classroom
// (flags win); a classroom named without its code or the learner's name is bad input.
func joinClassroom(env *wizard.Env, pl *plan.Plan) error {
	if pl != nil && pl.Classroom != nil {
		for _, f := range []struct {
			flag *string
			plan string
		}{
			{&env.ClassroomURL, pl.Classroom.URL}, {&env.ClassroomCode, pl.Classroom.Code}, {&env.Learner, pl.Classroom.Name},
		} {
			if *f.flag == "" {
				*f.flag = f.plan
			}
		}
	}
	if env.ClassroomURL == "" {
		return nil
	}
	u, err := url.Parse(env.ClassroomURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usage("classroom.badurl", env.ClassroomURL)
	}
	switch {
	case env.ClassroomCode == "":
		return usage("classroom.needs", "--classroom-code")
	case env.Learner == "":
		return usage("classroom.needs", "--name")
	}
	env.Class = classroom.NewClient(env.ClassroomURL, env.ClassroomCode, env.Learner,
		classroom.KeyFile(env.ClassroomURL, env.Learner), env.Mask,
		func(line string) { env.Errorln(line) })
	return nil
}

func newClassroom(env *wizard.Env) *cobra.Command {
	c := &cobra.Command{Use: "classroom", Args: noArgs}
	c.AddCommand(newClassroomServe(env), newClassroomExport(env), newClassroomHelp(env))
	return c
}

// newClassroomHelp is `classroom help [MESSAGE]`: the learner's hand goes up on the
// instructor's page, at any time, with what it is about.
func newClassroomHelp(env *wizard.Env) *cobra.Command {
	c := &cobra.Command{
		Use:  "help [MESSAGE]",
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if env.ClassroomURL == "" {
				return usage("classroom.needs", "--classroom")
			}
			if err := joinClassroom(env, nil); err != nil {
				return err
			}
			env.Class.Help(strings.Join(args, " "))
			env.Class.Close()
			if !env.Class.Delivered() {
				return errors.New(templates.Msg("classroom.help.failed", env.ClassroomURL))
			}
			env.Println(templates.Msg("classroom.help.sent", nil))
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&env.ClassroomURL, "classroom", "", "")
	f.StringVar(&env.ClassroomCode, "classroom-code", "", "")
	f.StringVar(&env.Learner, "name", "", "")
	return c
}

// finishClassroom ends a run's classroom report. A run that stopped on an error, at a
// terminal, asks once whether to raise the learner's hand on the instructor's page (never off
// a terminal, never after Ctrl-C): the error is shown first, and not again after.
func finishClassroom(env *wizard.Env, err error) error {
	env.Class.End(err)
	asked := false
	if err != nil && env.Interactive && failure.Code(err) != failure.ExitInterrupted {
		env.Errorln("swarmwiz:", err)
		err = &failure.ShownError{Err: err}
		if ok, perr := env.Prompter.Confirm(templates.Msg("classroom.help.ask", nil), templates.Msg("classroom.help.ask.help", nil), false); perr == nil && ok {
			env.Class.Help("")
			asked = true
		}
	}
	env.Class.Close()
	if asked {
		if env.Class.Delivered() {
			env.Println(templates.Msg("classroom.help.sent", nil))
		} else {
			env.Errorln(templates.Msg("classroom.help.failed", env.ClassroomURL))
		}
	}
	return err
}

func newClassroomServe(env *wizard.Env) *cobra.Command {
	o := &serveOptions{env: env}
	c := &cobra.Command{
		Use:  "serve",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	f := c.Flags()
	f.StringVar(&o.listen, "listen", ":8080", "")
	f.StringVar(&o.code, "code", "", "")
	f.StringVar(&o.state, "state", "", "")
	f.DurationVar(&o.stuck, "stuck-after", 10*time.Minute, "")
	f.StringVar(&o.dist, "dist", "", "")
	f.IntVar(&o.maxLearners, "max-learners", classroom.MaxLearners, "")
	f.BoolVar(&o.public, "public", false, "")
	return c
}

// serveOptions are `classroom serve`'s flags.
type serveOptions struct {
	env                       *wizard.Env
	listen, code, state, dist string
	public                    bool
	stuck                     time.Duration
	maxLearners               int
}

// validate refuses a flag's bad value before anything starts; host is --listen's host.
func (o *serveOptions) validate() (host string, err error) {
	host, port, err := net.SplitHostPort(o.listen)
	if err != nil || port == "" {
		return "", usage("classroom.badlisten", o.listen)
	}
	if o.maxLearners < 1 {
		return "", usage("cli.flagvalue", map[string]string{"Flag": "max-learners", "Value": fmt.Sprint(o.maxLearners), "Kind": "int"})
	}
	if o.stuck <= 0 {
		return "", usage("cli.flagvalue", map[string]string{"Flag": "stuck-after", "Value": o.stuck.String(), "Kind": "duration"})
	}
	if o.code != "" && len(o.code) < 6 {
		return "", usage("classroom.shortcode", o.code)
	}
	return host, nil
}

func (o *serveOptions) run(cmd *cobra.Command) error {
	env := o.env
	host, err := o.validate()
	if err != nil {
		return err
	}
	classroom.MaxLearners = o.maxLearners
	if o.code == "" {
		o.code = classroom.NewCode()
	}
	get, err := handOut(env, o.dist, cmd.Flags().Changed("dist"))
	if err != nil {
		return err
	}
	s, err := classroom.NewServer(o.code, o.state)
	if err != nil {
		return usage("classroom.savefailed", map[string]string{"File": o.state, "Err": err.Error()})
	}
	s.StuckAfter, s.Lang, s.Dist = o.stuck, templates.Lang(), get
	s.Log = func(line string) { env.Errorln(line) }
	l, err := net.Listen("tcp", o.listen)
	if err != nil {
		return usage("classroom.badlisten", o.listen+" ("+err.Error()+")")
	}
	shown := host
	if shown == "" || shown == "0.0.0.0" || shown == "::" {
		shown = outboundIP()
	}
	addr := "http://" + net.JoinHostPort(shown, fmt.Sprint(l.Addr().(*net.TCPAddr).Port))
	if !o.public {
		s.InstructorKey = classroom.NewKey()
	}
	env.Println(templates.Msg("classroom.serving", map[string]string{"URL": addr, "Page": classroom.PageURL(addr, s.InstructorKey), "Code": o.code}))
	s.BaseURL = addr
	if s.Dist != nil {
		env.Println("\n" + templates.Msg("get.title", nil))
		for _, g := range s.Dist.Lines(addr, o.code) {
			env.Println(templates.Msg("get.serve", g))
		}
	}
	return o.serve(cmd.Context(), s, l)
}

// serve answers until Ctrl-C, which is how a classroom ends: exit 130, saying where the room
// is kept. Every answer in bounded time but the live stream: a slow or idle connection cannot
// hold the server.
func (o *serveOptions) serve(ctx context.Context, s *classroom.Server, l net.Listener) error {
	srv := s.HTTPServer()
	go func() {
		<-ctx.Done()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}()
	if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	if err := s.Close(); err != nil {
		return err
	}
	if o.state != "" {
		o.env.Errorln(templates.Msg("classroom.kept", o.state))
	}
	return failure.ErrInterrupted
}

// handOut is what the classroom hands out: --dist's folder from `make dist`; without the
// flag, the dist/ beside this binary when there is one, else this binary for its own platform.
func handOut(env *wizard.Env, dir string, given bool) (*classroom.Downloads, error) {
	if given {
		d, err := classroom.LoadDist(dir)
		if err != nil {
			return nil, usage("get.nodist", dir)
		}
		return d, nil
	}
	if env.Self == "" {
		return nil, nil
	}
	if d, err := classroom.LoadDist(filepath.Join(filepath.Dir(env.Self), "dist")); err == nil {
		return d, nil
	}
	d, err := classroom.SelfDist(env.Self)
	if err != nil {
		return nil, nil // nothing to hand out: the classroom works without
	}
	return d, nil
}

// outboundIP is the address this machine would use on its network (no packet is sent: a
// UDP socket only picks a route), so that learners get an address they can type; loopback
// when there is no network.
func outboundIP() string {
	c, err := net.Dial("udp", "192.0.2.1:9")
	if err != nil {
		return "127.0.0.1"
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).IP.String()
}

func newClassroomExport(env *wizard.Env) *cobra.Command {
	var state, from, out string
	c := &cobra.Command{
		Use:  "export",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var room *classroom.Room
			var err error
			switch {
			case state != "":
				if _, serr := os.Stat(state); serr != nil {
					return usage("classroom.savefailed", map[string]string{"File": state, "Err": serr.Error()})
				}
				room, err = classroom.Load(state)
			case from != "":
				room, err = classroom.Fetch(cmd.Context(), from)
			default:
				return usage("classroom.export.source", nil)
			}
			if err != nil {
				return err
			}
			files, err := classroom.Export(room, out, time.Now())
			if err != nil {
				return err
			}
			for _, f := range files {
				env.Println(templates.Msg("classroom.exported", f))
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&state, "state", "", "")
	f.StringVar(&from, "from", "", "")
	f.StringVar(&out, "out", ".", "")
	return c
}
