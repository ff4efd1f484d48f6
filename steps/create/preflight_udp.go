package create

import (
	"context"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/preflight"
	"github.com/swarmwiz/swarmwiz/internal/remote"
	"github.com/swarmwiz/swarmwiz/steps/prelude"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// UDPWindow bounds how long a node listens for the others' UDP in the preflight.
var UDPWindow = 5 * time.Second

// probeUDP checks the swarm's UDP ways between every pair before anything changes: gossip
// (7946/udp) and the overlay's data path (4789/udp, or --data-path-port). Nothing answers
// there before the swarm exists, so each node that is not in the swarm yet listens for a few
// seconds (preflight.UDPListenScript), every other node sends to it, and what was heard says
// which ways are open: a datagram a firewall drops is never heard. A port nobody's UDP
// reaches is the node's own firewall; one only some reach is named with who cannot.
func probeUDP(ctx context.Context, env *wizard.Env, st *wizard.State) []preflight.Finding {
	var nodes, targets []*wizard.Node
	for _, n := range st.Nodes {
		if n.Role == "" || n.Conn == nil {
			continue
		}
		nodes = append(nodes, n)
		if _, ok := n.Conn.(remote.Starter); ok && !n.Member {
			targets = append(targets, n)
		}
	}
	if len(targets) == 0 || len(nodes) < 2 {
		return nil
	}
	ports := []int{7946, vxlanPort(st)}
	// The senders start while the listeners do, and send on cue once every listener listens.
	started := make(chan []*udpSender, 1)
	go func() { started <- startSenders(ctx, env, nodes, targets, ports) }()
	ls := startListeners(ctx, env, targets, ports)
	said := cueSenders(ctx, env, nodes, <-started, ports)
	// The last datagrams arrive within a moment on any network a swarm runs on; once every
	// way that left has been heard there is nothing more to wait for.
	deadline := time.Now().Add(300 * time.Millisecond)
	for time.Now().Before(deadline) && ctx.Err() == nil && !allHeard(ls, targets, nodes, said) {
		time.Sleep(5 * time.Millisecond)
	}
	heard := endListeners(ls)
	// Who holds the ports found taken, asked of those nodes all at once.
	busy := make([][]preflight.Finding, len(targets))
	prelude.EachRead(env, targets, func(i int, m *wizard.Node) error {
		if !heard[i].NoListener {
			busy[i] = busyFindings(ctx, env, m, heard[i].Busy)
		}
		return nil
	})
	var out []preflight.Finding
	for i, m := range targets {
		h := heard[i]
		if h.NoListener {
			out = append(out, preflight.Finding{Node: m.Name(), Level: preflight.Note, Check: msg("preflight.udp.check.none", nil),
				Result: msg("preflight.udp.nolistener", nil), Fix: msg("preflight.udp.nolistener.fix", nil)})
			continue
		}
		out = append(out, busy[i]...)
		for _, port := range h.Listening {
			out = append(out, udpFindings(nodes, m, port, h.From[port], said)...)
		}
	}
	return out
}

// udpFindings weighs what m heard on port against what every other node said it sent there.
// A sender that never tried (no bash, or it did not run) is left out: nothing is known of its
// way. A sender that refused to send is named on its own (its own firewall or routes stop
// it). Of the datagrams that left, none heard is m's own firewall; some unheard while others
// were heard is something between them.
func udpFindings(nodes []*wizard.Node, m *wizard.Node, port int, heard []string, said map[*wizard.Node]preflight.UDPTried) []preflight.Finding {
	var out []preflight.Finding
	var unheardFrom []string
	reached := 0
	for _, n := range nodes {
		if n == m {
			continue
		}
		left, tried := said[n][joinAddr(m)][port]
		switch {
		case !tried:
		case !left:
			data := map[string]any{"Node": m.Name(), "From": n.Name(), "Port": port}
			out = append(out, preflight.Finding{Node: n.Name(), Level: preflight.Error, Check: msg("preflight.udp.check.to", data),
				Result: msg("preflight.udp.refused", data), Fix: msg("preflight.udp.refused.fix", data)})
		case slices.ContainsFunc(heard, n.Facts.HasIP):
			reached++
		default:
			unheardFrom = append(unheardFrom, n.Name())
		}
	}
	if len(unheardFrom) > 0 {
		out = append(out, meshFinding(m, port, "udp", unheardFrom, reached, ""))
	}
	return out
}

// busyFindings names what holds the swarm's UDP ports that were found taken on m before it
// joins, by ss's word for the holder: docker itself, in no swarm, still holds its gossip
// port from an earlier one (moby/moby#31913: its next join cannot start the overlay's agent
// until docker restarts); another program keeps docker from the port. A port no program
// holds is the kernel's: most often the VXLAN socket of the overlay a node that just left a
// swarm is still taking down, which docker makes again when it joins. Nothing proves that
// either way, so the port is left untested in silence.
func busyFindings(ctx context.Context, env *wizard.Env, m *wizard.Node, busy []int) []preflight.Finding {
	if len(busy) == 0 {
		return nil
	}
	held, _ := env.Read(ctx, m, preflight.UDPHoldersScript())
	var out []preflight.Finding
	for _, port := range busy {
		if f, ok := busyFinding(m, port, preflight.UDPHolder(held, port)); ok {
			out = append(out, f)
		}
	}
	return out
}

// busyFinding is m's port found taken, held by holder ("": by no program; nothing said).
func busyFinding(m *wizard.Node, port int, holder string) (preflight.Finding, bool) {
	data := map[string]any{"Node": m.Name(), "Port": port, "Holder": holder, "Gossip": port == 7946}
	f := preflight.Finding{Node: m.Name(), Check: msg("preflight.udp.check.port", data)}
	switch holder {
	case "":
		return f, false
	case "dockerd":
		f.Level, f.Result, f.Fix = preflight.Warn, msg("preflight.udp.leftover", data), msg("preflight.udp.leftover.fix", data)
	default:
		f.Level, f.Result, f.Fix = preflight.Error, msg("preflight.udp.taken", data), msg("preflight.udp.taken.fix", data)
	}
	return f, true
}

// vxlanPort is the overlay's data-path port the swarm will use.
func vxlanPort(st *wizard.State) int {
	if st.Init.DataPathPort != 0 {
		return st.Init.DataPathPort
	}
	return 4789
}

// startListeners starts a listener on every target and returns once each listens (or said
// it cannot); what they hear comes in, line by line, until endListeners. A nil listener did
// not start.
func startListeners(ctx context.Context, env *wizard.Env, targets []*wizard.Node, ports []int) []*udpListener {
	ls := make([]*udpListener, len(targets))
	script := preflight.UDPListenScript(int(UDPWindow.Seconds()), ports)
	prelude.EachRead(env, targets, func(i int, n *wizard.Node) error {
		h, err := n.Conn.(remote.Starter).Start(ctx, script, "")
		if err != nil {
			return err
		}
		l := &udpListener{held: h, done: make(chan struct{})}
		// Until it listens (or says it cannot), then on in the background.
		for {
			line, err := h.Out.ReadString('\n')
			l.text.WriteString(line)
			if w := strings.TrimSpace(line); err != nil || w == "ready" || w == "nolistener" {
				break
			}
		}
		go func() {
			defer close(l.done)
			for {
				line, err := h.Out.ReadString('\n')
				l.mu.Lock()
				l.text.WriteString(line)
				l.mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
		ls[i] = l
		return nil
	})
	return ls
}

// udpSender is a node's sender: held, waiting for its cue (held nil: the node cannot hold a
// command, and sends when cued, the plain way), with the targets' addresses it sends to.
type udpSender struct {
	node *wizard.Node
	held *remote.Held
	to   []string
}

// startSenders starts every node's sender, to wait for its cue.
func startSenders(ctx context.Context, env *wizard.Env, nodes, targets []*wizard.Node, ports []int) []*udpSender {
	ss := make([]*udpSender, len(nodes))
	prelude.EachRead(env, nodes, func(i int, n *wizard.Node) error {
		s := &udpSender{node: n}
		for _, m := range targets {
			if m != n {
				s.to = append(s.to, joinAddr(m))
			}
		}
		ss[i] = s
		if st, ok := n.Conn.(remote.Starter); ok {
			h, err := st.Start(ctx, preflight.UDPSendScript(s.to, ports, true), "")
			if err != nil {
				return err // it never tried: nothing is said of its ways
			}
			s.held = h
		}
		return nil
	})
	return ss
}

// cueSenders cues every node's sender (ss, by node) at once and returns what each said it
// sent; a sender that did not start says nothing.
func cueSenders(ctx context.Context, env *wizard.Env, nodes []*wizard.Node, ss []*udpSender, ports []int) map[*wizard.Node]preflight.UDPTried {
	var mu sync.Mutex
	said := map[*wizard.Node]preflight.UDPTried{}
	prelude.EachRead(env, nodes, func(i int, _ *wizard.Node) error {
		s, out := ss[i], ""
		switch {
		case s.held != nil:
			err := ctx.Err() // interrupted: its stdin ends uncued, and it sends nothing
			if err == nil {
				_, err = io.WriteString(s.held.In, "go\n")
			}
			s.held.CloseInput()
			if err == nil {
				stop := context.AfterFunc(ctx, s.held.Release) // its session ends with the run
				b, _ := io.ReadAll(s.held.Out)
				stop()
				out = string(b)
			}
			s.held.Release()
		case ctx.Err() == nil:
			out, _ = env.Read(ctx, s.node, preflight.UDPSendScript(s.to, ports, false))
		}
		mu.Lock()
		said[s.node] = preflight.ParseUDPSend(out)
		mu.Unlock()
		return nil
	})
	return said
}

// allHeard says whether every listener has heard every sender on every port it listens on,
// of the ways whose datagrams left: then no datagram is still on its way.
func allHeard(ls []*udpListener, targets, nodes []*wizard.Node, said map[*wizard.Node]preflight.UDPTried) bool {
	for i, m := range targets {
		if ls[i] == nil {
			continue
		}
		ls[i].mu.Lock()
		h := preflight.ParseUDPListen(ls[i].text.String())
		ls[i].mu.Unlock()
		for _, port := range h.Listening {
			for _, n := range nodes {
				left, tried := said[n][joinAddr(m)][port]
				if n != m && tried && left && !slices.ContainsFunc(h.From[port], n.Facts.HasIP) {
					return false
				}
			}
		}
	}
	return true
}

// udpListener is one node's UDP listener under way, and what it has said so far.
type udpListener struct {
	held *remote.Held
	mu   sync.Mutex
	text strings.Builder
	done chan struct{}
}

// endListeners tells every listener to end at once (each says what it heard last and lets go
// of the ports), then waits for each: one round trip in all, not one a node. A nil listener
// (it did not start) heard nothing.
func endListeners(ls []*udpListener) []preflight.UDPHeard {
	for _, l := range ls {
		if l != nil {
			l.held.CloseInput()
		}
	}
	heard := make([]preflight.UDPHeard, len(ls))
	last := time.After(2 * time.Second)
	for i, l := range ls {
		if l == nil {
			continue
		}
		select {
		case <-l.done:
		case <-last:
		}
		l.held.Release()
		l.mu.Lock()
		heard[i] = preflight.ParseUDPListen(l.text.String())
		l.mu.Unlock()
	}
	return heard
}
