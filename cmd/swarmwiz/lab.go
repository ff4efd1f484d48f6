package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/internal/lab"
	"github.com/swarmwiz/swarmwiz/steps/prelude"
	"github.com/swarmwiz/swarmwiz/templates"
	"github.com/swarmwiz/swarmwiz/wizard"
)

func newLab(env *wizard.Env) *cobra.Command {
	c := &cobra.Command{
		Use: "lab",
		// The lab is Linux's (namespaces, nspawn): elsewhere every lab command says so first.
		PersistentPreRunE: func(*cobra.Command, []string) error { return lab.CheckOS() },
	}
	var name string
	c.PersistentFlags().StringVar(&name, "name", lab.DefaultName, "")
	c.AddCommand(newLabUp(env, &name), newLabStatus(env, &name), newLabDown(env, &name),
		newLabNode(env, &name, "stop"), newLabNode(env, &name, "start"), newLabCheck(env),
		newLabImages(env), newLabPrune(env), newLabList(env))
	return c
}

// newLabList is `lab ls`: every lab of this machine, and any a failed lab up left half-made,
// with the command that removes it.
func newLabList(env *wizard.Env) *cobra.Command {
	return &cobra.Command{
		Use:  "ls",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := lab.CheckHost(); err != nil {
				return err
			}
			names := lab.Names()
			if len(names) == 0 {
				env.Println(templates.Msg("lab.ls.none", nil))
				return nil
			}
			rows := [][]string{}
			for _, n := range names {
				inv, err := lab.Load(n)
				if err != nil {
					rows = append(rows, []string{n, "-", "-", templates.Msg("lab.ls.half", n)})
					continue
				}
				rows = append(rows, []string{n, fmt.Sprint(len(inv.Nodes)), inv.Subnet, templates.Msg("lab.ls.use", n)})
			}
			env.Println(templates.Table(strings.Fields(templates.Msg("lab.ls.header", nil)), rows))
			return nil
		},
	}
}

func newLabUp(env *wizard.Env, name *string) *cobra.Command {
	var nodes, subnet, hostDaemons, osSpec, dockerOpt string
	var install, recreate bool
	c := &cobra.Command{
		Use:  "up",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			machines, err := machineOptions(osSpec, dockerOpt, nodes, cmd.Flags().Changed("nodes"))
			if err != nil {
				return err
			}
			if len(machines.OS) > 0 {
				nodes = fmt.Sprint(len(machines.OS))
			}
			cfg, err := lab.ParseConfig(*name, nodes, subnet)
			if err != nil {
				return err
			}
			cfg.MachineOptions = machines
			if err := checkHostDaemons(hostDaemons); err != nil {
				return err
			}
			if install && (lab.CheckHost() != nil || (len(machines.OS) > 0 && lab.CheckMachineHost() != nil)) {
				if err := prelude.InstallLab(cmd.Context(), env, hostDaemons, lab.InstallOptions{}); err != nil {
					return err
				}
			}
			inv, err := lab.Up(cmd.Context(), cfg, recreate, env.Progress())
			if undone := (*lab.UndoneError)(nil); errors.As(err, &undone) && undone.Interrupted {
				// The account of an interrupted run: exit 130 prints only that it was.
				fmt.Fprintln(env.Err, undone.Error())
			}
			if errors.Is(err, lab.ErrAlreadyUp) {
				fmt.Fprintln(env.Out, templates.Msg("lab.up.already", map[string]any{"Name": inv.Name, "Nodes": len(inv.Nodes)}))
				return nil
			}
			if err != nil {
				return err
			}
			return show(env)(lab.UpText(inv))
		},
	}
	c.Flags().StringVar(&nodes, "nodes", fmt.Sprint(lab.DefaultNodes), "")
	c.Flags().StringVar(&subnet, "subnet", lab.DefaultSubnet, "")
	c.Flags().BoolVar(&install, "install", false, "")
	hostDaemonsFlag(c, &hostDaemons)
	c.Flags().BoolVar(&recreate, "recreate", false, "")
	c.Flags().StringVar(&osSpec, "os", "", "")
	c.Flags().StringVar(&dockerOpt, "docker", "", "")
	return c
}

// machineOptions reads --os and --docker of `lab up`: no --os is today's namespace nodes.
func machineOptions(osSpec, dockerOpt, nodes string, nodesGiven bool) (lab.MachineOptions, error) {
	if dockerOpt != "" && dockerOpt != lab.DockerPreinstalled && dockerOpt != lab.DockerNone {
		return lab.MachineOptions{}, failure.Usagef("%s", templates.Msg("lab.cfg.docker", dockerOpt))
	}
	if osSpec == "" {
		if dockerOpt != "" {
			return lab.MachineOptions{}, failure.Usagef("%s", templates.Msg("lab.cfg.dockernos", nil))
		}
		return lab.MachineOptions{}, nil
	}
	n := -1
	if nodesGiven {
		v, err := strconv.Atoi(nodes)
		if err != nil || v < 1 || v > lab.MaxNodes {
			return lab.MachineOptions{}, failure.Usagef("%s", templates.Msg("lab.cfg.nodes", map[string]any{"Value": nodes, "Max": lab.MaxNodes}))
		}
		n = v
	}
	list, err := lab.ParseOS(osSpec, n)
	if err != nil {
		return lab.MachineOptions{}, err
	}
	if dockerOpt == "" {
		dockerOpt = lab.DockerPreinstalled
	}
	return lab.MachineOptions{OS: list, Docker: dockerOpt}, nil
}

