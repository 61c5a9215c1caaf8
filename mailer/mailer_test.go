package mailer_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/waorder/waorder/mailer"
)

// inbox is an in-process SMTP server that keeps what it receives.
type inbox struct {
	mu   sync.Mutex
	mail []received
}

type received struct{ from, to, data, user string }

type session struct {
	in   *inbox
	cur  received
	user string
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "mailer" || pass != "s3cret" {
			return errors.New("bad credentials")
		}
		s.user = user
		return nil
	}), nil
}
func (s *session) Mail(from string, _ *smtp.MailOptions) error { s.cur.from = from; return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error   { s.cur.to = to; return nil }
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data, s.cur.user = string(b), s.user
	s.in.mu.Lock()
	s.in.mail = append(s.in.mail, s.cur)
	s.in.mu.Unlock()
	return nil
}
func (s *session) Reset()        { s.cur = received{} }
func (s *session) Logout() error { return nil }

func startInbox(t *testing.T) (*inbox, string) {
	t.Helper()
	in := &inbox{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{in: in}, nil }))
	srv.Domain, srv.AllowInsecureAuth = "localhost", true
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	return in, l.Addr().String()
}

func TestMailer_SendsThroughSMTPWithAuth(t *testing.T) {
	in, addr := startInbox(t)
	m, err := mailer.New("smtp://mailer:s3cret@"+addr, "Orders <orders@example.com>")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Send(context.Background(), "ana@example.com", "Reset your password — Café", "Open this link:\nhttps://x/reset/abc"); err != nil {
		t.Fatal(err)
	}
	if len(in.mail) != 1 {
		t.Fatalf("%d messages", len(in.mail))
	}
	got := in.mail[0]
	if got.from != "orders@example.com" || got.to != "ana@example.com" || got.user != "mailer" ||
		!strings.Contains(got.data, "https://x/reset/abc\r\n") || !strings.Contains(got.data, "Subject: =?utf-8?q?") {
		t.Errorf("received %+v", got)
	}
}

func TestMailer_WrongPasswordIsAnError(t *testing.T) {
	_, addr := startInbox(t)
	m, err := mailer.New("smtp://mailer:wrong@"+addr, "orders@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Send(context.Background(), "ana@example.com", "s", "b"); err == nil || !strings.Contains(err.Error(), "auth") {
		t.Errorf("got %v", err)
	}
}

func TestMailer_NewRefusesBadSettings(t *testing.T) {
	if m, err := mailer.New("", ""); m != nil || err != nil {
		t.Errorf("empty URL: %v %v", m, err)
	}
	for _, c := range [][2]string{{"http://host", "a@b.c"}, {"smtp://", "a@b.c"}, {"smtp://host:25", "not an address"}} {
		if _, err := mailer.New(c[0], c[1]); err == nil {
			t.Errorf("%q accepted", c)
		}
	}
}
