package app

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/waorder/waorder/auth"
)

// secretReader gives secret flags their values: "-" reads one line from stdin (so the secret never shows in the
// process list or shell history); a value typed on the command line still works, with a warning on stderr.
type secretReader struct {
	stdin  io.Reader
	stderr io.Writer
}

func (r secretReader) read(flagName string, val *string) error {
	if *val != "-" {
		if *val != "" {
			fmt.Fprintf(r.stderr, "warning: --%s on the command line shows in the process list and shell history; "+
				"pass --%s - and give it on standard input\n", flagName, flagName)
		}
		return nil
	}
	if r.stdin == nil {
		return fmt.Errorf("--%s -: no standard input to read it from", flagName)
	}
	line, err := bufio.NewReader(r.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read --%s from standard input: %w", flagName, err)
	}
	*val = strings.TrimRight(line, "\r\n")
	if *val == "" {
		return fmt.Errorf("--%s -: standard input was empty", flagName)
	}
	return nil
}

// adminCredentials runs the credential lifecycle commands: list and revoke API tokens, reset a password, delete a
// login. Each prints its result alone on the last line of stdout (list-api-tokens: one token a line).
func adminCredentials(ctx context.Context, accounts *auth.Service, fs *flag.FlagSet, args []string, secrets secretReader, stdout io.Writer) error {
	cmd := args[0]
	biz := fs.Int64("business", 0, "business id")
	id := fs.Int64("id", 0, "api token id (from list-api-tokens)")
	email := fs.String("email", "", "login email")
	password := fs.String("password", "", "new password (at least 8 characters), or - to read it from stdin")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	switch cmd {
	case "list-api-tokens":
		if *biz <= 0 {
			return fmt.Errorf("list-api-tokens needs --business")
		}
		tokens, err := accounts.APITokens(ctx, *biz)
		if err != nil {
			return fmt.Errorf("list-api-tokens: %w", err)
		}
		fmt.Fprintln(stdout, "id\tprefix\tname\tcreated\tlast_used\trevoked")
		for _, t := range tokens {
			fmt.Fprintf(stdout, "%d\t%s…\t%s\t%s\t%s\t%s\n", t.ID, t.Prefix, t.Name, stamp(&t.CreatedAt), stamp(t.LastUsedAt),
				stamp(t.RevokedAt))
		}
		return nil
	case "revoke-api-token":
		if *biz <= 0 || *id <= 0 {
			return fmt.Errorf("revoke-api-token needs --business and --id (see list-api-tokens)")
		}
		if err := accounts.RevokeAPIToken(ctx, *biz, *id); err != nil {
			return fmt.Errorf("revoke-api-token: %w", err)
		}
		fmt.Fprintf(stdout, "revoked %d\n", *id)
		return nil
	case "reset-password":
		if err := secrets.read("password", password); err != nil {
			return fmt.Errorf("reset-password: %w", err)
		}
		if *email == "" || *password == "" {
			return fmt.Errorf("reset-password needs --email and --password")
		}
		u, err := accounts.ResetPassword(ctx, *email, *password)
		if err != nil {
			return fmt.Errorf("reset-password: %w", err)
		}
		fmt.Fprintln(stdout, u.ID)
		return nil
	case "delete-user":
		if *email == "" {
			return fmt.Errorf("delete-user needs --email")
		}
		u, err := accounts.DeleteUser(ctx, *email)
		if err != nil {
			return fmt.Errorf("delete-user: %w", err)
		}
		fmt.Fprintln(stdout, u.ID)
		return nil
	}
	return fmt.Errorf("unknown admin command %q", cmd)
}

// stamp formats an optional time for list output: "-" when unset.
func stamp(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
