// Package plan is the plan file: the answers to every wizard question, saved so an
// instructor can replay one cluster for every learner. It holds no secret: no password,
// passphrase or join token ever goes in it, and it is written 0600 all the same.
package plan

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/internal/private"
	"github.com/swarmwiz/swarmwiz/internal/remote"
	"github.com/swarmwiz/swarmwiz/templates"
)

// APIVersion is the only version this swarmwiz reads and writes.
const APIVersion = "swarmwiz/v1"

// Plan is a whole cluster.
type Plan struct {
	APIVersion    string `yaml:"apiVersion"`
	AdvertiseAddr string `yaml:"advertiseAddr,omitempty"`
	// AllowEvenManagers confirms an even manager count in advance, as the wizard's question
	// does: an even count tolerates no more failures than one fewer.
	AllowEvenManagers bool `yaml:"allowEvenManagers,omitempty"`
	SSH               SSH  `yaml:"ssh,omitempty"`
	// Init holds what only `docker swarm init` can be told; absent: docker's defaults.
	Init  *Init  `yaml:"init,omitempty"`
	Nodes []Node `yaml:"nodes"`
	// Classroom sends the run's progress to an instructor's classroom page.
	Classroom *Classroom `yaml:"classroom,omitempty"`
}

// Classroom is where a learner's wizard reports: the page's address, its join code, and the
// learner's name there.
type Classroom struct {
	URL  string `yaml:"url"`
	Code string `yaml:"code"`
	Name string `yaml:"name"`
}

// Init is the plan's init section. UnlockKeyFile names where an autolocked swarm's unlock
// key is written (0600): the key itself never goes in the plan.
type Init struct {
	DefaultAddrPool           []string `yaml:"defaultAddrPool,omitempty"`
	DefaultAddrPoolMaskLength int      `yaml:"defaultAddrPoolMaskLength,omitempty"`
	DataPathPort              int      `yaml:"dataPathPort,omitempty"`
	ManagerAvailability       string   `yaml:"managerAvailability,omitempty"`
	Autolock                  bool     `yaml:"autolock,omitempty"`
	UnlockKeyFile             string   `yaml:"unlockKeyFile,omitempty"`
	CertExpiry                string   `yaml:"certExpiry,omitempty"` // a duration: 2160h
}

// Options are the init section as docker's options.
func (i *Init) Options() (docker.InitOptions, error) {
	if i == nil {
		return docker.InitOptions{}, nil
	}
	o := docker.InitOptions{Pools: i.DefaultAddrPool, PoolMaskLen: i.DefaultAddrPoolMaskLength, DataPathPort: i.DataPathPort,
		Availability: i.ManagerAvailability, Autolock: i.Autolock}
	if i.CertExpiry != "" {
		d, err := time.ParseDuration(i.CertExpiry)
		if err != nil {
			return o, docker.CertExpiryError(i.CertExpiry)
		}
		o.CertExpiry = d
	}
	return o, o.Validate()
}

// SSH is how every node is logged in to.
type SSH struct {
	User       string `yaml:"user,omitempty"`
	Key        string `yaml:"key,omitempty"`
	Port       int    `yaml:"port,omitempty"`
	KnownHosts string `yaml:"knownHosts,omitempty"`
}

// Node is one machine. The first manager listed is where `docker swarm init` runs.
type Node struct {
	Host string `yaml:"host"`
	Role string `yaml:"role"`
	User string `yaml:"user,omitempty"`
	Port int    `yaml:"port,omitempty"`
}

