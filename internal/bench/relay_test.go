package main

import (
	"bufio"
	"net"
	"testing"
	"time"
)

// The relay keeps order and adds a round trip per exchange: an echo through a 100 ms relay
// answers each line, bytes as they were sent, no sooner than 100 ms (how much later is the
// machine's business, and no test's).
func TestRelayDelaysEachWay(t *testing.T) {
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		for {
			c, err := echo.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 1024)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					c.Write(buf[:n])
				}
			}()
		}
	}()
	r, err := newRelay(echo.Addr().String(), 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	c, err := net.Dial("tcp", r.l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rd := bufio.NewReader(c)
	for _, line := range []string{"one\n", "two\n", "three\n"} {
		t0 := time.Now()
		c.Write([]byte(line))
		got, err := rd.ReadString('\n')
		d := time.Since(t0)
		if err != nil || got != line {
			t.Fatalf("got %q, %v; want %q", got, err, line)
		}
		if d < 100*time.Millisecond {
			t.Errorf("%q took %v through a 100 ms relay", line, d)
		}
	}
}
