"""Serve a model over HTTP with nothing but the standard library.

    python examples/serve.py MODEL_FILE [--host 127.0.0.1] [--port 8000] [--max-body-bytes 1048576]

Loads the model (a `.h5` or `.keras` file, saved by minikeras or by Keras) once, then answers

    POST /predict   {"instances": [[...], ...]}  ->  {"predictions": [[...], ...]}
    GET  /health    {"status": "ok", "input_shape": [...], "output_shape": [...]}

Malformed JSON, instances of the wrong shape or with non-numeric values get 400 with a JSON error;
a body larger than --max-body-bytes gets 413. Requests are served by a pool of threads that all
predict with the one model: minikeras's inference keeps no state on the layers, so that is safe.
"""

from __future__ import annotations

import argparse
import json
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

import minikeras


class PredictionError(ValueError):
    """A request the model cannot answer; its message goes back to the client."""


def parse_instances(body: bytes, model) -> np.ndarray:
    """Turn a request body into an input batch for `model`, or raise PredictionError."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise PredictionError(f"The body is not valid JSON: {error}") from None
    if not isinstance(payload, dict) or "instances" not in payload:
        raise PredictionError('The body must be a JSON object with an "instances" list.')
    instances = payload["instances"]
    if not isinstance(instances, list) or not instances:
        raise PredictionError('"instances" must be a non-empty list.')
    try:
        batch = np.array(instances, dtype=np.float64)
    except (TypeError, ValueError):
        raise PredictionError('"instances" must hold numbers only, in equally sized nested lists.') from None
    if not np.all(np.isfinite(batch)):
        raise PredictionError('"instances" must hold finite numbers (no NaN or infinity).')
    expected = tuple(model.input_shape[1:])
    if batch.shape[1:] != expected:
        raise PredictionError(f"Each instance must have shape {list(expected)}; received {list(batch.shape[1:])}.")
    return batch.astype(model.input_dtype)


def make_handler(model, max_body_bytes: int):
    """A request handler class bound to `model`."""

    class PredictionHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _reply(self, status: int, payload: dict) -> None:
            body = json.dumps(payload).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):  # noqa: N802 (the name http.server calls)
            if self.path != "/health":
                self._reply(HTTPStatus.NOT_FOUND, {"error": f"No such resource: {self.path}. Use POST /predict."})
                return
            self._reply(
                HTTPStatus.OK,
                {"status": "ok", "input_shape": list(model.input_shape), "output_shape": list(model.output_shape)},
            )

        def do_POST(self):  # noqa: N802
            if self.path != "/predict":
                self._reply(HTTPStatus.NOT_FOUND, {"error": f"No such resource: {self.path}. Use POST /predict."})
                return
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                self._reply(HTTPStatus.LENGTH_REQUIRED, {"error": "A Content-Length header is required."})
                return
            if length > max_body_bytes:
                self.close_connection = True  # the unread body must not be taken for the next request
                self._reply(
                    HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                    {"error": f"The body is {length} bytes; the limit is {max_body_bytes}."},
                )
                return
            try:
                batch = parse_instances(self.rfile.read(length), model)
            except PredictionError as error:
                self._reply(HTTPStatus.BAD_REQUEST, {"error": str(error)})
                return
            predictions = model.predict(batch, verbose=0)
            self._reply(HTTPStatus.OK, {"predictions": predictions.tolist()})

        def log_message(self, format, *args):  # one line per request on stderr, as http.server does
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

    return PredictionHandler


def make_server(model, host: str = "127.0.0.1", port: int = 8000, max_body_bytes: int = 1 << 20) -> ThreadingHTTPServer:
    """Create (not start) a threaded HTTP server answering predictions from `model`."""
    return ThreadingHTTPServer((host, port), make_handler(model, max_body_bytes))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Serve a minikeras or Keras model file over HTTP.")
    parser.add_argument("model", help="a .h5 or .keras model file")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument("--max-body-bytes", type=int, default=1 << 20)
    args = parser.parse_args(argv)
    model = minikeras.models.load_model(args.model, compile=False)
    server = make_server(model, args.host, args.port, args.max_body_bytes)
    host, port = server.server_address[:2]
    print(f"Serving {args.model} on http://{host}:{port}/predict", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
