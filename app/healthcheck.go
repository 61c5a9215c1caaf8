package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// healthcheck asks the instance on this machine for GET /health and fails unless it answers 200 ("ok", or
// "degraded" without Valkey). It is the container image's HEALTHCHECK: distroless images have no curl.
func healthcheck(ctx context.Context, port int, stdout io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 4*time.Second)
	defer cancel()
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/health"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %d: %s", url, resp.StatusCode, body)
	}
	fmt.Fprintf(stdout, "%s\n", body)
	return nil
}
