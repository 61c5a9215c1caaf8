package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultTimeout bounds each Graph API call of a Client made without an http.Client of its own.
const DefaultTimeout = 15 * time.Second

// maxResponseBody caps what is read of a Graph API answer; real ones are a few hundred bytes.
const maxResponseBody = 1 << 20

// Client calls the WhatsApp Cloud API through the Graph API. One Client serves every business: the access
// token is passed on each call, as each phone number has its own. It keeps no state besides its http.Client and
// is safe for concurrent use. It never logs, and its errors never contain a token or an app secret.
type Client struct {
	baseURL string
	version string
	http    *http.Client
}

// NewClient returns a client for baseURL (e.g. "https://graph.facebook.com") and version (e.g. "v23.0"). A
// nil httpClient means one with DefaultTimeout.
func NewClient(baseURL, version string, httpClient *http.Client) *Client {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: DefaultTimeout}
	}
	return &Client{baseURL: strings.TrimRight(baseURL, "/"), version: strings.Trim(version, "/"), http: httpClient}
}

// PhoneNumberInfo is what the Graph API says about a business phone number.
type PhoneNumberInfo struct {
	ID                 string `json:"id"`
	DisplayPhoneNumber string `json:"display_phone_number"`
	VerifiedName       string `json:"verified_name"`
	QualityRating      string `json:"quality_rating"` // GREEN, YELLOW, RED or UNKNOWN
}

// Send posts a marshalled OutgoingMessage from the business phone number phoneNumberID and returns the wamid
// Meta gave it (messages[0].id). Acceptance is not delivery: status webhooks say what happens next. On a
// timeout the message may still have been sent; IsRetryable is true all the same, so a retry can duplicate it.
func (c *Client) Send(ctx context.Context, phoneNumberID, token string, payload []byte) (string, error) {
	var out struct {
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	if err := needPhoneNumberID(phoneNumberID); err != nil {
		return "", err
	}
	if err := c.do(ctx, "send", http.MethodPost, c.nodeURL(phoneNumberID, "messages"), token, payload, &out); err != nil {
		return "", err
	}
	if len(out.Messages) == 0 || out.Messages[0].ID == "" {
		return "", fmt.Errorf("whatsapp: send: no message id in the answer: %w", ErrUnexpectedResponse)
	}
	return out.Messages[0].ID, nil
}

// SendMessage validates m, then sends it like Send.
func (c *Client) SendMessage(ctx context.Context, phoneNumberID, token string, m OutgoingMessage) (string, error) {
	if err := m.Validate(); err != nil {
		return "", err
	}
	payload, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("whatsapp: send: encode message: %w", err)
	}
	return c.Send(ctx, phoneNumberID, token, payload)
}

// MarkRead marks the customer's message wamid (and the earlier ones) as read: two blue ticks. With typing, the
// customer also sees a typing indicator until the reply arrives or 25 seconds pass.
func (c *Client) MarkRead(ctx context.Context, phoneNumberID, token, wamid string, typing bool) error {
	if err := needPhoneNumberID(phoneNumberID); err != nil {
		return err
	}
	type indicator struct {
		Type string `json:"type"`
	}
	body := struct {
		MessagingProduct string     `json:"messaging_product"`
		Status           string     `json:"status"`
		MessageID        string     `json:"message_id"`
		TypingIndicator  *indicator `json:"typing_indicator,omitempty"`
	}{MessagingProduct: "whatsapp", Status: "read", MessageID: wamid}
	if typing {
		body.TypingIndicator = &indicator{Type: "text"}
	}
	payload, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("whatsapp: mark read: %w", err)
	}
	var out struct {
		Success bool `json:"success"`
	}
	if err := c.do(ctx, "mark read", http.MethodPost, c.nodeURL(phoneNumberID, "messages"), token, payload, &out); err != nil {
		return err
	}
	if !out.Success {
		return fmt.Errorf("whatsapp: mark read: no success in the answer: %w", ErrUnexpectedResponse)
	}
	return nil
}

// PhoneNumber reads a business phone number's display number, verified name and quality rating; with a token
// someone pasted, it shows that the token works for that number.
func (c *Client) PhoneNumber(ctx context.Context, phoneNumberID, token string) (PhoneNumberInfo, error) {
	if err := needPhoneNumberID(phoneNumberID); err != nil {
		return PhoneNumberInfo{}, err
	}
	u := c.nodeURL(phoneNumberID, "") + "?fields=display_phone_number,verified_name,quality_rating"
	var info PhoneNumberInfo
	if err := c.do(ctx, "get phone number", http.MethodGet, u, token, nil, &info); err != nil {
		return PhoneNumberInfo{}, err
	}
	if info.DisplayPhoneNumber == "" {
		return PhoneNumberInfo{}, fmt.Errorf("whatsapp: get phone number: no display_phone_number: %w", ErrUnexpectedResponse)
	}
	if info.ID == "" {
		info.ID = phoneNumberID
	}
	return info, nil
}

// ExchangeCode trades the code Embedded Signup gave the browser for a business access token.
func (c *Client) ExchangeCode(ctx context.Context, appID, appSecret, code string) (string, error) {
	q := url.Values{"client_id": {appID}, "client_secret": {appSecret}, "code": {code}}
	u := c.nodeURL("oauth", "access_token") + "?" + q.Encode()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := c.do(ctx, "exchange code", http.MethodGet, u, "", nil, &out); err != nil {
		return "", err
	}
	if out.AccessToken == "" {
		return "", fmt.Errorf("whatsapp: exchange code: no access_token in the answer: %w", ErrUnexpectedResponse)
	}
	return out.AccessToken, nil
}

// needPhoneNumberID refuses an empty id, which would address another Graph API node.
func needPhoneNumberID(id string) error {
	if strings.TrimSpace(id) == "" {
		return &ValidationError{Field: "phone_number_id", Reason: "is required"}
	}
	return nil
}

// nodeURL is {baseURL}/{version}/{node}[/{edge}].
func (c *Client) nodeURL(node, edge string) string {
	u := c.baseURL
	if c.version != "" {
		u += "/" + c.version
	}
	u += "/" + url.PathEscape(node)
	if edge != "" {
		u += "/" + edge
	}
	return u
}

// do makes one request and decodes a 2xx JSON answer into out. Errors are *TransportError, *APIError or wrap
// ErrUnexpectedResponse; none of them carries the URL (the code exchange has the app secret in it) or token.
func (c *Client) do(ctx context.Context, op, method, u, token string, body []byte, out any) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("whatsapp: %s: %w", op, err)
	}
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, reader)
	if err != nil {
		return fmt.Errorf("whatsapp: %s: bad request URL", op) // not %w: url.Error would show the URL
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return &TransportError{Op: op, Err: withoutURL(err)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if err != nil {
		return &TransportError{Op: op, Err: withoutURL(err)}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return parseAPIError(resp.StatusCode, resp.Header, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("whatsapp: %s: answer is not the expected JSON: %w", op, ErrUnexpectedResponse)
	}
	return nil
}

// withoutURL drops the *url.Error layer, whose message holds the full URL, keeping its cause.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
