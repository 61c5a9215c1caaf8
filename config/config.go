// Package config loads the service's one typed Config from the environment and an optional config.yaml, and
// validates it at start. It holds no global state: callers pass the Config they loaded.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/viper"
	"github.com/waorder/waorder/models"
)

// SandboxAppSecret signs the simulator's webhooks when no real app secret is configured. It is public on purpose:
// sandbox mode never runs with a real number or on a production database.
const SandboxAppSecret = "sandbox-app-secret" // #nosec G101 -- a published development value, not a credential

// Config is every setting the service reads. Field tags name the environment variable (and config.yaml key).
type Config struct {
	Port     int    `mapstructure:"PORT"`
	Host     string `mapstructure:"HOST"`
	DataDir  string `mapstructure:"DATA_DIR"`
	Database string `mapstructure:"DATABASE_URL"`
	Valkey   string `mapstructure:"VALKEY_URL"`

	AppSecret   string `mapstructure:"WHATSAPP_APP_SECRET"`
	VerifyToken string `mapstructure:"WHATSAPP_VERIFY_TOKEN"`
	MetaAppID   string `mapstructure:"META_APP_ID"`
	MetaConfig  string `mapstructure:"META_CONFIG_ID"`
	GraphURL    string `mapstructure:"GRAPH_API_URL"`
	GraphVer    string `mapstructure:"GRAPH_API_VERSION"`

	SessionSecret string `mapstructure:"SESSION_SECRET"`
	EncryptionKey string `mapstructure:"ENCRYPTION_KEY"`
	Sandbox       bool   `mapstructure:"SANDBOX"`

	MetaPhoneID  string `mapstructure:"WHATSAPP_PHONE_NUMBER_ID"`
	AccessToken  string `mapstructure:"WHATSAPP_ACCESS_TOKEN"`
	WABAID       string `mapstructure:"WHATSAPP_BUSINESS_ACCOUNT_ID"`
	BusinessName string `mapstructure:"BUSINESS_NAME"`

	AdminEmail    string `mapstructure:"ADMIN_EMAIL"`
	AdminPassword string `mapstructure:"ADMIN_PASSWORD"`

	MemoryWarnMB     int           `mapstructure:"MEMORY_WARN_MB"`
	MemoryCriticalMB int           `mapstructure:"MEMORY_CRITICAL_MB"`
	MemoryInterval   time.Duration `mapstructure:"MEMORY_CHECK_INTERVAL"`

	TrustedProxies     string        `mapstructure:"TRUSTED_PROXIES"`
	MetricsAddr        string        `mapstructure:"METRICS_ADDR"`
	SessionIdleTimeout time.Duration `mapstructure:"SESSION_IDLE_TIMEOUT"`

	BodyLimitBytes int `mapstructure:"WEBHOOK_BODY_LIMIT"`
	SendRatePerSec int `mapstructure:"SEND_RATE_PER_SECOND"`
	Workers        int `mapstructure:"SEND_WORKERS"`
	BotWorkers     int `mapstructure:"BOT_WORKERS"`
	// RunWorkers false makes a web-only instance: it serves webhooks, the dashboard and the API, and leaves the bot,
	// the outbox and the background jobs to the instances that run them (same PostgreSQL), waking them on commit.
	RunWorkers bool   `mapstructure:"RUN_WORKERS"`
	DBPool     int    `mapstructure:"DB_POOL"`
	LogLevel   string `mapstructure:"LOG_LEVEL"`

	RetainStatuses    time.Duration `mapstructure:"RETENTION_STATUSES"`
	RetainEvents      time.Duration `mapstructure:"RETENTION_EVENTS"`
	RetainOutbound    time.Duration `mapstructure:"RETENTION_OUTBOUND_PAYLOADS"`
	RetainMedia       time.Duration `mapstructure:"RETENTION_MEDIA"`
	RetentionBatch    int           `mapstructure:"RETENTION_BATCH"`
	RetentionInterval time.Duration `mapstructure:"RETENTION_INTERVAL"`
	// HeldMessageTTL: a reply not sent this long after it was written (held for a closed window, or retried
	// through a Graph API outage) fails as expired instead of arriving stale.
	HeldMessageTTL time.Duration `mapstructure:"HELD_MESSAGE_TTL"`
	// DBTimeout bounds every database call that has no tighter deadline of its own.
	DBTimeout time.Duration `mapstructure:"DB_TIMEOUT"`
	// ShutdownGrace bounds a graceful stop; what is still running then is abandoned (leases make it safe).
	ShutdownGrace time.Duration `mapstructure:"SHUTDOWN_GRACE"`
	// FaultTestPanicText is for the fault suite only: the bot panics on a customer text equal to it. Empty (the
	// default) turns it off; never set it in production.
	FaultTestPanicText string `mapstructure:"FAULT_TEST_PANIC_TEXT"`
	SignUp             string `mapstructure:"SIGNUP"`     // open | invite-only (see SignUpOpen)
	PublicURL          string `mapstructure:"PUBLIC_URL"` // the dashboard's address, for links in emails and admin output
	SMTPURL            string `mapstructure:"SMTP_URL"`   // smtp://user:password@host:587; empty: links are only shown
	SMTPFrom           string `mapstructure:"SMTP_FROM"`

	// Media: where pictures, voice notes and documents are kept (see media.go).
	MediaDir         string `mapstructure:"MEDIA_DIR"`
	MediaMaxBytes    int64  `mapstructure:"MEDIA_MAX_BYTES"`
	MediaS3Endpoint  string `mapstructure:"MEDIA_S3_ENDPOINT"`
	MediaS3Bucket    string `mapstructure:"MEDIA_S3_BUCKET"`
	MediaS3AccessKey string `mapstructure:"MEDIA_S3_ACCESS_KEY"`
	MediaS3SecretKey string `mapstructure:"MEDIA_S3_SECRET_KEY"`
	MediaS3Region    string `mapstructure:"MEDIA_S3_REGION"`
	MediaS3UseSSL    bool   `mapstructure:"MEDIA_S3_USE_SSL"`
}

