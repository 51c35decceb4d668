"""The container bed's alarm receiver: a webhook endpoint on the host for the nodes' alert agent.

    alarm_receiver.py --bind ADDR --port PORT --token-file FILE --log FILE

Accepts POST /alarm/TOKEN with "Authorization: Bearer TOKEN" (the bed's secret, so a test can look
for it where it must never show: the runs' output, the nodes' journals) and appends each alarm
as one JSON line {"received": EPOCH, "alarm": BODY} to the log. Anything else gets 403.
"""
import argparse
import http.server
import json
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bind", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token-file", required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    with open(args.token_file) as handle:
        token = handle.read().strip()

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path != "/alarm/" + token or self.headers.get("Authorization") != "Bearer " + token:
                self.send_response(403)
                self.end_headers()
                return
            try:
                alarm = json.loads(body)
            except ValueError:
                self.send_response(400)
                self.end_headers()
                return
            with open(args.log, "a") as log:
                log.write(json.dumps({"received": time.time(), "alarm": alarm}) + "\n")
            self.send_response(204)
            self.end_headers()

        def log_message(self, *unused):
            pass

    http.server.ThreadingHTTPServer((args.bind, args.port), Receiver).serve_forever()


if __name__ == "__main__":
    main()
