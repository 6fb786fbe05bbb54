//go:build unix

package drivers

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup runs the command in a process group of its own and ends
// the whole group on cancellation, so a browser the script started does not
// outlive it.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		if cmd.Process == nil {
			return nil
		}
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
