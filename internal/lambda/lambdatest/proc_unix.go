//go:build unix

package lambdatest

import (
	"os/exec"
	"syscall"
)

// setProcAttr puts the emulator in its own process group, so that stop
// reaches whatever it started in that group.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// stop kills the emulator's process group. (The emulator runs the function
// in a group of its own; the shipped handlers exit when the emulator is
// gone.)
func stop(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}
