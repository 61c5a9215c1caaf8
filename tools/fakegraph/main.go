// Command fakegraph serves the fake Graph API (package whatsapp/fakegraph) as a process of its own, for the fault
// suite (tools/faultsuite) and manual tests: point GRAPH_API_URL at it. Loopback only.
//
// Besides the Graph routes it has a control door under /_fault/:
//
//	POST /_fault/mode?set=ok|500|hang   answer every message send normally, with 500 (code 131000), or hang it
//	                                    (answer after -hang, 30 s by default, unless the client gives up first)
//	GET  /_fault/sent                   every accepted send, in order: [{"to","wamid","time","body"}]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/waorder/waorder/whatsapp/fakegraph"
)

// sent is one accepted message send, as /_fault/sent lists it.
type sent struct {
	To    string          `json:"to"`
	WAMID string          `json:"wamid"`
	Time  time.Time       `json:"time"`
	Body  json.RawMessage `json:"body"`
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback)")
	hang := flag.Duration("hang", 30*time.Second, "how long a send hangs in hang mode")
	flag.Parse()
	if host, _, err := net.SplitHostPort(*addr); err != nil || (host != "127.0.0.1" && host != "localhost" && host != "::1") {
		log.Fatalf("fakegraph: -addr must be a loopback address, got %q", *addr)
	}
	var mode atomic.Value
	mode.Store("ok")
	fake := fakegraph.New(fakegraph.WithWAMIDPrefix(fmt.Sprintf("wamid.FG%d.", time.Now().UnixNano())),
		fakegraph.WithResponder(func(fakegraph.Request) fakegraph.Response {
			switch mode.Load() {
			case "500":
				return fakegraph.ServerError()
			case "hang":
				return fakegraph.Hang(*hang)
			}
			return fakegraph.Response{}
		}))
	mux := http.NewServeMux()
	mux.HandleFunc("POST /_fault/mode", func(w http.ResponseWriter, r *http.Request) {
		m := r.URL.Query().Get("set")
		if m != "ok" && m != "500" && m != "hang" {
			http.Error(w, "set must be ok, 500 or hang", http.StatusBadRequest)
			return
		}
		mode.Store(m)
		fmt.Fprintln(w, m)
	})
	mux.HandleFunc("GET /_fault/sent", func(w http.ResponseWriter, _ *http.Request) {
		out := []sent{}
		for _, r := range fake.Sent() {
			if r.WAMID != "" {
				out = append(out, sent{To: r.To, WAMID: r.WAMID, Time: r.Time, Body: r.Body})
			}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(out) //nolint:errcheck
	})
	mux.Handle("/", fake)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("fakegraph: %v", err)
	}
	// The first line of stdout is the base URL, for whoever started this process.
	fmt.Fprintln(os.Stdout, "http://"+ln.Addr().String())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.Serve(ln))
}