var keys = map[string]any{
	"PORT":                         3000,
	"HOST":                         "",
	"TRUSTED_PROXIES":              "",
	"METRICS_ADDR":                 "",
	"SESSION_IDLE_TIMEOUT":         "12h",
	"DATA_DIR":                     "./data",
	"DATABASE_URL":                 "",
	"VALKEY_URL":                   "",
	"WHATSAPP_APP_SECRET":          "",
	"WHATSAPP_VERIFY_TOKEN":        "",
	"META_APP_ID":                  "",
	"META_CONFIG_ID":               "",
	"GRAPH_API_URL":                "https://graph.facebook.com",
	"GRAPH_API_VERSION":            "v23.0",
	"SESSION_SECRET":               "",
	"ENCRYPTION_KEY":               "",
	"SANDBOX":                      "",
	"WHATSAPP_PHONE_NUMBER_ID":     "",
	"WHATSAPP_ACCESS_TOKEN":        "",
	"WHATSAPP_BUSINESS_ACCOUNT_ID": "",
	"BUSINESS_NAME":                "",
	"ADMIN_EMAIL":                  "",
	"ADMIN_PASSWORD":               "",
	"MEMORY_WARN_MB":               200,
	"MEMORY_CRITICAL_MB":           400,
	"MEMORY_CHECK_INTERVAL":        "60s",
	"WEBHOOK_BODY_LIMIT":           3 << 20,
	"SEND_RATE_PER_SECOND":         models.DefaultSendRatePerSec,
	"SEND_WORKERS":                 4,
	"BOT_WORKERS":                  16,
	"RUN_WORKERS":                  true,
	"DB_POOL":                      24,
	"LOG_LEVEL":                    "info",
	"RETENTION_STATUSES":           "720h",
	"RETENTION_EVENTS":             "720h",
	"RETENTION_OUTBOUND_PAYLOADS":  "720h",
	"RETENTION_MEDIA":              "0",
	"RETENTION_BATCH":              500,
	"RETENTION_INTERVAL":           "15m",
	"HELD_MESSAGE_TTL":             "24h",
	"DB_TIMEOUT":                   "10s",
	"SHUTDOWN_GRACE":               "25s",
	"FAULT_TEST_PANIC_TEXT":        "",
	"SIGNUP":                       "",
	"PUBLIC_URL":                   "",
	"SMTP_URL":                     "",
	"SMTP_FROM":                    "",
	"MEDIA_DIR":                    "",
	"MEDIA_MAX_BYTES":              16 << 20,
	"MEDIA_S3_ENDPOINT":            "",
	"MEDIA_S3_BUCKET":              "",
	"MEDIA_S3_ACCESS_KEY":          "",
	"MEDIA_S3_SECRET_KEY":          "",
	"MEDIA_S3_REGION":              "",
	"MEDIA_S3_USE_SSL":             true,
}

