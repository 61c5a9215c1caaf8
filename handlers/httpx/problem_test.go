package httpx_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/waorder/waorder/handlers/httpx"
	"github.com/waorder/waorder/models"
)

func TestProblemOf_EachCodeHasItsStatusAndASafeMessage(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("load thing 7: %w", err) }
	for _, tt := range []struct {
		name string
		err  error
		want httpx.Problem
	}{
		{"invalid names its field", wrap(models.Invalid("price", "must be positive")),
			httpx.Problem{Status: http.StatusBadRequest, Code: "invalid_price", Message: "price: must be positive"}},
		{"not found", wrap(models.ErrNotFound), httpx.Problem{Status: http.StatusNotFound, Code: "not_found", Message: "not found"}},
		{"invalid transition", wrap(models.ErrInvalidTransition.With("delivered to pending")),
			httpx.Problem{Status: http.StatusConflict, Code: "invalid_transition", Message: "invalid status transition: delivered to pending"}},
		{"taken retailer id", wrap(models.ErrRetailerIDTaken), httpx.Problem{Status: http.StatusConflict, Code: "conflict",
			Message: "retailer_id: another product already uses this retailer id"}},
		{"taken email", wrap(models.ErrEmailTaken), httpx.Problem{Status: http.StatusConflict, Code: "conflict",
			Message: "email: another login already uses this email"}},
		{"taken number", wrap(models.ErrNumberTaken), httpx.Problem{Status: http.StatusConflict, Code: "conflict",
			Message: "phone number belongs to another business"}},
		{"unauthorized", wrap(models.ErrBadToken), httpx.Problem{Status: http.StatusUnauthorized, Code: "unauthorized",
			Message: "auth: invalid api token"}},
		{"forbidden", wrap(models.ErrForbidden), httpx.Problem{Status: http.StatusForbidden, Code: "forbidden",
			Message: "auth: only the business owner can do this"}},
		{"rate limited", wrap(models.ErrRateLimited), httpx.Problem{Status: http.StatusTooManyRequests, Code: "rate_limited",
			Message: "auth: too many failed logins"}},
		{"unavailable hides its cause", wrap(models.ErrCacheUnavailable), httpx.Problem{Status: http.StatusServiceUnavailable,
			Code: "unavailable", Message: "temporarily unavailable, retry later"}},
		{"a deadline is an outage", wrap(context.DeadlineExceeded), httpx.Problem{Status: http.StatusServiceUnavailable,
			Code: "unavailable", Message: "temporarily unavailable, retry later"}},
		{"anything else is internal and says nothing", wrap(errors.New("pq: secret table broke")),
			httpx.Problem{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error"}},
	} {
		if got := httpx.ProblemOf(tt.err); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
