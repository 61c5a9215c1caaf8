package httpx

import (
	"errors"

	"github.com/gofiber/fiber/v2"
	"github.com/waorder/waorder/models"
)

// Problem is how a door answers a service error: the status, a stable code and a message safe to show.
type Problem struct {
	Status  int
	Code    string
	Message string
}

// ProblemOf maps a service error to its answer by its code (models.ErrorCode), once for every door: bad input is
// 400 naming the field, an unknown id (or another business's) 404, an impossible status change or a taken key
// (saying which) 409, the database or another dependency unreachable 503, and anything else 500, whose cause only
// the log may tell.
func ProblemOf(err error) Problem {
	e, _ := models.AsError(err)
	switch models.ErrorCode(err) {
	case models.EINVALID:
		return Problem{fiber.StatusBadRequest, "invalid_" + e.Field, e.Error()}
	case models.ENOTFOUND:
		return Problem{fiber.StatusNotFound, "not_found", "not found"}
	case models.ECONFLICT:
		if errors.Is(err, models.ErrInvalidTransition) {
			return Problem{fiber.StatusConflict, "invalid_transition", e.Message}
		}
		return Problem{fiber.StatusConflict, "conflict", e.Error()} // a taken key names itself: "retailer_id: …"
	case models.EUNAUTHORIZED:
		return Problem{fiber.StatusUnauthorized, "unauthorized", e.Message}
	case models.EFORBIDDEN:
		return Problem{fiber.StatusForbidden, "forbidden", e.Message}
	case models.ERATELIMITED:
		return Problem{fiber.StatusTooManyRequests, "rate_limited", e.Message}
	case models.EUNAVAILABLE: // the repository gives a database outage this code; the cause is for the log
		return Problem{fiber.StatusServiceUnavailable, "unavailable", "temporarily unavailable, retry later"}
	}
	return Problem{fiber.StatusInternalServerError, "internal", "internal error"}
}