// Load reads the environment (through getenv, so tests need not touch the process environment) and, when present,
// configFile (YAML, same keys). The environment wins over the file. The result is validated.
func Load(getenv func(string) string, configFile string) (Config, error) {
	v := viper.New()
	for k, d := range keys {
		v.SetDefault(k, d)
	}
	if configFile != "" {
		v.SetConfigFile(configFile)
		if err := v.ReadInConfig(); err != nil && !isNotFound(err) {
			return Config{}, fmt.Errorf("read %s: %w", configFile, err)
		}
	}
	for k := range keys {
		if val := getenv(k); val != "" {
			v.Set(k, val)
		}
	}
	if v.GetString("VALKEY_URL") == "" {
		if r := getenv("REDIS_URL"); r != "" {
			v.Set("VALKEY_URL", r)
		}
	}
	var c Config
	if err := v.Unmarshal(&c); err != nil {
		return Config{}, fmt.Errorf("decode configuration: %w", err)
	}
	sandbox := strings.TrimSpace(v.GetString("SANDBOX"))
	var production []string // production settings present: sandbox mode never switches itself on beside them
	for _, k := range productionKeys {
		if v.GetString(k) != "" {
			production = append(production, k)
		}
	}
	if sandbox == "" {
		c.Sandbox = len(production) == 0
	}
	if c.Sandbox {
		for _, k := range []string{"WHATSAPP_APP_SECRET", "WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_ACCESS_TOKEN"} {
			if v.GetString(k) != "" {
				return Config{}, fmt.Errorf("invalid configuration: SANDBOX is true but %s is set: sandbox mode "+
					"uses public keys and a fake Graph API, never a real number or app secret", k)
			}
		}
	}
	if c.Sandbox && c.AppSecret == "" {
		c.AppSecret = SandboxAppSecret
	}
	if c.Sandbox && c.VerifyToken == "" {
		c.VerifyToken = "sandbox-verify-token"
	}
	if err := c.Validate(); err != nil {
		if !c.Sandbox && sandbox == "" {
			return c, fmt.Errorf("%w (production settings are present: %s; for a local sandbox, unset them or set "+
				"SANDBOX=true)", err, strings.Join(production, ", "))
		}
		return c, err
	}
	return c, nil
}

// productionKeys are settings only a production install has. When any is present and SANDBOX is not set, the
// service starts in production mode and every missing production key is named, instead of falling back to sandbox
// mode's public keys. DATABASE_URL may still be combined with an explicit SANDBOX=true (a sandbox on a development
// PostgreSQL); the start-up check of the database's recorded mode keeps it off production data.
var productionKeys = []string{"DATABASE_URL", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN",
	"WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_ACCESS_TOKEN", "WHATSAPP_BUSINESS_ACCOUNT_ID", "SESSION_SECRET",
	"ENCRYPTION_KEY", "META_APP_ID", "META_CONFIG_ID", "ADMIN_EMAIL"}

// ListenHost is the address the HTTP server binds: HOST when set; otherwise 127.0.0.1 in sandbox mode (its keys are
// public, so it is not reachable from the network unless asked) and every interface in production.
func (c Config) ListenHost() string {
	if c.Host != "" {
		return c.Host
	}
	if c.Sandbox {
		return "127.0.0.1"
	}
	return ""
}

func isNotFound(err error) bool {
	var nf viper.ConfigFileNotFoundError
	return errors.As(err, &nf) || errors.Is(err, fs.ErrNotExist)
}

