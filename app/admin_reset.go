package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/waorder/waorder/auth"
	"github.com/waorder/waorder/config"
	"github.com/waorder/waorder/mailer"
	"github.com/waorder/waorder/repository"
)

// resetLink is `admin reset-link --email E`: a one-time password reset link (valid an hour) for any login, printed
// on the last line, and emailed to it when SMTP_URL is set.
func resetLink(ctx context.Context, cfg config.Config, store *repository.Store, fs *flag.FlagSet, args []string, stdout io.Writer) error {
	email := fs.String("email", "", "the login's email")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("reset-link: %w", err)
	}
	if *email == "" {
		return fmt.Errorf("reset-link needs --email")
	}
	u, token, err := auth.New(store, nil, cfg.SessionKey(), nil).IssueResetByEmail(ctx, *email)
	if err != nil {
		return fmt.Errorf("reset-link: %w", err)
	}
	link := "/reset/" + token
	if cfg.PublicURL == "" {
		fmt.Fprintln(stdout, "PUBLIC_URL is not set: put the dashboard's address before this path.")
	} else {
		link = strings.TrimRight(cfg.PublicURL, "/") + link
	}
	m, err := mailer.New(cfg.SMTPURL, cfg.SMTPFrom)
	if err != nil {
		return fmt.Errorf("reset-link: %w", err)
	}
	if m != nil && cfg.PublicURL != "" {
		if err := m.Send(ctx, u.Email, "Set a new password", "Open this link within an hour to set a new password:\n\n"+link+"\n"); err != nil {
			fmt.Fprintln(stdout, "The email was not sent ("+err.Error()+"); pass the link on yourself.")
		} else {
			fmt.Fprintln(stdout, "Emailed to "+u.Email+".")
		}
	}
	fmt.Fprintln(stdout, link)
	return nil
}