// Load reads a plan from r; name is for messages ("plan.yaml", or "-" for stdin). Every
// refusal is one line: name:line: what is wrong and what would be accepted.
func Load(r io.Reader, name string) (*Plan, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxSize {
		// Said, not silently cut: a cut plan would be refused for a line that is fine.
		return nil, failure.Usagef("%s", templates.Msg("plan.toolarge", map[string]any{"File": name, "Max": MaxSize >> 10}))
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, refuse(name, yamlLine(err), "%s", templates.Msg("plan.yaml", yamlMsg(err)))
	}
	if len(root.Content) == 0 {
		return nil, refuse(name, 1, "%s", templates.Msg("plan.empty", APIVersion))
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var p Plan
	if err := dec.Decode(&p); err != nil {
		line := yamlLine(err)
		if key := keyAt(root.Content[0], line); key != "" {
			// A value of the wrong kind (a port of 20 digits): the key, in the plan's words.
			switch numberKeys[key] {
			case "port":
				return nil, refuse(name, line, "%s", templates.Msg("plan.number.port", key))
			case "masklen":
				return nil, refuse(name, line, "%s", templates.Msg("plan.number.masklen", key))
			}
		}
		return nil, refuse(name, line, "%s", yamlMsg(err))
	}
	lines := lineIndex(root.Content[0])
	if err := p.validate(name, lines); err != nil {
		return nil, err
	}
	return &p, nil
}

// MaxSize is the largest plan file read: far more than any cluster's plan needs.
const MaxSize = 1 << 20

// LoadFile reads the plan at path, "-" being standard input.
func LoadFile(path string) (*Plan, error) {
	if path == "-" {
		return Load(os.Stdin, "-")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, failure.Usagef("--config %s: %v", path, errors.Unwrap(err))
	}
	defer f.Close()
	return Load(f, path)
}

// Save writes p to path, mode 0600.
func Save(p *Plan, path string) error {
	var b bytes.Buffer
	b.WriteString("# A swarmwiz plan: `swarmwiz create --config " + path + " --yes` builds this cluster.\n")
	b.WriteString("# It holds no secrets: no password, passphrase or join token.\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(p); err != nil {
		return err
	}
	return private.WriteFile(path, b.Bytes())
}

// First is the first manager: the first node listed as a manager.
func (p *Plan) First() *Node {
	for i := range p.Nodes {
		if p.Nodes[i].Role == "manager" {
			return &p.Nodes[i]
		}
	}
	return nil
}

// Managers counts the managers.
func (p *Plan) Managers() int {
	n := 0
	for _, node := range p.Nodes {
		if node.Role == "manager" {
			n++
		}
	}
	return n
}

func (p *Plan) validate(name string, l lines) error {
	if p.APIVersion != APIVersion {
		return refuse(name, l.at("apiVersion"), "%s", templates.Msg("plan.apiversion", []string{p.APIVersion, APIVersion}))
	}
	if p.AdvertiseAddr != "" {
		if _, err := netip.ParseAddr(p.AdvertiseAddr); err != nil {
			return refuse(name, l.at("advertiseAddr"), "%s", templates.Msg("plan.advertise", p.AdvertiseAddr))
		}
	}
	// A port that is written must be a port: 0 is not "the default" (leave the key out for 22).
	if _, given := l["ssh.port"]; given && (p.SSH.Port < 1 || p.SSH.Port > 65535) {
		return refuse(name, l.at("ssh.port"), "%s", templates.Msg("plan.sshport", p.SSH.Port))
	}
	if _, err := p.Init.Options(); err != nil {
		if oe := (*docker.OptionError)(nil); errors.As(err, &oe) {
			return refuse(name, l.at(initKey(err)), "%s", oe.InPlan())
		}
		return refuse(name, l.at(initKey(err)), "init: %v", err)
	}
	if len(p.Nodes) == 0 {
		return refuse(name, l.at("nodes"), "%s", templates.Msg("plan.nonodes", nil))
	}
	seen := map[string]int{}
	for i, n := range p.Nodes {
		at := func(field string) int { return l.at(fmt.Sprintf("nodes.%d.%s", i, field)) }
		if !remote.ValidHost(n.Host) {
			return refuse(name, at("host"), "%s", templates.Msg("plan.host", map[string]any{"N": i + 1, "Host": n.Host}))
		}
		if n.Role != "manager" && n.Role != "worker" {
			return refuse(name, at("role"), "%s", templates.Msg("plan.role", []string{n.Host, n.Role}))
		}
		if _, given := l[fmt.Sprintf("nodes.%d.port", i)]; given && (n.Port < 1 || n.Port > 65535) {
			return refuse(name, at("port"), "%s", templates.Msg("plan.port", map[string]any{"Host": n.Host, "Port": n.Port}))
		}
		key := n.Host + ":" + strconv.Itoa(n.Port)
		if first, dup := seen[key]; dup {
			return refuse(name, at("host"), "%s", templates.Msg("plan.twice", map[string]any{"Host": n.Host, "First": first}))
		}
		seen[key] = at("host")
	}
	if p.First() == nil {
		return refuse(name, l.at("nodes"), "%s", templates.Msg("plan.nomanager", nil))
	}
	if m := p.Managers(); m%2 == 0 && !p.AllowEvenManagers {
		return refuse(name, l.at("nodes"), "%s", templates.Msg("plan.even", m))
	}
	return nil
}

func refuse(name string, line int, format string, args ...any) error {
	msg := strings.ReplaceAll(fmt.Sprintf(format, args...), "\n", " ")
	msg = strings.Join(strings.Fields(msg), " ")
	return failure.Usagef("%s:%d: %s", name, line, msg)
}

var lineRE = regexp.MustCompile(`line (\d+)`)

func yamlLine(err error) int {
	if m := lineRE.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 1
}

// yamlMsg turns yaml's error into one line without its own "line N:" prefix.
func yamlMsg(err error) string {
	s := strings.TrimPrefix(err.Error(), "yaml: ")
	s = strings.TrimPrefix(s, "unmarshal errors:\n")
	s = lineRE.ReplaceAllString(s, "")
	s = strings.TrimLeft(strings.Join(strings.Fields(s), " "), ": ")
	if strings.Contains(s, "not found in type") {
		field := strings.Fields(s)[1]
		return templates.Msg("plan.unknownkey", field)
	}
	return s
}

// lines maps dotted paths (nodes.0.role) to line numbers.
type lines map[string]int

func (l lines) at(path string) int {
	for path != "" {
		if n, ok := l[path]; ok {
			return n
		}
		i := strings.LastIndexByte(path, '.')
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 1
}

func lineIndex(n *yaml.Node) lines {
	l := lines{}
	var walk func(prefix string, n *yaml.Node)
	walk = func(prefix string, n *yaml.Node) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				key := n.Content[i].Value
				path := key
				if prefix != "" {
					path = prefix + "." + key
				}
				l[path] = n.Content[i].Line
				walk(path, n.Content[i+1])
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				path := fmt.Sprintf("%s.%d", prefix, i)
				l[path] = c.Line
				walk(path, c)
			}
		}
	}
	walk("", n)
	return l
}

// numberKeys are the plan's whole-number keys and what a value must be.
var numberKeys = map[string]string{
	"ssh.port": "port", "port": "port", "init.dataPathPort": "port", "init.defaultAddrPoolMaskLength": "masklen",
}

// keyAt is the dotted key of the plan's scalar value on line (nodes' keys without their index).
func keyAt(n *yaml.Node, line int) string {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v.Kind == yaml.ScalarNode && v.Line == line {
				return k.Value
			}
			if sub := keyAt(v, line); sub != "" {
				return k.Value + "." + sub
			}
		}
	}
	if n.Kind == yaml.SequenceNode {
		for _, c := range n.Content {
			if sub := keyAt(c, line); sub != "" {
				return sub
			}
		}
	}
	return ""
}

// initKey is the init key a refusal of the options is about, for its line number.
func initKey(err error) string {
	if oe := (*docker.OptionError)(nil); errors.As(err, &oe) {
		return "init." + oe.Option
	}
	return "init"
}
