package cluster

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/pano-signage/pano/controller/internal/childproc"
	"github.com/pano-signage/pano/protocol"
)

// The bus against the NATS server operators install (Debian's
// nats-server package, 2.9 on bookworm) as a process of its own, not the
// library the other tests embed: a change and a forwarded command cross,
// and again after the server was killed and started anew.
func TestBusOnDebianNatsServer(t *testing.T) {
	bin := natsServerBinary(t)
	p, addr := startNatsServer(t, bin, "-1")
	url := "nats://" + addr

	a, b := startReplica(t, url, Options{}), startReplica(t, url, Options{})
	onB := recordChanges(b.bus)
	ag := connect(t, b, 11)
	cross := func(id int64) {
		t.Helper()
		a.bus.PublishChange("campaign", id)
		if got := nextChange(t, onB); got != (changeSeen{"campaign", id}) {
			t.Fatalf("B saw %+v, want campaign %d", got, id)
		}
		ref, err := a.bus.Command(11, protocol.Command{Name: protocol.CmdIdentify})
		if err != nil {
			t.Fatalf("command through A: %v", err)
		}
		if env := ag.next(t); env.ID != ref {
			t.Fatalf("agent got %s %q, want the command %q", env.Type, env.ID, ref)
		}
	}
	cross(1)

	var ups []chan nats.Status
	for _, r := range []*replica{a, b} {
		ch := r.bus.nc.StatusChanged(nats.CONNECTED)
		defer r.bus.nc.RemoveStatusListener(ch)
		ups = append(ups, ch)
	}
	p.Kill()
	_, port, _ := net.SplitHostPort(addr)
	startNatsServer(t, bin, port)
	for _, ch := range ups {
		waitStatus(t, ch, nats.CONNECTED)
	}
	flush(t, a.bus)
	flush(t, b.bus)
	cross(2)
}

// startNatsServer runs bin on loopback at port ("-1": any) until the test
// ends, and returns it once it is ready, with its address.
func startNatsServer(t *testing.T, bin, port string) (*childproc.Proc, string) {
	t.Helper()
	p, err := childproc.Start(filepath.Join(t.TempDir(), "nats-server.log"), nil, bin, "-a", "127.0.0.1", "-p", port)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	line, err := p.WaitLine(regexp.MustCompile(`Listening for client connections on \S+`), 10*time.Second)
	if err != nil {
		t.Fatalf("nats-server: %v\n%s", err, p.Tail())
	}
	if _, err := p.WaitLine(regexp.MustCompile(`Server is ready`), 10*time.Second); err != nil {
		t.Fatalf("nats-server: %v\n%s", err, p.Tail())
	}
	return p, regexp.MustCompile(`on (\S+)$`).FindStringSubmatch(line)[1]
}

// natsServerBinary finds Debian's nats-server (in /usr/sbin, often not on
// a user's PATH); missing, the test skips, except under CI=true.
func natsServerBinary(t *testing.T) string {
	t.Helper()
	if bin, err := exec.LookPath("nats-server"); err == nil {
		return bin
	}
	if _, err := os.Stat("/usr/sbin/nats-server"); err == nil {
		return "/usr/sbin/nats-server"
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("nats-server is not installed (apt-get install nats-server; scripts/install-deps.sh does)")
	}
	t.Skip("nats-server is not installed (apt-get install nats-server)")
	return ""
}
