//go:build !linux

package lab

import (
	"context"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// The practice lab runs on Linux only (CheckHost refuses elsewhere before anything starts);
// these stand-ins let the rest of swarmwiz build for macOS and Windows.

func detached() *syscall.SysProcAttr                                      { return nil }
func lockFile(*os.File) error                                             { return nil }
func rmdir(p string)                                                      { _ = os.Remove(p) }
func writePIDFile(string, int) error                                      { return nil }
func livePID(string) int                                                  { return 0 }
func stopRecorded(context.Context, string, syscall.Signal, time.Duration) {}
func startInGroup(cmd *exec.Cmd, _ string) error                          { return cmd.Start() }
func killGroup(context.Context, string, time.Duration) error              { return nil }
