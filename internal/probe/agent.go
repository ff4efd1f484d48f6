// Package probe is what runs inside the containers of `swarmwiz check`: a server on every
// node (TCP and UDP echo, and a small "hello from NODE" web page) and a tester that tries
// every other node's server over the overlay network, with small and large payloads, and
// asks the swarm's DNS for the service's tasks. The image it runs in is the swarmwiz binary
// itself (image.go), so a check needs no registry and no internet.
package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Ports the probe serves on: TCP and UDP echo on EchoPort, the hello page on HTTPPort.
// Variables so that a unit test can serve on free ports of this machine.
var (
	EchoPort   = 7070
	HTTPPort   = 80
	listenHost = "" // every address
)

// Payload sizes: a small one that fits any path, and large ones that need full-size packets
// over the overlay, so that an MTU problem shows as "small passes, large fails". A UDP
// datagram of LargeUDP bytes fills the overlay's 1450-byte MTU without fragmenting inside it.
const (
	Small    = 32
	LargeUDP = 1400
	LargeTCP = 256 << 10
)

// Serve answers on the echo and web ports until ctx ends. node names the node in the
// web page (the service sets it from {{.Node.Hostname}}).
func Serve(ctx context.Context, node string) error {
	tl, err := net.Listen("tcp", net.JoinHostPort(listenHost, strconv.Itoa(EchoPort)))
	if err != nil {
		return err
	}
	ul, err := net.ListenPacket("udp", net.JoinHostPort(listenHost, strconv.Itoa(EchoPort)))
	if err != nil {
		return err
	}
	go func() {
		<-ctx.Done()
		tl.Close()
		ul.Close()
	}()
	go serveUDP(ul)
	go func() {
		mux := http.NewServeMux()
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "hello from %s\n", node)
		})
		srv := &http.Server{Addr: net.JoinHostPort(listenHost, strconv.Itoa(HTTPPort)), Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() { <-ctx.Done(); srv.Close() }()
		srv.ListenAndServe()
	}()
	for {
		c, err := tl.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		go func() {
			defer c.Close()
			c.SetDeadline(time.Now().Add(20 * time.Second))
			io.Copy(c, io.LimitReader(c, 4*LargeTCP))
		}()
	}
}

func serveUDP(l net.PacketConn) {
	buf := make([]byte, 65536)
	for {
		n, from, err := l.ReadFrom(buf)
		if err != nil {
			return
		}
		l.WriteTo(buf[:n], from)
	}
}

// Peer is one other task to try: its node and its address on the overlay.
type Peer struct {
	Node string `json:"node"`
	IP   string `json:"ip"`
}

// Link is what one task found of one peer: each field is "" when that test passed, else
// what went wrong.
type Link struct {
	Peer
	TCP      string `json:"tcp"`
	TCPLarge string `json:"tcpLarge"`
	UDP      string `json:"udp"`
	UDPLarge string `json:"udpLarge"`
	DNS      string `json:"dns"`
}

// OK says whether every test of the link passed.
func (l Link) OK() bool {
	return l.TCP == "" && l.TCPLarge == "" && l.UDP == "" && l.UDPLarge == "" && l.DNS == ""
}

// Report is a tester's answer: from which node, and a Link per peer.
type Report struct {
	Node  string `json:"node"`
	Links []Link `json:"links"`
}

// Timeout bounds each single test.
var Timeout = 3 * time.Second

