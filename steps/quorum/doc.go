// Package quorum holds the commands about a running swarm's managers and nodes: status (and
// --watch), leave, promote and demote, recover from a lost quorum, and the failover drill.
package quorum
