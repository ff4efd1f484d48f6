package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/internal/lab"
	"github.com/swarmwiz/swarmwiz/internal/remote"
)

// bare is the fastest order that builds the same swarm, with none of the wizard's reading,
// checking and verifying: connect to every node at once, init the first, read the tokens,
// join the other managers one at a time and then the workers all at once, through the same
// docker API over the same SSH connections the wizard uses. swarmwiz's time less this one is
// what its facts, preflight and verification cost.
func bare(inv *lab.Inventory, managers int) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	t0 := time.Now()
	clients, err := dialNodes(ctx, inv)
	if err != nil {
		return 0, err
	}
	apis := make([]docker.API, len(clients))
	for i, c := range clients {
		defer c.Close()
		apis[i] = docker.API{Dial: func(ctx context.Context) (net.Conn, error) { return c.DialUnix(ctx, remote.DockerSocket) }}
	}
	first := inv.Nodes[0].Address
	if err := apis[0].Post(ctx, "/swarm/init", map[string]string{"ListenAddr": "0.0.0.0:2377", "AdvertiseAddr": first}, nil); err != nil {
		return 0, fmt.Errorf("init: %w", err)
	}
	var sw struct {
		JoinTokens struct{ Worker, Manager string }
	}
	if err := apis[0].Get(ctx, "/swarm", &sw); err != nil {
		return 0, err
	}
	manager := first + ":2377"
	for i := 1; i < managers; i++ {
		if err := apis[i].SwarmJoin(ctx, sw.JoinTokens.Manager, manager, inv.Nodes[i].Address); err != nil {
			return 0, fmt.Errorf("%s: %w", inv.Nodes[i].Name, err)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, len(inv.Nodes))
	for i := managers; i < len(inv.Nodes); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = apis[i].SwarmJoin(ctx, sw.JoinTokens.Worker, manager, inv.Nodes[i].Address)
		}()
	}
	wg.Wait()
	return time.Since(t0), errors.Join(errs...)
}
