package sandbox

import (
	"bytes"
	"container/list"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/waorder/waorder/whatsapp"
)

// The log is bounded so a long-running sandbox stays small: the last logPerChat messages of the logChats chats
// written to most recently, each text cut to logTextRunes characters.
const (
	logChats     = 200
	logPerChat   = 20
	logTextRunes = 500
)

// SentMessage is one message the fake Graph API accepted, as the sandbox log keeps it.
type SentMessage struct {
	MetaPhoneID string // Meta's phone_number_id of the business number that sent it
	To          string // the customer's wa_id
	WAMID       string
	Type        string // text, interactive, template, ...
	Text        string // what the customer would read, with the choices offered (whatsapp.OutgoingMessage.Text)
	At          time.Time
}

type chatKey struct{ phone, to string }

type chatLog struct {
	key  chatKey
	msgs []SentMessage
}

// sentLog keeps recent sends per chat, least recently written chats forgotten first.
type sentLog struct {
	mu    sync.Mutex
	chats map[chatKey]*list.Element
	order *list.List // front: most recently written
}

func newSentLog() *sentLog {
	return &sentLog{chats: map[chatKey]*list.Element{}, order: list.New()}
}

func (l *sentLog) add(m SentMessage) {
	m.Text = whatsapp.TruncateRunes(m.Text, logTextRunes)
	l.mu.Lock()
	defer l.mu.Unlock()
	k := chatKey{m.MetaPhoneID, m.To}
	el, ok := l.chats[k]
	if ok {
		l.order.MoveToFront(el)
	} else {
		el = l.order.PushFront(&chatLog{key: k})
		l.chats[k] = el
		if l.order.Len() > logChats {
			oldest := l.order.Back()
			l.order.Remove(oldest)
			delete(l.chats, oldest.Value.(*chatLog).key)
		}
	}
	c := el.Value.(*chatLog)
	c.msgs = append(c.msgs, m)
	if len(c.msgs) > logPerChat {
		c.msgs = append(c.msgs[:0:0], c.msgs[len(c.msgs)-logPerChat:]...)
	}
}

func (l *sentLog) get(phone, to string) []SentMessage {
	l.mu.Lock()
	defer l.mu.Unlock()
	el, ok := l.chats[chatKey{phone, to}]
	if !ok {
		return nil
	}
	return append([]SentMessage(nil), el.Value.(*chatLog).msgs...)
}

// logging serves next and logs each send it accepted (a 2xx answer carrying a message id; mark-as-read calls
// carry none).
type logging struct {
	next http.Handler
	log  *sentLog
}

func (h logging) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/messages") {
		h.next.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "cannot read the request", http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	cw := &capture{ResponseWriter: w}
	h.next.ServeHTTP(cw, r)
	if cw.status != 0 && (cw.status < 200 || cw.status > 299) {
		return
	}
	var resp struct {
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	var msg whatsapp.OutgoingMessage
	if json.Unmarshal(cw.body.Bytes(), &resp) != nil || len(resp.Messages) == 0 || json.Unmarshal(body, &msg) != nil {
		return
	}
	parts := strings.Split(strings.TrimSuffix(r.URL.Path, "/messages"), "/")
	h.log.add(SentMessage{MetaPhoneID: parts[len(parts)-1], To: msg.To, WAMID: resp.Messages[0].ID, Type: msg.Type,
		Text: msg.Text(), At: time.Now().UTC()})
}

// capture passes a response through and keeps its status and body.
type capture struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (c *capture) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *capture) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.body.Write(b)
	return c.ResponseWriter.Write(b)
}
