package app

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/waorder/waorder/auth"
	"github.com/waorder/waorder/config"
	"github.com/waorder/waorder/models"
)

// admin runs operators' commands. Each prints its result alone on the last line of stdout, for scripts. A secret
// flag (--access-token, --password) given "-" reads its value from stdin (see secretFlag).
func admin(ctx context.Context, cfg config.Config, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("admin needs a subcommand\n%s", usage)
	}
	store, err := openMigrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	fs := flag.NewFlagSet("admin "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	secrets := secretReader{stdin: stdin, stderr: stderr}
	accounts := auth.New(store, nil, cfg.SessionKey(), nil)
	switch args[0] {
	case "create-business":
		name := fs.String("name", "", "business name")
		phone := fs.String("phone-number-id", "", "Meta phone_number_id")
		waba := fs.String("waba-id", "", "WhatsApp Business Account id")
		token := fs.String("access-token", "", "system-user access token")
		if err := fs.Parse(args[1:]); err != nil {
			return fmt.Errorf("create-business: %w", err)
		}
		if err := secrets.read("access-token", token); err != nil {
			return fmt.Errorf("create-business: %w", err)
		}
		if *name == "" || *phone == "" || *token == "" {
			return fmt.Errorf("create-business needs --name, --phone-number-id and --access-token")
		}
		box, err := openBox(cfg)
		if err != nil {
			return err
		}
		id, err := createBusiness(ctx, store, box, *name, *phone, *waba, *token)
		if err != nil {
			return fmt.Errorf("create-business: %w", err)
		}
		fmt.Fprintln(stdout, id)
		return nil
	case "create-user":
		biz := fs.Int64("business", 0, "business id")
		email := fs.String("email", "", "login email")
		password := fs.String("password", "", "password (at least 8 characters)")
		role := fs.String("role", string(models.RoleOwner), "owner or staff")
		if err := fs.Parse(args[1:]); err != nil {
			return fmt.Errorf("create-user: %w", err)
		}
		if err := secrets.read("password", password); err != nil {
			return fmt.Errorf("create-user: %w", err)
		}
		if *biz <= 0 || *email == "" || *password == "" {
			return fmt.Errorf("create-user needs --business, --email and --password")
		}
		u, err := accounts.CreateUser(ctx, *biz, *email, *password, models.Role(*role))
		if err != nil {
			return fmt.Errorf("create-user: %w", err)
		}
		fmt.Fprintln(stdout, u.ID)
		return nil
	case "reset-link":
		return resetLink(ctx, cfg, store, fs, args[1:], stdout)
	case "create-api-token":
		biz := fs.Int64("business", 0, "business id")
		name := fs.String("name", "", "what the token is for")
		if err := fs.Parse(args[1:]); err != nil {
			return fmt.Errorf("create-api-token: %w", err)
		}
		if *biz <= 0 {
			return fmt.Errorf("create-api-token needs --business")
		}
		tok, err := accounts.CreateAPIToken(ctx, *biz, *name)
		if err != nil {
			return fmt.Errorf("create-api-token: %w", err)
		}
		fmt.Fprintln(stdout, tok)
		return nil
	case "list-api-tokens", "revoke-api-token", "reset-password", "delete-user":
		return adminCredentials(ctx, accounts, fs, args, secrets, stdout)
	}
	return fmt.Errorf("unknown admin command %q\n%s", args[0], usage)
}
