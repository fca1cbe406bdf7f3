//go:build !linux

package memlock

var lockAll = func() error { return ErrUnsupported }

var unlockAll = func() error { return nil }

func explain(err error) string { return err.Error() }
