package poll

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestUntil(t *testing.T) {
	b := Backoff{First: time.Millisecond, Max: 5 * time.Millisecond}
	n := 0
	if err := Until(context.Background(), time.Second, b, func(context.Context) (bool, error) { n++; return n == 3, nil }); err != nil || n != 3 {
		t.Errorf("done on the 3rd try: n=%d err=%v", n, err)
	}
	final := errors.New("final")
	if err := Until(context.Background(), time.Second, b, func(context.Context) (bool, error) { return false, final }); err != final {
		t.Errorf("a final error ends the wait: %v", err)
	}
	if err := Until(context.Background(), 20*time.Millisecond, b, func(context.Context) (bool, error) { return false, nil }); !errors.Is(err, ErrTimeout) {
		t.Errorf("want ErrTimeout, got %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Until(ctx, time.Second, b, func(context.Context) (bool, error) { return false, nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled run is not a timeout: %v", err)
	}
}
