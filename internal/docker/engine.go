package docker

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// What a check asks of a daemon through its API: images, tasks, containers and a command run
// inside one, each a request or two where the docker client would cost a process a call.

// ImageID is the ID of the image called name on the daemon, or "" when it has none.
func (a API) ImageID(ctx context.Context, name string) (string, error) {
	var img struct{ Id string }
	err := a.Get(ctx, "/images/"+url.PathEscape(name)+"/json", &img)
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == 404 {
		return "", nil
	}
	return img.Id, err
}

// LoadImage is `docker load`: tar is an image archive as `docker save` writes it.
func (a API) LoadImage(ctx context.Context, tar io.Reader) error {
	rc, err := a.Stream(ctx, "POST", "/images/load?quiet=1", "application/x-tar", tar)
	if err != nil {
		return err
	}
	defer rc.Close()
	return jsonMessages(rc)
}

// jsonMessages reads docker's progress stream and returns the error it reports, if any.
func jsonMessages(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var m struct {
			Error       string
			ErrorDetail struct{ Message string }
		}
		if err := dec.Decode(&m); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		if m.ErrorDetail.Message != "" {
			return errors.New(m.ErrorDetail.Message)
		}
		if m.Error != "" {
			return errors.New(m.Error)
		}
	}
}

// Task is one task of a service, as GET /tasks describes it.
type Task struct {
	ID           string
	NodeID       string
	DesiredState string
	Status       struct {
		State           string
		Err             string
		ContainerStatus struct{ ContainerID string }
	}
	NetworksAttachments []struct {
		Network struct {
			Spec struct{ Name string }
		}
		Addresses []string
	}
}

// Addr is the task's address on network, without its prefix length ("" when it has none).
func (t Task) Addr(network string) string {
	for _, na := range t.NetworksAttachments {
		if na.Network.Spec.Name == network && len(na.Addresses) > 0 {
			ip, _, _ := strings.Cut(na.Addresses[0], "/")
			return ip
		}
	}
	return ""
}

// Tasks lists the tasks of service (a manager answers).
func (a API) Tasks(ctx context.Context, service string) ([]Task, error) {
	return a.tasks(ctx, "service", service)
}

// TasksLabelled lists the tasks whose service carried label, the service's own or one
// already removed: the manager keeps a removed service's tasks until each node's agent has
// shut their containers down.
func (a API) TasksLabelled(ctx context.Context, label string) ([]Task, error) {
	return a.tasks(ctx, "label", label)
}

func (a API) tasks(ctx context.Context, filter, value string) ([]Task, error) {
	f, _ := json.Marshal(map[string]map[string]bool{filter: {value: true}})
	var tasks []Task
	err := a.Get(ctx, "/tasks?filters="+url.QueryEscape(string(f)), &tasks)
	return tasks, err
}

// Containers lists the IDs of the containers (running or not) that carry label.
func (a API) Containers(ctx context.Context, label string) ([]string, error) {
	f, _ := json.Marshal(map[string]map[string]bool{"label": {label: true}})
	var cs []struct{ Id string }
	if err := a.Get(ctx, "/containers/json?all=1&filters="+url.QueryEscape(string(f)), &cs); err != nil {
		return nil, err
	}
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.Id
	}
	return ids, nil
}

// Exec is `docker exec CONTAINER CMD...`: it runs cmd in the container and returns what it
// wrote to stdout and stderr, and its exit code.
func (a API) Exec(ctx context.Context, container string, cmd []string) (stdout, stderr string, code int, err error) {
	var created struct{ Id string }
	if err = a.Post(ctx, "/containers/"+url.PathEscape(container)+"/exec",
		map[string]any{"Cmd": cmd, "AttachStdout": true, "AttachStderr": true}, &created); err != nil {
		return "", "", 0, err
	}
	b, _ := json.Marshal(map[string]bool{"Detach": false, "Tty": false})
	rc, err := a.Stream(ctx, "POST", "/exec/"+created.Id+"/start", "application/json", bytes.NewReader(b))
	if err != nil {
		return "", "", 0, err
	}
	var out, errb bytes.Buffer
	err = Demux(rc, &out, &errb)
	rc.Close()
	if err != nil {
		return out.String(), errb.String(), 0, err
	}
	var inspect struct{ ExitCode int }
	if err = a.Get(ctx, "/exec/"+created.Id+"/json", &inspect); err != nil {
		return out.String(), errb.String(), 0, err
	}
	return out.String(), errb.String(), inspect.ExitCode, nil
}

// Demux splits docker's multiplexed stream (a container without a terminal): frames of an
// 8-byte header (stream, 0, 0, 0, big-endian length) and their payload.
func Demux(r io.Reader, stdout, stderr io.Writer) error {
	br := bufio.NewReader(r)
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(br, hdr[:]); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		w := stdout
		switch hdr[0] {
		case 0, 1:
		case 2:
			w = stderr
		default:
			return fmt.Errorf("docker stream: unknown stream %d", hdr[0])
		}
		if _, err := io.CopyN(w, br, int64(binary.BigEndian.Uint32(hdr[4:]))); err != nil {
			return err
		}
	}
}

// RemoveContainer is `docker rm --force ID`: a container gone already is no error.
func (a API) RemoveContainer(ctx context.Context, id string) error {
	rc, err := a.Stream(ctx, "DELETE", "/containers/"+url.PathEscape(id)+"?force=1&v=1", "", nil)
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == 404 {
		return nil
	}
	if err != nil {
		return err
	}
	return rc.Close()
}

// NetworkTasks lists the overlay addresses of service's tasks as this daemon's view of the
// network holds them (`docker network inspect --verbose`): what it has learned by gossip.
func (a API) NetworkTasks(ctx context.Context, network, service string) ([]string, error) {
	var n struct {
		Services map[string]struct {
			Tasks []struct{ EndpointIP string }
		}
	}
	if err := a.Get(ctx, "/networks/"+url.PathEscape(network)+"?verbose=true", &n); err != nil {
		return nil, err
	}
	var ips []string
	for _, t := range n.Services[service].Tasks {
		ips = append(ips, t.EndpointIP)
	}
	return ips, nil
}

// NetworkPeers is a swarm network's peers as this node's docker knows them (docker network
// inspect --verbose): the gossip name of each node in it, and its address.
func (a API) NetworkPeers(ctx context.Context, network string) (map[string]string, error) {
	var n struct {
		Peers []struct{ Name, IP string }
	}
	if err := a.Get(ctx, "/networks/"+url.PathEscape(network)+"?verbose=true", &n); err != nil {
		return nil, err
	}
	peers := map[string]string{}
	for _, p := range n.Peers {
		peers[p.Name] = p.IP
	}
	return peers, nil
}