// Test tries every peer, all at once, and asks DNS for tasks.SERVICE until it lists every
// peer (the swarm's DNS learns of other nodes' tasks by gossip, a moment after they start).
func Test(ctx context.Context, node, service string, peers []Peer) Report {
	rep := Report{Node: node, Links: make([]Link, len(peers))}
	var dns []string
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); dns = lookupAll(ctx, "tasks."+service, peers) }()
	for i, p := range peers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Right after nodes join, the overlay learns where each task lives by gossip, a
			// moment later: a link that fails is tried again until Settle has passed.
			deadline := time.Now().Add(Settle)
			for {
				rep.Links[i] = testLink(ctx, p)
				if rep.Links[i].connected() || time.Now().After(deadline) || ctx.Err() != nil {
					return
				}
				time.Sleep(500 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	for i := range rep.Links {
		if l := &rep.Links[i]; !slices.Contains(dns, l.IP) {
			l.DNS = "tasks." + service + " does not list " + l.IP
		}
	}
	return rep
}

// Settle is how long a failing link is tried again before it counts as failed.
var Settle = 8 * time.Second

// connected says whether every payload passed (DNS is judged once, for all peers).
func (l Link) connected() bool {
	return l.TCP == "" && l.TCPLarge == "" && l.UDP == "" && l.UDPLarge == ""
}

// testLink tries one peer: TCP and UDP at once, each small first, then large.
func testLink(ctx context.Context, p Peer) Link {
	l := Link{Peer: p}
	addr := net.JoinHostPort(p.IP, strconv.Itoa(EchoPort))
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		// A large payload is tried only where a small one passes: "small passes, large
		// fails" is what points to the MTU.
		if l.TCP = tryTCP(ctx, addr, Small); l.TCP == "" {
			l.TCPLarge = tryTCP(ctx, addr, LargeTCP)
		} else {
			l.TCPLarge = NotTried
		}
	}()
	go func() {
		defer wg.Done()
		if l.UDP = tryUDP(ctx, addr, Small); l.UDP == "" {
			l.UDPLarge = tryUDP(ctx, addr, LargeUDP)
		} else {
			l.UDPLarge = NotTried
		}
	}()
	wg.Wait()
	return l
}

// NotTried is a large payload's result where the small one already failed.
const NotTried = "not tried"

// lookupAll resolves name until the answer holds every peer's address or a few seconds pass.
func lookupAll(ctx context.Context, name string, peers []Peer) []string {
	deadline := time.Now().Add(Settle)
	for {
		ips, _ := net.DefaultResolver.LookupHost(ctx, name)
		all := true
		for _, p := range peers {
			all = all && slices.Contains(ips, p.IP)
		}
		if all || time.Now().After(deadline) || ctx.Err() != nil {
			return ips
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func payload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}

// tryTCP sends n bytes and expects them back, twice at most.
func tryTCP(ctx context.Context, addr string, n int) string {
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		if err = echoTCP(ctx, addr, payload(n)); err == nil {
			return ""
		}
	}
	return err.Error()
}

func echoTCP(ctx context.Context, addr string, want []byte) error {
	d := net.Dialer{Timeout: Timeout}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return errors.New("no connection: " + shortErr(err))
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * Timeout))
	errc := make(chan error, 1)
	go func() {
		_, err := c.Write(want)
		c.(*net.TCPConn).CloseWrite()
		errc <- err
	}()
	got, rerr := io.ReadAll(c)
	if werr := <-errc; werr != nil {
		return fmt.Errorf("%d bytes not sent: %s", len(want), shortErr(werr))
	}
	if rerr != nil || !bytes.Equal(got, want) {
		return fmt.Errorf("%d of %d bytes came back", len(got), len(want))
	}
	return nil
}

// tryUDP sends one datagram of n bytes and waits for its echo, three times at most.
func tryUDP(ctx context.Context, addr string, n int) string {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return shortErr(err)
	}
	defer c.Close()
	want := payload(n)
	buf := make([]byte, n+1)
	for attempt := 0; attempt < 3 && ctx.Err() == nil; attempt++ {
		c.SetDeadline(time.Now().Add(Timeout / 3))
		if _, err := c.Write(want); err != nil {
			continue
		}
		if m, err := c.Read(buf); err == nil && bytes.Equal(buf[:m], want) {
			return ""
		}
	}
	return fmt.Sprintf("no answer to a %d-byte datagram", n)
}

func shortErr(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err.Error()
	}
	return err.Error()
}

// Encode writes the report as one JSON line, as the tester prints it.
func (r Report) Encode(w io.Writer) error { return json.NewEncoder(w).Encode(r) }

// Hostname is the node's name for the web page: $NODE, else the container's hostname.
func Hostname() string {
	if n := os.Getenv("NODE"); n != "" {
		return n
	}
	h, _ := os.Hostname()
	return h
}

// Get prints what url answers: the probe's own `curl`, for a learner trying the hello page
// from inside a task (`docker exec TASK /swarmwiz probe get http://tasks.hello/`).
func Get(ctx context.Context, url string, w io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: 2 * Timeout}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(w, resp.Body)
	return err
}
