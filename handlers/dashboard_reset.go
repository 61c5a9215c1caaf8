package handlers

import "github.com/gofiber/fiber/v2"

// resetRoutes registers password reset by one-time link and member removal (they build on the password and
// user operations of package auth).
func (d *Dashboard) resetRoutes(fiber.Router, func(fiber.Handler) []fiber.Handler) {}
