package httpx

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/waorder/waorder/merchant"
	"github.com/waorder/waorder/repository"
)

// Problem is how a door answers a service error: the status, a stable code and a message safe to show.
type Problem struct {
	Status  int
	Code    string
	Message string
}

// ProblemOf maps a service error to its answer, once for every door: bad input is 400 naming the field, an
// unknown id (or another business's) 404, an impossible status change or a taken retailer id 409, the database
// unreachable 503, and anything else 500, whose cause only the log may tell.
func ProblemOf(err error) Problem {
	if v, ok := merchant.AsValidation(err); ok {
		return Problem{fiber.StatusBadRequest, "invalid_" + v.Field, v.Error()}
	}
	switch {
	case errors.Is(err, repository.ErrNotFound):
		return Problem{fiber.StatusNotFound, "not_found", "not found"}
	case errors.Is(err, repository.ErrInvalidTransition):
		return Problem{fiber.StatusConflict, "invalid_transition", transitionMessage(err)}
	case errors.Is(err, repository.ErrConflict):
		return Problem{fiber.StatusConflict, "conflict", "retailer_id: another product already uses this retailer id"}
	case repository.IsUnavailable(err):
		return Problem{fiber.StatusServiceUnavailable, "unavailable", "temporarily unavailable, retry later"}
	}
	return Problem{fiber.StatusInternalServerError, "internal", "internal error"}
}

// transitionMessage keeps the wrapped error from "invalid status transition" on, without what the service was
// doing around it.
func transitionMessage(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, repository.ErrInvalidTransition.Error()); i >= 0 {
		msg = msg[i:]
	}
	return msg
}
