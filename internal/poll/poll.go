// Package poll waits for something to become true on a node, asking again with backoff:
// often at first, since most waits end within a second, then more gently, never past a
// deadline or a cancelled context.
package poll

import (
	"context"
	"errors"
	"time"
)

// Backoff is how long to wait between tries: First, then each wait times Factor (1.5 when
// zero), at most Max.
type Backoff struct {
	First, Max time.Duration
	Factor     float64
}

// ErrTimeout is a wait that ran out of time with the condition still false.
var ErrTimeout = errors.New("timed out")

// Until calls try until it reports done or a final error, waiting b between tries, for at
// most timeout (0: until ctx ends). It returns ErrTimeout when time ran out, and ctx's error
// when ctx ended first.
func Until(ctx context.Context, timeout time.Duration, b Backoff, try func(ctx context.Context) (done bool, err error)) error {
	parent := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	factor := b.Factor
	if factor == 0 {
		factor = 1.5
	}
	for delay := b.First; ; delay = min(time.Duration(float64(delay)*factor), b.Max) {
		done, err := try(ctx)
		if done || err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			if err := parent.Err(); err != nil {
				return err
			}
			return ErrTimeout
		case <-time.After(delay):
		}
	}
}
