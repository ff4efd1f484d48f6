// Package prelude holds the steps every flow begins with (where the nodes are, SSH logins,
// connecting, sudo, reading each node's facts, locking the nodes) and what every family of
// steps uses: the catalog's sentences, the bounded fan-out over nodes, waits that say what
// they wait for, the swarm's node list and health, role changes, and the firewall command
// that opens a port on a node.
package prelude
