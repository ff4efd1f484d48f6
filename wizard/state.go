package wizard

import (
	"net/http"
	"sync"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/internal/facts"
	"github.com/swarmwiz/swarmwiz/internal/remote"
)

// Role is a node's part in the swarm. There is no "master": the first manager is simply the
// manager where `docker swarm init` ran.
type Role string

// Roles.
const (
	Manager Role = "manager"
	Worker  Role = "worker"
)

// Node is one machine of the plan and what the run learned about it.
type Node struct {
	Host  string // address or name, as given
	Port  int    // 0: the SSH default
	User  string // "": the run's SSH user
	Role  Role
	Facts facts.Facts
	Conn  remote.Runner // open while the run lasts
	// Member: the node is already in the swarm being built (a re-run): nothing to do on it
	// but a role change. InRole is the role it has there now.
	Member bool
	InRole Role
	// LeaveOther: the node is in another swarm and leaves it, once the user has confirmed.
	LeaveOther bool
	// Stale are entries of the swarm's node list that carry this node's name but are not it
	// (a join that failed half-way): removed, once confirmed, before it joins again.
	Stale []string
	// Skew is the node's clock minus this machine's, in seconds, when the facts were read.
	Skew int64
	// ReadAhead: Connect already read the facts, right after this node's connection opened
	// (ReadAheadErr: how that went); ReadFacts takes them instead of reading again.
	ReadAhead    bool
	ReadAheadErr error

	// Lock is this run's hold on the node once tried (prelude.LockNodes; Connect tries it
	// with the facts where the flow locks); nil until then.
	Lock *NodeLock

	// docker is the HTTP client of Docker() that keeps its connection, made for the
	// connection dockerFor (guarded by dockerMu).
	docker    *http.Client
	dockerFor remote.Runner
}

// NodeLock is what a node's lock script said (prelude.LockNodes).
type NodeLock struct {
	Held   *remote.Held
	Got    bool   // locked
	None   bool   // the node has no flock: nothing to hold
	Holder string // who holds it, as its lock script wrote it ("" when free)
	Err    error  // the lock could not be tried
}

// Name is how the user knows the node: its hostname once read, its address before.
func (n *Node) Name() string {
	if n.Facts.Hostname != "" {
		return n.Facts.Hostname
	}
	return n.Host
}

// SSH is how every node is logged in to, unless a node (or ssh_config) says otherwise.
type SSH struct {
	User       string
	KeyFiles   []string
	KnownHosts string
	Port       int
	ConfigFile string        // ssh_config; "" is ~/.ssh/config
	Timeout    time.Duration // connect timeout; 0 is remote's default
}

// State is the plan and what the steps learned. It is passed to every step explicitly.
type State struct {
	LabName   string // the nodes are this practice lab's
	SSH       SSH
	Nodes     []*Node
	First     *Node  // the first manager: where init runs
	Advertise string // the first manager's advertise address
	Managers  int    // how many managers, the first included
	EvenOK    bool   // an even manager count was confirmed in advance (plan or flag)
	// Init are the options only `docker swarm init` takes (flags, the plan's init section, or
	// the wizard's proposal); PoolGiven: the address pool was given, not proposed.
	Init      docker.InitOptions
	PoolGiven bool
	// UnlockKeyFile is where the unlock key of an autolocked swarm is written (0600), once.
	UnlockKeyFile string
	Tokens        struct{ Manager, Worker string }
	// SwarmEnded: the last manager left, so there is no node table to show.
	SwarmEnded bool
	// Changed: this run changed some node (a re-run of a finished plan changes none).
	Changed bool
	// Login is the run's shared SSH authentication (agent, keys, passphrases, password),
	// made by the Connect step; Config is the ssh_config it honours.
	Login  *remote.Auth
	Config *remote.SSHConfig
	// Done is what changed on the nodes so far, in order: the account given on Ctrl-C or
	// failure. Steps that work on nodes in parallel add to it through Record.
	Done []string
	// Silent are the nodes left out because they did not answer over SSH (status and leave
	// go on without them), by the address they were given as.
	Silent []string
	mu     sync.Mutex
}

// Record adds one thing done to the account.
func (s *State) Record(what string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Done = append(s.Done, what)
	s.Changed = true
}

// ByRole lists the nodes of role r, in plan order.
func (s *State) ByRole(r Role) []*Node {
	var out []*Node
	for _, n := range s.Nodes {
		if n.Role == r {
			out = append(out, n)
		}
	}
	return out
}

// ToJoin lists the nodes of role r (any role when "") that still have to join: all but the
// first manager and the nodes already in the swarm being built.
func (s *State) ToJoin(r Role) []*Node {
	var out []*Node
	for _, n := range s.Nodes {
		if n != s.First && !n.Member && (r == "" || n.Role == r) {
			out = append(out, n)
		}
	}
	return out
}

// Close closes every node's connection.
func (s *State) Close() {
	for _, n := range s.Nodes {
		if n.Conn != nil {
			n.Conn.Close()
			n.Conn = nil
		}
	}
}
