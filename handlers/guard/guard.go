// Package guard holds the request guards every door of the HTTP server shares: refusing compressed request
// bodies, the security headers (CSP and friends), the client's address and scheme behind trusted proxies, and the
// caps on live-feed streams. It knows nothing of the service's domain.
package guard

import (
	"strings"

	"github.com/gofiber/fiber/v2"
)

// IdentityBodyOnly answers 415 to a request whose body is compressed (any Content-Encoding but identity), before
// anything reads the body. Fiber's c.Body() inflates every listed encoding with no output cap, so a 200 KB gzip
// bomb would become a gigabyte in memory before a signature or a token is even checked; Meta and API clients send
// plain bodies, and browsers never compress requests, so nothing legitimate is lost.
func IdentityBodyOnly() fiber.Handler {
	return func(c *fiber.Ctx) error {
		encoded := false
		c.Request().Header.VisitAll(func(k, v []byte) {
			if strings.EqualFold(string(k), fiber.HeaderContentEncoding) && !identity(string(v)) {
				encoded = true
			}
		})
		if encoded {
			return fiber.NewError(fiber.StatusUnsupportedMediaType,
				"compressed request bodies are not accepted; send the body without Content-Encoding")
		}
		return c.Next()
	}
}

// identity reports whether a Content-Encoding value lists only "identity" (or nothing).
func identity(v string) bool {
	for _, e := range strings.Split(v, ",") {
		if e = strings.TrimSpace(e); e != "" && !strings.EqualFold(e, "identity") {
			return false
		}
	}
	return true
}
