package childproc

import (
	"os/exec"
	"syscall"
)

// dieWithParent has the kernel kill the child when its parent dies, so that
// a bench ended by Ctrl-C or a timeout leaves no controller behind.
func dieWithParent(c *exec.Cmd) {
	c.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
