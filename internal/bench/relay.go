package main

import (
	"io"
	"net"
	"sync"
	"time"
)

// relay is a TCP relay on this machine's loopback to one node's sshd that delays every byte
// by half a round trip each way, in order: a laptop far from its servers, for swarmwiz and
// the by-hand baseline alike. Docker's own traffic between the nodes does not pass here (it
// is the datacenter's).
type relay struct {
	l    net.Listener
	to   string
	half time.Duration
	wg   sync.WaitGroup
}

// newRelay listens on 127.0.0.1 (a free port) and relays to addr with rtt/2 each way.
func newRelay(addr string, rtt time.Duration) (*relay, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &relay{l: l, to: addr, half: rtt / 2}
	r.wg.Add(1)
	go r.serve()
	return r, nil
}

func (r *relay) port() int { return r.l.Addr().(*net.TCPAddr).Port }

func (r *relay) close() {
	r.l.Close()
	r.wg.Wait()
}

func (r *relay) serve() {
	defer r.wg.Done()
	for {
		c, err := r.l.Accept()
		if err != nil {
			return
		}
		go r.pair(c)
	}
}

// pair relays one connection both ways; each side is closed for writing once the other has
// said all it had, after the delay.
func (r *relay) pair(c net.Conn) {
	defer c.Close()
	s, err := net.Dial("tcp", r.to)
	if err != nil {
		return
	}
	defer s.Close()
	done := make(chan struct{}, 2)
	go func() { r.delayed(s.(*net.TCPConn), c); done <- struct{}{} }()
	go func() { r.delayed(c.(*net.TCPConn), s); done <- struct{}{} }()
	<-done
	<-done
}

// chunk is what one read gave, and when: it is written half a round trip later.
type chunk struct {
	b  []byte
	at time.Time
}

// delayed copies from src to dst, each chunk r.half after it was read, in order.
func (r *relay) delayed(dst *net.TCPConn, src net.Conn) {
	q := make(chan chunk, 4096)
	go func() {
		defer close(q)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				q <- chunk{buf[:n], time.Now()}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range q {
		time.Sleep(time.Until(c.at.Add(r.half)))
		if _, err := dst.Write(c.b); err != nil {
			io.Copy(io.Discard, src)
			return
		}
	}
	time.Sleep(r.half) // the end of the stream travels too
	dst.CloseWrite()
}
