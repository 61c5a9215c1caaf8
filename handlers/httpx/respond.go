// Package httpx holds what every door under handlers/ shares to read a request and answer it: the :id path
// parameter, the JSON error shape, and the one mapping from a service error to a status. It knows Fiber and our
// services' errors; it must not hold routes, pages or any door's own rules.
package httpx

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"
)

// ErrorBody is the JSON error shape every door answers: {"error":{"code":"…","message":"…"}}.
type ErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// NewErrorBody is the error shape with code and message set.
func NewErrorBody(code, message string) ErrorBody {
	var e ErrorBody
	e.Error.Code, e.Error.Message = code, message
	return e
}

// JSONError answers status with the JSON error shape.
func JSONError(c *fiber.Ctx, status int, code, message string) error {
	return c.Status(status).JSON(NewErrorBody(code, message))
}

// PathID parses the :id path parameter; a malformed or non-positive id is reported like an unknown one, so the
// caller answers 404 for both.
func PathID(c *fiber.Ctx) (int64, bool) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	return id, err == nil && id > 0
}

// RouterError is the status and message of an error the router or a middleware raised (a *fiber.Error); any other
// error is 500 "internal error", its cause left for the log.
func RouterError(err error) (int, string) {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		return fe.Code, fe.Message
	}
	return fiber.StatusInternalServerError, "internal error"
}

// CodeName is the error code of a status the router or a middleware raised (404 for an unknown route, 413, …).
func CodeName(status int) string {
	switch status {
	case fiber.StatusNotFound:
		return "not_found"
	case fiber.StatusRequestEntityTooLarge:
		return "too_large"
	case fiber.StatusMethodNotAllowed:
		return "method_not_allowed"
	case fiber.StatusBadRequest:
		return "bad_request"
	case fiber.StatusUnauthorized:
		return "unauthorized"
	case fiber.StatusForbidden:
		return "forbidden"
	case fiber.StatusTooManyRequests:
		return "rate_limited"
	}
	if status >= 500 {
		return "internal"
	}
	return "error"
}
