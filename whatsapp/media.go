package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// ErrMediaTooLarge is returned by DownloadMedia for a file over the size it was allowed.
var ErrMediaTooLarge = errors.New("media is larger than allowed")

// MediaInfo is what GET /{media-id} says about media a customer sent: a download URL that works for a few minutes
// with the business's token, and the file's type, size and SHA-256.
type MediaInfo struct {
	ID       string `json:"id"`
	URL      string `json:"url"`
	MimeType string `json:"mime_type"`
	SHA256   string `json:"sha256"`
	FileSize int64  `json:"file_size"`
}

// Media looks up a media id from a webhook (image.id, audio.id, document.id, ...).
func (c *Client) Media(ctx context.Context, token, mediaID string) (MediaInfo, error) {
	if strings.TrimSpace(mediaID) == "" {
		return MediaInfo{}, &ValidationError{Field: "media_id", Reason: "is required"}
	}
	var info MediaInfo
	if err := c.do(ctx, "get media", http.MethodGet, c.nodeURL(mediaID, ""), token, nil, &info); err != nil {
		return MediaInfo{}, err
	}
	if info.URL == "" {
		return MediaInfo{}, fmt.Errorf("whatsapp: get media: no url in the answer: %w", ErrUnexpectedResponse)
	}
	return info, nil
}

// DownloadMedia fetches a URL from Media with the token and returns the bytes and their content type. More than
// maxBytes is refused with ErrMediaTooLarge, without reading the rest.
func (c *Client) DownloadMedia(ctx context.Context, token, mediaURL string, maxBytes int64) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, mediaURL, nil)
	if err != nil {
		return nil, "", fmt.Errorf("whatsapp: download media: bad URL")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, "", &TransportError{Op: "download media", Err: withoutURL(err)}
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
		return nil, "", parseAPIError(resp.StatusCode, resp.Header, data)
	}
	if resp.ContentLength > maxBytes {
		return nil, "", fmt.Errorf("whatsapp: download media: %d bytes: %w", resp.ContentLength, ErrMediaTooLarge)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBytes+1))
	if err != nil {
		return nil, "", &TransportError{Op: "download media", Err: withoutURL(err)}
	}
	if int64(len(data)) > maxBytes {
		return nil, "", fmt.Errorf("whatsapp: download media: over %d bytes: %w", maxBytes, ErrMediaTooLarge)
	}
	ctype, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	return data, ctype, nil
}
