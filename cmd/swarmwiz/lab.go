package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/internal/lab"
	"github.com/swarmwiz/swarmwiz/steps"
	"github.com/swarmwiz/swarmwiz/templates"
	"github.com/swarmwiz/swarmwiz/wizard"
)

func newLab(env *wizard.Env) *cobra.Command {
	c := &cobra.Command{
		Use: "lab",
	}
	var name string
	c.PersistentFlags().StringVar(&name, "name", lab.DefaultName, "")
	c.AddCommand(newLabUp(env, &name), newLabStatus(env, &name), newLabDown(env, &name),
		newLabNode(env, &name, "stop"), newLabNode(env, &name, "start"), newLabCheck(env))
	return c
}

func newLabUp(env *wizard.Env, name *string) *cobra.Command {
	var nodes, subnet, hostDaemons string
	var install, recreate bool
	c := &cobra.Command{
		Use:  "up",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := lab.ParseConfig(*name, nodes, subnet)
			if err != nil {
				return err
			}
			if err := checkHostDaemons(hostDaemons); err != nil {
				return err
			}
			if install && lab.CheckHost() != nil {
				if err := steps.InstallLab(cmd.Context(), env, hostDaemons, lab.InstallOptions{}); err != nil {
					return err
				}
			}
			inv, err := lab.Up(cmd.Context(), cfg, recreate, env.Progress())
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
	return c
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
			err := lab.CheckHost()
			if err != nil && install && os.Geteuid() == 0 {
				if err := steps.InstallLab(cmd.Context(), env, hostDaemons, lab.InstallOptions{}); err != nil {
					return err
				}
				err = lab.CheckHost()
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
