// Package fanout is the one way swarmwiz works on many nodes at once: a bounded parallel
// loop (errgroup with a limit) that waits for every item and keeps each item's own error.
package fanout

import "golang.org/x/sync/errgroup"

// Each runs fn for every item, at most limit at a time (limit < 1: all at once), waits for
// all of them, and returns each item's error at its index: one node failing does not stop
// the others.
func Each[T any](items []T, limit int, fn func(i int, item T) error) []error {
	var g errgroup.Group
	if limit > 0 {
		g.SetLimit(limit)
	}
	errs := make([]error, len(items))
	for i, it := range items {
		g.Go(func() error {
			errs[i] = fn(i, it)
			return nil
		})
	}
	_ = g.Wait()
	return errs
}