// Validate names every bad or missing key in one error.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, why string) { errs = append(errs, fmt.Errorf("%s %s", key, why)) }
	if c.Port <= 0 || c.Port > 65535 {
		bad("PORT", "must be between 1 and 65535")
	}
	if c.Database != "" && !strings.HasPrefix(c.Database, "postgres://") && !strings.HasPrefix(c.Database, "postgresql://") {
		bad("DATABASE_URL", "must start with postgres:// (leave it empty for the embedded database)")
	}
	if c.Database == "" && c.DataDir == "" {
		bad("DATA_DIR", "is required when DATABASE_URL is empty")
	}
	if c.Valkey != "" {
		if u, err := url.Parse(c.Valkey); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "valkey" && u.Scheme != "valkeys") {
			bad("VALKEY_URL", "must look like redis://host:port/db")
		}
	}
	if u, err := url.Parse(c.GraphURL); err != nil || u.Scheme == "" || u.Host == "" {
		bad("GRAPH_API_URL", "must be an absolute URL")
	} else if !c.Sandbox && u.Scheme != "https" && !isLoopback(u.Hostname()) {
		bad("GRAPH_API_URL", "must be https outside sandbox mode (access tokens travel in it)")
	}
	if _, err := c.TrustedProxyList(); err != nil {
		bad("TRUSTED_PROXIES", err.Error())
	}
	if c.MetricsAddr != "" {
		if _, port, err := net.SplitHostPort(c.MetricsAddr); err != nil || port == "" {
			bad("METRICS_ADDR", "must be host:port, like 127.0.0.1:9090")
		}
	}
	if c.SessionIdleTimeout < time.Minute {
		bad("SESSION_IDLE_TIMEOUT", "must be at least 1m")
	}
	if !strings.HasPrefix(c.GraphVer, "v") {
		bad("GRAPH_API_VERSION", "must look like v23.0")
	}
	if !c.Sandbox {
		for key, val := range map[string]string{
			"WHATSAPP_APP_SECRET":   c.AppSecret,
			"WHATSAPP_VERIFY_TOKEN": c.VerifyToken,
			"SESSION_SECRET":        c.SessionSecret,
			"ENCRYPTION_KEY":        c.EncryptionKey,
		} {
			if val == "" {
				bad(key, "is required outside sandbox mode")
			}
		}
		if c.SessionSecret != "" && len(c.SessionSecret) < 32 {
			bad("SESSION_SECRET", "must be at least 32 characters")
		}
	}
	if c.EncryptionKey != "" {
		if _, err := c.EncryptionKeyBytes(); err != nil {
			bad("ENCRYPTION_KEY", err.Error())
		}
	}
	if (c.MetaPhoneID == "") != (c.AccessToken == "") {
		bad("WHATSAPP_ACCESS_TOKEN", "and WHATSAPP_PHONE_NUMBER_ID must be set together")
	}
	if (c.AdminEmail == "") != (c.AdminPassword == "") {
		bad("ADMIN_PASSWORD", "and ADMIN_EMAIL must be set together")
	}
	if c.AdminPassword != "" && len(c.AdminPassword) < 8 {
		bad("ADMIN_PASSWORD", "must be at least 8 characters")
	}
	if c.MemoryWarnMB <= 0 || c.MemoryCriticalMB < c.MemoryWarnMB {
		bad("MEMORY_CRITICAL_MB", "must be positive and not below MEMORY_WARN_MB")
	}
	if c.MemoryInterval < time.Second {
		bad("MEMORY_CHECK_INTERVAL", "must be at least 1s")
	}
	if c.BodyLimitBytes < 64<<10 {
		bad("WEBHOOK_BODY_LIMIT", "must be at least 65536 bytes")
	}
	if c.SendRatePerSec <= 0 {
		bad("SEND_RATE_PER_SECOND", "must be positive")
	}
	if c.Workers <= 0 {
		bad("SEND_WORKERS", "must be positive")
	}
	if c.BotWorkers <= 0 || c.BotWorkers > 256 {
		bad("BOT_WORKERS", "must be between 1 and 256")
	}
	if !c.RunWorkers && c.Database == "" {
		bad("RUN_WORKERS", "can be false only with DATABASE_URL: the instances that run the workers share its PostgreSQL")
	}
	if c.DBPool < 4 || c.DBPool > 1000 {
		bad("DB_POOL", "must be between 4 and 1000")
	}
	// Meta redelivers a webhook for up to 7 days; a status or event purged sooner could come back as new.
	for key, age := range map[string]time.Duration{"RETENTION_STATUSES": c.RetainStatuses, "RETENTION_EVENTS": c.RetainEvents} {
		if age != 0 && age < 7*24*time.Hour {
			bad(key, "must be 0 (keep forever) or at least 168h")
		}
	}
	if c.RetainOutbound < 0 {
		bad("RETENTION_OUTBOUND_PAYLOADS", "must be 0 (keep forever) or positive")
	}
	// A file is fetched with retries over hours; one removed sooner than a day would vanish from a thread being read.
	if c.RetainMedia != 0 && c.RetainMedia < 24*time.Hour {
		bad("RETENTION_MEDIA", "must be 0 (keep forever) or at least 24h")
	}
	if c.RetentionBatch <= 0 || c.RetentionBatch > 10000 {
		bad("RETENTION_BATCH", "must be between 1 and 10000")
	}
	if c.RetentionInterval < time.Minute {
		bad("RETENTION_INTERVAL", "must be at least 1m")
	}
	if c.HeldMessageTTL < time.Minute {
		bad("HELD_MESSAGE_TTL", "must be at least 1m")
	}
	if c.DBTimeout < 100*time.Millisecond {
		bad("DB_TIMEOUT", "must be at least 100ms")
	}
	if c.ShutdownGrace < time.Second {
		bad("SHUTDOWN_GRACE", "must be at least 1s")
	}
	errs = append(errs, c.validateOnboarding()...)
	errs = append(errs, c.validateMedia()...)
	if len(errs) > 0 {
		return fmt.Errorf("invalid configuration: %w", errors.Join(errs...))
	}
	return nil
}
