//go:build !unix

package datadir

import (
	"errors"
	"os"
	"runtime"
)

var errHeld = errors.New("held elsewhere")

// tryLock refuses: without a lock a second node could share the directory.
func tryLock(*os.File) error {
	return errors.New("locking a data directory is not implemented on " + runtime.GOOS)
}

func unlock(*os.File) error { return nil }
