package handlers

import "github.com/gofiber/fiber/v2"

// apiError is the JSON API's error shape: {"error":{"code":"…","message":"…"}}.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func errorBody(code, message string) apiError {
	var e apiError
	e.Error.Code, e.Error.Message = code, message
	return e
}

// jsonError answers status with the API's error shape.
func jsonError(c *fiber.Ctx, status int, code, message string) error {
	return c.Status(status).JSON(errorBody(code, message))
}
