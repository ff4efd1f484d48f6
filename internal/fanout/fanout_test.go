package fanout

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// Every item runs, never more than the limit at once, and each keeps its own error.
func TestEachBoundedKeepsEveryError(t *testing.T) {
	var running, most atomic.Int32
	items := []int{0, 1, 2, 3, 4, 5, 6, 7}
	errs := Each(items, 3, func(i, item int) error {
		n := running.Add(1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(10 * time.Millisecond)
		running.Add(-1)
		if item%2 == 1 {
			return errors.New("odd")
		}
		return nil
	})
	if most.Load() > 3 || most.Load() < 2 {
		t.Errorf("at most 3 at once, saw %d", most.Load())
	}
	for i, err := range errs {
		if (i%2 == 1) != (err != nil) {
			t.Errorf("item %d: %v", i, err)
		}
	}
}
