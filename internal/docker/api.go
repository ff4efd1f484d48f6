package docker

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// API talks to one docker daemon's HTTP API over a connection that Dial opens: a unix
// socket on this machine (the lab), the node's socket forwarded over SSH, or `docker system
// dial-stdio` run on the node. It is how swarmwiz reads a daemon quickly and how it hands
// a join token to a daemon without the token ever being on a command line.
type API struct {
	Dial    func(ctx context.Context) (net.Conn, error)
	Timeout time.Duration // per request; 0: until ctx ends
	// HTTP, when set, is a client that keeps its connections (KeepAlive): a request after
	// the first reuses the open connection instead of opening another, which over SSH is a
	// round trip saved each time. nil: a new connection a request, closed after it.
	HTTP *http.Client
}

// KeepAlive is a client for API.HTTP whose connections, opened by dial, stay open between
// requests, a few at once (a request while another streams opens one more).
func KeepAlive(dial func(ctx context.Context) (net.Conn, error)) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext:         func(ctx context.Context, _, _ string) (net.Conn, error) { return dial(ctx) },
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     time.Minute,
	}}
}

// APIError is the daemon refusing a request; Message is what `docker` would print after
// "Error response from daemon:".
type APIError struct {
	Status  int
	Message string
}

func (e *APIError) Error() string { return "Error response from daemon: " + e.Message }

// Get reads path into v (nil: the body is dropped).
func (a API) Get(ctx context.Context, path string, v any) error {
	return a.do(ctx, http.MethodGet, path, nil, v)
}

// Post sends body as JSON to path and reads the answer into v (nil: dropped).
func (a API) Post(ctx context.Context, path string, body, v any) error {
	return a.do(ctx, http.MethodPost, path, body, v)
}

func (a API) do(ctx context.Context, method, path string, body, v any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	rc, err := a.Stream(ctx, method, path, "application/json", rd)
	if err != nil {
		return err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 16<<20))
	if err != nil {
		return err
	}
	if v == nil || len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("docker API %s: %w", path, err)
	}
	return nil
}

// Stream sends body (of contentType; nil: none) and returns the answer's body to read as it
// comes: an image being loaded, a command's output. A refusal is an *APIError.
func (a API) Stream(ctx context.Context, method, path, contentType string, body io.Reader) (io.ReadCloser, error) {
	cancel := context.CancelFunc(func() {})
	if a.Timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, a.Timeout)
	}
	client := a.HTTP
	if client == nil {
		client = &http.Client{Transport: &http.Transport{
			DialContext:       func(ctx context.Context, _, _ string) (net.Conn, error) { return a.Dial(ctx) },
			DisableKeepAlives: true,
		}}
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://docker"+path, body)
	if err != nil {
		cancel()
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := client.Do(req)
	if err != nil {
		cancel()
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		defer cancel()
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		var e struct{ Message string }
		if json.Unmarshal(b, &e) != nil || e.Message == "" {
			e.Message = strings.TrimSpace(resp.Status + " " + string(b))
		}
		return nil, &APIError{Status: resp.StatusCode, Message: e.Message}
	}
	return &streamBody{ReadCloser: resp.Body, done: func() {
		cancel()
		if a.HTTP == nil {
			client.CloseIdleConnections()
		}
	}}, nil
}

type streamBody struct {
	io.ReadCloser
	done func()
}

func (s *streamBody) Close() error {
	err := s.ReadCloser.Close()
	s.done()
	return err
}

// JoinRequest is the body of POST /swarm/join: what `docker swarm join` sends.
type JoinRequest struct {
	ListenAddr    string
	AdvertiseAddr string `json:",omitempty"`
	RemoteAddrs   []string
	JoinToken     string
	Availability  string `json:",omitempty"`
}

// SwarmJoin joins the daemon to the swarm at manager (host:2377) with token, as `docker swarm
// join --token TOKEN MANAGER` does, with the token in the request body only.
func (a API) SwarmJoin(ctx context.Context, token, manager, advertise string) error {
	return a.SwarmJoinAs(ctx, token, manager, advertise, "")
}

// SwarmJoinAs is SwarmJoin with the node's availability ("": active).
func (a API) SwarmJoinAs(ctx context.Context, token, manager, advertise, availability string) error {
	return a.Post(ctx, "/swarm/join", JoinRequest{ListenAddr: "0.0.0.0:2377", AdvertiseAddr: advertise,
		RemoteAddrs: []string{manager}, JoinToken: token, Availability: availability}, nil)
}
