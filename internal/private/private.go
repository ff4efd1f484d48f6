// Package private writes files that may hold a secret, or that a secret may one day be
// written into: mode 0600, and an existing file is tightened to it too, since O_CREATE's mode
// applies only to a file it creates. Plans, runbooks and unlock keys are written this way.
package private

import "os"

// Create opens path for writing, truncated, mode 0600.
func Create(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// WriteFile writes data to path, mode 0600.
func WriteFile(path string, data []byte) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
