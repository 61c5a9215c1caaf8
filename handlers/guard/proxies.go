package guard

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// Proxies are the trusted proxies (TRUSTED_PROXIES) in front of the service. Only a request arriving from one of
// them has its X-Forwarded-For and X-Forwarded-Proto believed; from anyone else they are ignored, so a client can
// neither choose its address (and dodge the login limit) nor claim https.
type Proxies struct {
	list     []string
	prefixes []netip.Prefix
}

// ParseProxies reads IP addresses and CIDR ranges.
func ParseProxies(list []string) (Proxies, error) {
	p := Proxies{list: list}
	for _, s := range list {
		var pre netip.Prefix
		var err error
		if strings.Contains(s, "/") {
			pre, err = netip.ParsePrefix(s)
		} else {
			var a netip.Addr
			a, err = netip.ParseAddr(s)
			pre = netip.PrefixFrom(a, a.BitLen())
		}
		if err != nil {
			return Proxies{}, fmt.Errorf("trusted proxy %q: %w", s, err)
		}
		p.prefixes = append(p.prefixes, pre.Masked())
	}
	return p, nil
}

// Configure turns on Fiber's trusted-proxy check with this list, so c.Protocol() (and c.Secure(), the cookies'
// Secure flag and HSTS) believe X-Forwarded-Proto only from a trusted proxy. c.IP() stays the peer's address:
// ClientIP is the client's.
func (p Proxies) Configure(cfg *fiber.Config) {
	cfg.EnableTrustedProxyCheck = true
	cfg.TrustedProxies = p.list
	cfg.ProxyHeader = ""
}

func (p Proxies) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, pre := range p.prefixes {
		if pre.Contains(a) {
			return true
		}
	}
	return false
}

const clientIPKey = "guard.client_ip"

// Middleware records the client's address for ClientIP: the peer's, or, when the peer is a trusted proxy, the
// right-most address of X-Forwarded-For that is not itself a trusted proxy. (Fiber's own c.IP() with a proxy header
// takes the left-most address, which the client writes.)
func (p Proxies) Middleware() fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Locals(clientIPKey, p.clientIP(c))
		return c.Next()
	}
}

func (p Proxies) clientIP(c *fiber.Ctx) string {
	peer, ok := netip.AddrFromSlice(c.Context().RemoteIP())
	if !ok {
		return c.IP()
	}
	peer = peer.Unmap()
	if !p.trusted(peer) {
		return peer.String()
	}
	hops := strings.Split(c.Get(fiber.HeaderXForwardedFor), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a hop we can't read: stop at the last address we could vouch for
		}
		peer = a.Unmap()
		if !p.trusted(peer) {
			break
		}
	}
	return peer.String()
}

// ClientIP is the client's address as Middleware resolved it (the peer's address without it).
func ClientIP(c *fiber.Ctx) string {
	if ip, ok := c.Locals(clientIPKey).(string); ok {
		return ip
	}
	return c.IP()
}
