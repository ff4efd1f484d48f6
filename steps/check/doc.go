// Package check is `swarmwiz check`: a probe on every node, every directed pair tested over
// an overlay, and a diagnosis made from evidence (internal/diagnose: a pure function from
// the evidence to the cause; check gives it the words and the fix). Its API for the other
// families: LoadProbeOn (the drill's service runs the probe) and ReadSwarmGossip (status
// reads docker's gossip log as check does).
package check
