#!/usr/bin/env bash
# The Node peer of scripts/bench.sh: whatsapp-api-js + Express, installed from npm into DIR/node (never into the
# repository), verifying each webhook's signature and storing nothing, listening on 127.0.0.1:PORT+1.
# Usage: bash scripts/bench_node.sh DIR PORT. Leaves the server running; it stops when DIR's bench ends (its pid is
# in DIR/node.pid).
set -euo pipefail
dir=$1/node
port=$(($2 + 1))
mkdir -p "$dir"
cd "$dir"
npm init -y >/dev/null
npm install --no-audit --no-fund whatsapp-api-js@6 express@5 >/dev/null 2>&1
cat >server.mjs <<'JS'
import express from "express";
import { WhatsAppAPI } from "whatsapp-api-js/middleware/express";
import { NodeNext } from "whatsapp-api-js/setup/node";

const Whatsapp = new WhatsAppAPI(NodeNext({
    token: "unused", appSecret: "sandbox-app-secret", webhookVerifyToken: "sandbox-verify-token",
}));
Whatsapp.on.message = () => {};
Whatsapp.on.status = () => {};
const app = express();
app.post("/webhook", express.text({ type: "*/*" }), async (req, res) => {
    res.sendStatus(await Whatsapp.handle_post(req));
});
app.listen(Number(process.env.PORT), "127.0.0.1");
JS
PORT=$port node server.mjs >"$dir/log" 2>&1 &
echo $! >"$1/node.pid"
for _ in $(seq 1 100); do
	curl -s -o /dev/null "http://127.0.0.1:$port/webhook" && exit 0
	sleep 0.1
done
echo "node peer did not start" >&2
exit 1
