package api

import (
	_ "embed"

	"github.com/gofiber/fiber/v2"
)

// OpenAPIFile is where the description of /api/v1 lives in the repository; the route test names it when a route is
// missing from it.
const OpenAPIFile = "handlers/api/openapi.json"

// openAPISpec is the OpenAPI 3 description of /api/v1, kept true by a test that compares it with the registered
// routes.
//
//go:embed openapi.json
var openAPISpec []byte

// openAPI serves the description without authentication: it holds nothing secret, and clients read it before
// they have a token.
func openAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	c.Type("json")
	return c.Send(openAPISpec)
}
