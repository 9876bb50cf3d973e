//go:build !linux

package driver

import "fmt"

// openRawEthernet: raw Ethernet (AF_PACKET) is Linux only.
func openRawEthernet(driver, iface string) (frameWriter, error) {
	return nil, fmt.Errorf("%s: raw Ethernet output needs Linux (AF_PACKET); run the agent on the Linux box cabled to the card", driver)
}
