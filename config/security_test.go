package config

import (
	"strings"
	"testing"
)

// prod is a complete production configuration.
func prod() map[string]string {
	return map[string]string{
		"WHATSAPP_APP_SECRET": "app-secret", "WHATSAPP_VERIFY_TOKEN": "verify",
		"SESSION_SECRET": strings.Repeat("s", 32), "ENCRYPTION_KEY": strings.Repeat("ab", 32),
	}
}

func with(m map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(out, kv[i])
		} else {
			out[kv[i]] = kv[i+1]
		}
	}
	return out
}

// TestLoad_AnyProductionSettingStopsTheSandboxFallback: with any production setting present and no SANDBOX, a
// missing production key stops the start, naming it, instead of silently starting in sandbox mode.
func TestLoad_AnyProductionSettingStopsTheSandboxFallback(t *testing.T) {
	for _, set := range [][]string{
		{"DATABASE_URL", "postgres://db/x"},
		{"SESSION_SECRET", strings.Repeat("s", 32)},
		{"WHATSAPP_PHONE_NUMBER_ID", "123", "WHATSAPP_ACCESS_TOKEN", "EAAG"},
		{"ENCRYPTION_KEY", strings.Repeat("ab", 32)},
		{"WHATSAPP_VERIFY_TOKEN", "v"},
	} {
		t.Run(set[0], func(t *testing.T) {
			c, err := Load(env(with(nil, set...)), "")
			if err == nil || c.Sandbox {
				t.Fatalf("started (sandbox=%v) with only %v set", c.Sandbox, set)
			}
			if !strings.Contains(err.Error(), "WHATSAPP_APP_SECRET") || !strings.Contains(err.Error(), set[0]) {
				t.Fatalf("error %q does not name the missing key and the production setting", err)
			}
		})
	}
	for _, missing := range []string{"WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN", "SESSION_SECRET", "ENCRYPTION_KEY"} {
		t.Run("missing "+missing, func(t *testing.T) {
			_, err := Load(env(with(prod(), "DATABASE_URL", "postgres://db/x", missing, "")), "")
			if err == nil || !strings.Contains(err.Error(), missing) {
				t.Fatalf("error %v does not name %s", err, missing)
			}
		})
	}
	c, err := Load(env(prod()), "")
	if err != nil || c.Sandbox {
		t.Fatalf("complete production configuration: sandbox=%v %v", c.Sandbox, err)
	}
}

func TestLoad_ExplicitSandboxRefusesARealNumberOrAppSecret(t *testing.T) {
	for _, set := range [][]string{
		{"WHATSAPP_APP_SECRET", "real"},
		{"WHATSAPP_PHONE_NUMBER_ID", "123", "WHATSAPP_ACCESS_TOKEN", "EAAG"},
	} {
		if _, err := Load(env(with(map[string]string{"SANDBOX": "true"}, set...)), ""); err == nil || !strings.Contains(err.Error(), set[0]) {
			t.Fatalf("SANDBOX=true with %v: %v", set, err)
		}
	}
	c, err := Load(env(map[string]string{"SANDBOX": "true", "DATABASE_URL": "postgres://db/x"}), "")
	if err != nil || !c.Sandbox {
		t.Fatalf("an explicit sandbox on PostgreSQL: sandbox=%v %v", c.Sandbox, err)
	}
}

func TestListenHost_SandboxStaysOnLoopbackUnlessToldOtherwise(t *testing.T) {
	for _, tt := range []struct {
		env  map[string]string
		want string
	}{
		{nil, "127.0.0.1"},
		{map[string]string{"HOST": "0.0.0.0"}, "0.0.0.0"},
		{prod(), ""},
		{with(prod(), "HOST", "10.0.0.5"), "10.0.0.5"},
	} {
		c, err := Load(env(tt.env), "")
		if err != nil {
			t.Fatal(err)
		}
		if got := c.ListenHost(); got != tt.want {
			t.Errorf("%v: listen host %q, want %q", tt.env, got, tt.want)
		}
	}
}

func TestLoad_GraphAPIURLMustBeHTTPSOutsideSandbox(t *testing.T) {
	for url, ok := range map[string]bool{
		"https://graph.facebook.com": true,
		"http://graph.facebook.com":  false,
		"http://10.0.0.8:8080":       false,
		"http://127.0.0.1:8081":      true, // a local fake never leaves the machine
		"http://[::1]:8081":          true,
		"http://localhost:8081":      true,
	} {
		_, err := Load(env(with(prod(), "GRAPH_API_URL", url)), "")
		if (err == nil) != ok || (err != nil && !strings.Contains(err.Error(), "GRAPH_API_URL")) {
			t.Errorf("GRAPH_API_URL=%s: %v", url, err)
		}
	}
	if _, err := Load(env(map[string]string{"GRAPH_API_URL": "http://graph.local"}), ""); err != nil {
		t.Errorf("sandbox with an http Graph API URL: %v", err)
	}
}

func TestLoad_TrustedProxiesMetricsAddrAndIdleTimeoutAreChecked(t *testing.T) {
	c, err := Load(env(with(prod(), "TRUSTED_PROXIES", " 10.0.0.0/8, 2001:db8::/32 ,192.168.1.7", "METRICS_ADDR",
		"127.0.0.1:9090", "SESSION_IDLE_TIMEOUT", "30m")), "")
	if err != nil {
		t.Fatal(err)
	}
	proxies, _ := c.TrustedProxyList()
	if strings.Join(proxies, "|") != "10.0.0.0/8|2001:db8::/32|192.168.1.7" || c.MetricsAddr != "127.0.0.1:9090" ||
		c.SessionIdleTimeout.Minutes() != 30 {
		t.Fatalf("got %v %q %v", proxies, c.MetricsAddr, c.SessionIdleTimeout)
	}
	for key, val := range map[string]string{"TRUSTED_PROXIES": "10.0.0.0/33", "METRICS_ADDR": "9090",
		"SESSION_IDLE_TIMEOUT": "5s"} {
		if _, err := Load(env(with(prod(), key, val)), ""); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s=%s: %v", key, val, err)
		}
	}
	if _, err := Load(env(with(prod(), "TRUSTED_PROXIES", "proxy.example")), ""); err == nil {
		t.Error("a host name accepted as a trusted proxy")
	}
}
