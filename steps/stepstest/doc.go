// Package stepstest is the steps' unit tests' fakes: a cluster of fake nodes, an Env that
// dials them, and scripted answers.
package stepstest
