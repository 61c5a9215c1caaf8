package fakegraph

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// KindMedia and KindMediaDownload are the two steps of fetching media a customer sent.
const (
	KindMedia         = "media"          // GET /{version}/{media-id}: its URL and type
	KindMediaDownload = "media_download" // GET the URL, with the bearer token
)

// media is one file the fake serves.
type media struct {
	mimeType string
	data     []byte
	held     chan struct{} // non-nil while HoldMedia holds its lookups back; closed on release
}

// AddMedia makes the fake serve data as the media id: GET /{id} answers its download URL (on this server, below
// the same prefix), and that URL answers data with its type, given the token. FailNext(KindMedia, …) makes the
// next lookups fail instead.
func (s *Server) AddMedia(id, mimeType string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.media[id] = media{mimeType: mimeType, data: append([]byte(nil), data...)}
}

// HoldMedia makes lookups of the media id wait (until release, or until the client gives up) before they are
// answered: a file Meta is slow to hand over, for as long as a test needs, whatever the client's retry times.
// The id must have been added; release may be called more than once.
func (s *Server) HoldMedia(id string) (release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.media[id]
	held := make(chan struct{})
	m.held = held
	s.media[id] = m
	var once sync.Once
	return func() { once.Do(func() { close(held) }) }
}

func (s *Server) mediaOf(id string) (media, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.media[id]
	return m, ok
}

// serveMedia answers the media routes; false when the request is not for a known media id.
func (s *Server) serveMedia(w http.ResponseWriter, r *http.Request, req Request, parts []string) bool {
	n := len(parts)
	if r.Method != http.MethodGet || n < 1 {
		return false
	}
	if m, ok := s.mediaOf(parts[n-1]); ok {
		req.Kind = KindMedia
		at := s.record(req)
		if m.held != nil {
			select {
			case <-m.held:
			case <-r.Context().Done():
				return true // the client gave up: it gets nothing, and the request stays unanswered (Status 0)
			}
		}
		if resp := s.authError(req); !resp.isZero() {
			s.finish(w, at, resp)
			return true
		}
		if resp := s.scripted(KindMedia); !resp.isZero() {
			s.finish(w, at, resp)
			return true
		}
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		sum := sha256.Sum256(m.data)
		body, _ := json.Marshal(map[string]any{"messaging_product": "whatsapp", "id": parts[n-1],
			"url": scheme + "://" + r.Host + "/" + strings.Join(parts, "/") + "/download", "mime_type": m.mimeType,
			"sha256": base64.StdEncoding.EncodeToString(sum[:]), "file_size": len(m.data)})
		s.finish(w, at, Response{Status: http.StatusOK, Body: body})
		return true
	}
	if n < 2 || parts[n-1] != "download" {
		return false
	}
	m, ok := s.mediaOf(parts[n-2])
	if !ok {
		return false
	}
	req.Kind = KindMediaDownload
	at := s.record(req)
	if resp := s.authError(req); !resp.isZero() {
		s.finish(w, at, resp)
		return true
	}
	s.update(at, func(r *Request) { r.Status = http.StatusOK })
	w.Header().Set("Content-Type", m.mimeType)
	w.Header().Set("Content-Length", strconv.Itoa(len(m.data)))
	w.WriteHeader(http.StatusOK)
	w.Write(m.data) //nolint:errcheck // the client went away
	return true
}
