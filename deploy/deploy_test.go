package deploy

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// buildOutput is the binary the Dockerfile's build stage writes (its `go build -o`).
func buildOutput(t *testing.T, dockerfile string) (out, pkg string) {
	t.Helper()
	m := regexp.MustCompile(`(?m)^RUN (.*\bgo build\b.* -o (\S+) (\S+))$`).FindAllStringSubmatch(dockerfile, -1)
	if len(m) != 1 {
		t.Fatalf("want exactly one RUN … go build … -o OUT PKG line in Dockerfile, found %d", len(m))
	}
	if !strings.Contains(m[0][1], "CGO_ENABLED=0") {
		t.Errorf("the build must be static (CGO_ENABLED=0): %s", m[0][1])
	}
	return m[0][2], m[0][3]
}

func TestDockerfile_StaticNonRootSmallWithAHealthcheckTheBinaryRuns(t *testing.T) {
	df := read(t, "../Dockerfile")
	buildOutput(t, df)
	froms := regexp.MustCompile(`(?m)^FROM (\S+)`).FindAllStringSubmatch(df, -1)
	if len(froms) < 2 {
		t.Fatalf("want a multi-stage build, got %d FROM lines", len(froms))
	}
	final := froms[len(froms)-1][1]
	if !strings.Contains(final, "distroless/static") && final != "scratch" {
		t.Errorf("final image %s: want distroless/static or scratch (small, no shell)", final)
	}
	user := regexp.MustCompile(`(?m)^USER (\S+)`).FindStringSubmatch(df)
	if user == nil || strings.HasPrefix(user[1], "root") || strings.HasPrefix(user[1], "0") {
		t.Errorf("the final stage must run as a non-root USER, got %v", user)
	}
	if !regexp.MustCompile(`(?m)^HEALTHCHECK .*CMD \[".*waorder", "healthcheck"\]`).MatchString(df) {
		t.Error("HEALTHCHECK must run the binary's own healthcheck subcommand")
	}
	if !regexp.MustCompile(`(?m)^CMD \["serve"\]`).MatchString(df) {
		t.Error(`the image's default command must be ["serve"]`)
	}
}

func TestProcfileAndBuildpackHintsNameTheBinaryTheBuildProduces(t *testing.T) {
	out, pkg := buildOutput(t, read(t, "../Dockerfile"))
	proc := read(t, "../Procfile")
	for _, line := range []string{"web: " + out + " serve", "release: " + out + " migrate"} {
		if !strings.Contains("\n"+proc, "\n"+line+"\n") {
			t.Errorf("Procfile lacks %q (the Dockerfile builds %s)", line, out)
		}
	}
	if !strings.Contains(read(t, "../go.mod"), "// +heroku install "+pkg+"\n") {
		t.Errorf("go.mod lacks `// +heroku install %s`: the buildpack would not build %s", pkg, out)
	}
	rw := read(t, "../railway.toml")
	for _, want := range []string{`healthcheckPath = "/health"`, `waorder migrate"]`, `builder = "DOCKERFILE"`} {
		if !strings.Contains(rw, want) {
			t.Errorf("railway.toml lacks %s", want)
		}
	}
}

type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Build       any               `yaml:"build"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		DependsOn   map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
		Volumes     []string `yaml:"volumes"`
		Ports       []string `yaml:"ports"`
		Healthcheck any      `yaml:"healthcheck"`
	} `yaml:"services"`
}

func TestCompose_PostgresValkeyReleaseStepAndTwoInstancesBehindAProxy(t *testing.T) {
	var c composeFile
	if err := yaml.Unmarshal([]byte(read(t, "../compose.yaml")), &c); err != nil {
		t.Fatalf("compose.yaml does not parse: %v", err)
	}
	for _, name := range []string{"postgres", "valkey", "migrate", "app1", "app2", "proxy"} {
		if _, ok := c.Services[name]; !ok {
			t.Fatalf("compose.yaml has no %q service", name)
		}
	}
	if s := c.Services["postgres"]; !strings.HasPrefix(s.Image, "postgres:") || s.Healthcheck == nil {
		t.Errorf("postgres: image %q, healthcheck %v", s.Image, s.Healthcheck)
	}
	if s := c.Services["valkey"]; !strings.HasPrefix(s.Image, "valkey/valkey:") || s.Healthcheck == nil {
		t.Errorf("valkey: image %q, healthcheck %v", s.Image, s.Healthcheck)
	}
	if m := c.Services["migrate"]; strings.Join(m.Command, " ") != "migrate" || m.DependsOn["postgres"].Condition != "service_healthy" {
		t.Errorf("the release step must run migrate once PostgreSQL is healthy: %+v", m)
	}
	for _, name := range []string{"migrate", "app1", "app2"} {
		s := c.Services[name]
		if s.Build == nil {
			t.Errorf("%s is not built from this repository's Dockerfile", name)
		}
		if !strings.Contains(s.Environment["DATABASE_URL"], "@postgres:5432/") || !strings.Contains(s.Environment["VALKEY_URL"], "//valkey:6379") {
			t.Errorf("%s does not use the stack's PostgreSQL and Valkey: %v", name, s.Environment)
		}
		if s.Environment["GOMEMLIMIT"] == "" {
			t.Errorf("%s sets no GOMEMLIMIT", name)
		}
	}
	for _, name := range []string{"app1", "app2"} {
		s := c.Services[name]
		if strings.Join(s.Command, " ") != "serve" || s.DependsOn["migrate"].Condition != "service_completed_successfully" {
			t.Errorf("%s must serve only after the release step succeeded: %+v", name, s)
		}
	}
	proxy := c.Services["proxy"]
	if len(proxy.Ports) == 0 || proxy.DependsOn["app1"].Condition != "service_healthy" || proxy.DependsOn["app2"].Condition != "service_healthy" {
		t.Errorf("proxy: %+v", proxy)
	}
	mounted := false
	for _, v := range proxy.Volumes {
		mounted = mounted || strings.HasPrefix(v, "./deploy/Caddyfile:")
	}
	if !mounted {
		t.Errorf("the proxy does not mount deploy/Caddyfile: %v", proxy.Volumes)
	}
	caddy := read(t, "Caddyfile")
	for _, want := range []string{"app1:3000", "app2:3000", "health_uri /health"} {
		if !strings.Contains(caddy, want) {
			t.Errorf("deploy/Caddyfile lacks %q", want)
		}
	}
}
