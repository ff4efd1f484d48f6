// Package create holds `swarmwiz create`'s own steps, one a file: the first manager and its
// address, how many managers and which, the members already there, the swarm's options,
// the preflight, the plan's summary, init, the joins, the roles, and the next steps.
package create
