package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/internal/probe"
)

// newProbe is what runs inside the containers of `swarmwiz check` (the probe image is this
// binary): hidden, since a user never types it.
func newProbe() *cobra.Command {
	c := &cobra.Command{Use: "probe", Hidden: true, Args: noArgs}
	serve := &cobra.Command{
		Use:  "serve",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return probe.Serve(cmd.Context(), probe.Hostname())
		},
	}
	var service string
	test := &cobra.Command{
		Use:  "test NODE=IP...",
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var peers []probe.Peer
			for _, a := range args {
				node, ip, ok := strings.Cut(a, "=")
				if !ok {
					return failure.Usagef("%q: give peers as NODE=IP", a)
				}
				peers = append(peers, probe.Peer{Node: node, IP: ip})
			}
			return probe.Test(cmd.Context(), probe.Hostname(), service, peers).Encode(cmd.OutOrStdout())
		},
	}
	test.Flags().StringVar(&service, "service", "", "the probe service, whose tasks DNS lists")
	get := &cobra.Command{
		Use:  "get URL",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return probe.Get(cmd.Context(), args[0], cmd.OutOrStdout())
		},
	}
	c.AddCommand(serve, test, get)
	return c
}