func newLabImages(env *wizard.Env) *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:  "images",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "" && output != "json" {
				return usage("cli.output", output)
			}
			images := lab.Images()
			if output == "json" {
				if images == nil {
					images = []lab.Image{}
				}
				b, _ := json.MarshalIndent(images, "", "  ")
				_, err := fmt.Fprintln(env.Out, string(b))
				return err
			}
			if len(images) == 0 {
				env.Println(templates.Msg("lab.images.none", nil))
				return nil
			}
			return show(env)(lab.ImagesText(images))
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "", "")
	return c
}

func newLabPrune(env *wizard.Env) *cobra.Command {
	return &cobra.Command{
		Use:  "prune",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := lab.CheckHost(); err != nil {
				return err
			}
			if err := lab.Prune(); err != nil {
				return err
			}
			env.Println(templates.Msg("lab.pruned", lab.ImageRoot()+", "+lab.AptCacheDir()))
			return nil
		},
	}
}

func newLabStatus(env *wizard.Env, name *string) *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:  "status",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "" && output != "json" {
				return usage("cli.output", output)
			}
			if !cmd.Flags().Changed("name") && *name == lab.DefaultName {
				// No --name: the one lab there is, whatever its name; with several, name them.
				if names := lab.Names(); len(names) == 1 {
					*name = names[0]
				} else if len(names) > 1 && !slices.Contains(names, lab.DefaultName) {
					return usage("lab.status.which", strings.Join(names, ", "))
				}
			}
			inv, err := loadLab(*name)
			if err != nil {
				return err
			}
			st := lab.Status(cmd.Context(), inv)
			if output == "json" {
				b, _ := json.MarshalIndent(map[string]any{"name": inv.Name, "subnet": inv.Subnet, "nodes": st}, "", "  ")
				_, err := fmt.Fprintln(env.Out, string(b))
				return err
			}
			return show(env)(lab.StatusText(inv, st))
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "", "")
	return c
}

func newLabDown(_ *wizard.Env, name *string) *cobra.Command {
	var all bool
	c := &cobra.Command{
		Use:  "down",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := lab.CheckHost(); err != nil {
				return err
			}
			names := []string{*name}
			if all {
				names = lab.Names()
			}
			for _, n := range names {
				if err := lab.Down(cmd.Context(), n); err != nil {
					return err
				}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&all, "all", false, "")
	return c
}

func newLabNode(env *wizard.Env, name *string, verb string) *cobra.Command {
	return &cobra.Command{
		Use:  verb + " NODE",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			inv, err := loadLab(*name)
			if err != nil {
				return err
			}
			n, err := inv.Find(args[0])
			if err != nil {
				return failure.Usagef("%v", err)
			}
			if verb == "stop" {
				return lab.Stop(cmd.Context(), n)
			}
			return lab.Start(cmd.Context(), inv, n, env.Progress())
		},
	}
}

func loadLab(name string) (*lab.Inventory, error) {
	if err := lab.CheckHost(); err != nil {
		return nil, err
	}
	inv, err := lab.Load(name)
	if errors.Is(err, lab.ErrNoLab) {
		return nil, failure.Usagef("%v", err)
	}
	return inv, err
}

// show prints a rendered text, or returns the error rendering it.
func show(env *wizard.Env) func(text string, err error) error {
	return func(text string, err error) error {
		if err != nil {
			return err
		}
		env.Println(text)
		return nil
	}
}

func newLabCheck(env *wizard.Env) *cobra.Command {
	var install bool
	var hostDaemons string
	c := &cobra.Command{
		Use:  "check",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkHostDaemons(hostDaemons); err != nil {
				return err
			}
			// Everything the lab can use: its nodes of both kinds.
			check := func() error {
				if err := lab.CheckHost(); err != nil {
					return err
				}
				return lab.CheckMachineHost()
			}
			err := check()
			if err != nil && install && os.Geteuid() == 0 {
				if err := prelude.InstallLab(cmd.Context(), env, hostDaemons, lab.InstallOptions{}); err != nil {
					return err
				}
				err = check()
			}
			if err == nil {
				fmt.Fprintln(cmd.OutOrStdout(), templates.Msg("lab.check.ok", nil))
			}
			return err
		},
	}
	c.Flags().BoolVar(&install, "install", false, "")
	hostDaemonsFlag(c, &hostDaemons)
	return c
}

// checkHostDaemons refuses a --host-daemons value before anything is done.
func checkHostDaemons(v string) error {
	if v != "" && v != "stop" && v != "keep" {
		return usage("cli.hostdaemons", v)
	}
	return nil
}

func hostDaemonsFlag(c *cobra.Command, v *string) {
	c.Flags().StringVar(v, "host-daemons", "", "")
}
