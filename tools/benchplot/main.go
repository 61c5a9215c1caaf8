// Command benchplot draws what scripts/bench.sh recorded as one SVG: webhook latency (p50 and p99 per second), the
// service's RSS, and replies sent per second with the replies still queued, on one time axis. Inputs are CSV files
// with a header row: -samples (second,rss_mb,sent,queued, one row a second from the sampler; later columns are
// ignored) and any number of -phase label=offset:file (a loadgen -timeline file whose second 0 was offset seconds
// into the samples).
package main

import (
	"bytes"
	"encoding/csv"
	"flag"
	"fmt"
	"html"
	"math"
	"os"
	"strconv"
	"strings"
)

type phases []string

func (p *phases) String() string     { return strings.Join(*p, " ") }
func (p *phases) Set(v string) error { *p = append(*p, v); return nil }

// series is one line of a panel.
type series struct {
	name  string
	color string
	x, y  []float64
}

func main() {
	samples := flag.String("samples", "", "sampler CSV: second,rss_mb,sent,queued")
	out := flag.String("o", "bench.svg", "SVG to write")
	title := flag.String("title", "waorder benchmark", "title")
	var ph phases
	flag.Var(&ph, "phase", "label=offset:timeline.csv (repeatable)")
	flag.Parse()
	if err := run(*samples, ph, *title, *out); err != nil {
		fmt.Fprintln(os.Stderr, "benchplot:", err)
		os.Exit(1)
	}
}

func readCSV(path string) ([][]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var out [][]float64
	for _, r := range rows[min(1, len(rows)):] {
		vals := make([]float64, len(r))
		for i, v := range r {
			vals[i], _ = strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
		out = append(out, vals)
	}
	return out, nil
}

func run(samplesPath string, ph phases, title, out string) error {
	rows, err := readCSV(samplesPath)
	if err != nil {
		return err
	}
	rss := series{name: "RSS (MB)", color: "#1f77b4"}
	sent := series{name: "replies sent/s", color: "#2ca02c"}
	queued := series{name: "replies queued (÷100)", color: "#ff7f0e"}
	for i, r := range rows {
		if len(r) < 4 {
			continue
		}
		rss.x, rss.y = append(rss.x, r[0]), append(rss.y, r[1])
		queued.x, queued.y = append(queued.x, r[0]), append(queued.y, r[3]/100)
		if i > 0 && len(rows[i-1]) >= 4 && r[0] > rows[i-1][0] {
			sent.x, sent.y = append(sent.x, r[0]), append(sent.y, max(r[2]-rows[i-1][2], 0)/(r[0]-rows[i-1][0]))
		}
	}
	p50 := series{name: "webhook p50 (ms)", color: "#9467bd"}
	p99 := series{name: "webhook p99 (ms)", color: "#d62728"}
	var labels []marker
	for _, p := range ph {
		label, rest, ok := strings.Cut(p, "=")
		offs, file, ok2 := strings.Cut(rest, ":")
		if !ok || !ok2 {
			return fmt.Errorf("phase %q: want label=offset:file", p)
		}
		off, err := strconv.ParseFloat(offs, 64)
		if err != nil {
			return fmt.Errorf("phase %q: %w", p, err)
		}
		t, err := readCSV(file)
		if err != nil {
			return err
		}
		labels = append(labels, marker{off, label})
		if len(p50.x) > 0 { // a gap between phases: the lines do not join them
			p50.x, p50.y = append(p50.x, off), append(p50.y, math.NaN())
			p99.x, p99.y = append(p99.x, off), append(p99.y, math.NaN())
		}
		for _, r := range t {
			if len(r) >= 4 && r[1] > 0 {
				p50.x, p50.y = append(p50.x, off+r[0]), append(p50.y, r[2])
				p99.x, p99.y = append(p99.x, off+r[0]), append(p99.y, r[3])
			}
		}
	}
	var b bytes.Buffer
	const w, panelH, top, left = 900, 200, 40, 60
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n",
		w, top+3*(panelH+40)+10)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/><text x="%d" y="24" font-size="16">%s</text>`+"\n", left, html.EscapeString(title))
	xmax := 1.0
	for _, s := range []series{rss, p99} {
		for _, x := range s.x {
			xmax = max(xmax, x)
		}
	}
	panels := [][]series{{p50, p99}, {rss}, {sent, queued}}
	for i, ss := range panels {
		panel(&b, ss, labels, left, top+i*(panelH+40), w-left-20, panelH, xmax)
	}
	b.WriteString("</svg>\n")
	if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	return nil
}

type marker struct {
	at    float64
	label string
}

// panel draws ss as lines in a box at (x0, y0) of size w×h, x from 0 to xmax seconds, y from 0 to the largest value.
func panel(b *bytes.Buffer, ss []series, marks []marker, x0, y0, w, h int, xmax float64) {
	ymax := 1.0
	for _, s := range ss {
		for _, y := range s.y {
			if !math.IsNaN(y) {
				ymax = max(ymax, y)
			}
		}
	}
	ymax *= 1.1
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#999"/>`+"\n", x0, y0, w, h)
	for i := 0; i <= 4; i++ {
		y := float64(y0+h) - float64(h)*float64(i)/4
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eee"/><text x="%d" y="%.1f" text-anchor="end">%.0f</text>`+"\n",
			x0, y, x0+w, y, x0-4, y+4, ymax*float64(i)/4)
	}
	for _, m := range marks {
		x := float64(x0) + float64(w)*m.at/xmax
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ccc" stroke-dasharray="4"/><text x="%.1f" y="%d" fill="#666">%s</text>`+"\n",
			x, y0, x, y0+h, x+3, y0+12, html.EscapeString(m.label))
	}
	fmt.Fprintf(b, `<text x="%d" y="%d" fill="#666">seconds</text>`+"\n", x0+w-50, y0+h+14)
	for i, s := range ss {
		var pts strings.Builder
		line := func() {
			if pts.Len() > 0 {
				fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`+"\n", s.color, pts.String())
				pts.Reset()
			}
		}
		for j := range s.x {
			if math.IsNaN(s.y[j]) {
				line()
				continue
			}
			fmt.Fprintf(&pts, "%.1f,%.1f ", float64(x0)+float64(w)*s.x[j]/xmax, float64(y0+h)-float64(h)*s.y[j]/ymax)
		}
		line()
		fmt.Fprintf(b, `<text x="%d" y="%d" fill="%s">%s</text>`+"\n", x0+10+i*180, y0+h+28, s.color, html.EscapeString(s.name))
	}
}
