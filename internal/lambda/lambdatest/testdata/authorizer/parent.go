package main

import (
	"os"
	"time"
)

// exitWithParent ends the function when the emulator that started it is
// gone (it runs functions in their own process group, so stopping the
// emulator does not reach them).
func exitWithParent() {
	ppid := os.Getppid()
	for range time.Tick(100 * time.Millisecond) {
		if os.Getppid() != ppid {
			os.Exit(0)
		}
	}
}
