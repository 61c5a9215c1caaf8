package config

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// TrustedProxyList parses TRUSTED_PROXIES: comma-separated IP addresses or CIDR ranges of the proxies (load
// balancers) in front of the service, whose X-Forwarded-For and X-Forwarded-Proto are believed. Empty: none, so
// the peer address is the client and forwarded headers are ignored.
func (c Config) TrustedProxyList() ([]string, error) {
	var out []string
	for _, f := range strings.Split(c.TrustedProxies, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if strings.Contains(f, "/") {
			if _, err := netip.ParsePrefix(f); err != nil {
				return nil, fmt.Errorf("has %q, which is not a CIDR range like 10.0.0.0/8", f)
			}
		} else if _, err := netip.ParseAddr(f); err != nil {
			return nil, fmt.Errorf("has %q, which is not an IP address", f)
		}
		out = append(out, f)
	}
	return out, nil
}

// isLoopback reports whether host is localhost or a loopback address: plain http to it never leaves the machine.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
