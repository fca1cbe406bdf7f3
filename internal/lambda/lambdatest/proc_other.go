//go:build !unix

package lambdatest

import "os/exec"

func setProcAttr(*exec.Cmd) {}

func stop(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}
