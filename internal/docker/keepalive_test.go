package docker

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
)

// With a kept client, the requests after the first go over the connection the first opened
// (over SSH each new one is a channel opened, a round trip); without one, every request
// opens its own and closes it.
func TestKeptClientReusesOneConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"ServerVersion":"24.0.7"}`))
	})}
	go srv.Serve(ln)
	defer srv.Close()
	var dials atomic.Int32
	dial := func(ctx context.Context) (net.Conn, error) {
		dials.Add(1)
		var d net.Dialer
		return d.DialContext(ctx, "tcp", ln.Addr().String())
	}
	for _, c := range []struct {
		api  API
		want int32
	}{{API{Dial: dial}, 3}, {API{Dial: dial, HTTP: KeepAlive(dial)}, 1}} {
		dials.Store(0)
		for range 3 {
			var info struct{ ServerVersion string }
			if err := c.api.Get(context.Background(), "/info", &info); err != nil || info.ServerVersion != "24.0.7" {
				t.Fatalf("got %+v, %v", info, err)
			}
		}
		if got := dials.Load(); got != c.want {
			t.Errorf("kept client %v: %d connections for 3 requests, want %d", c.api.HTTP != nil, got, c.want)
		}
	}
}
