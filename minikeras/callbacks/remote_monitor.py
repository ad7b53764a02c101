"""`RemoteMonitor`: post each epoch's logs to an HTTP server, with the standard library's urllib."""

from __future__ import annotations

import warnings

import numpy as np

from minikeras.callbacks.callback import Callback


class RemoteMonitor(Callback):
    """Stream the logs of each epoch to a server.

    At the end of every epoch, a POST request goes to `root + path` carrying
    `{"epoch": epoch, **logs}` as JSON (numpy scalars as plain numbers): in a
    form, under `field` (`data=<json>`, form-encoded), or with
    `send_as_json=True` as the request body itself (`application/json`; then
    `field` is not used). These are the bytes Keras sends with the requests
    library; minikeras needs no requests.

    A server that cannot be reached (or a URL that cannot be used) gives a
    warning, not an error, and training goes on; so does a JSON body that
    cannot be written because a value is nan or infinite (the form's JSON
    writes them as `NaN` / `Infinity`). The server's answer is not read, and
    an error status is ignored, as in Keras.

    Args:
        root: the root URL of the server (default "http://localhost:9000").
        path: the path, relative to `root`, the events are sent to (default
            "/publish/epoch/end/").
        field: the form field the JSON is stored under (default "data"), when
            the logs are sent in a form.
        headers: optional dict of extra HTTP headers.
        send_as_json: send the JSON as the request body, with the content type
            `application/json` (default False: in a form).

    Example:
        >>> monitor = RemoteMonitor(root="http://localhost:9000")
        >>> model.fit(x, y, epochs=10, callbacks=[monitor])
    """

    def __init__(
        self,
        root: str = "http://localhost:9000",
        path: str = "/publish/epoch/end/",
        field: str = "data",
        headers: dict[str, str] | None = None,
        send_as_json: bool = False,
    ) -> None:
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = send_as_json

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        # Here, not at the top: `import minikeras` stays light.
        import http.client
        import json
        import urllib.error
        import urllib.parse
        import urllib.request

        send = {"epoch": epoch}
        for key, value in (logs or {}).items():
            # numpy numbers are not JSON-serializable: send the Python number they hold.
            send[key] = value.item() if isinstance(value, (np.ndarray, np.generic)) else value
        if self.send_as_json:
            content_type = "application/json"
            try:
                body = json.dumps(send, allow_nan=False).encode("utf-8")
            except ValueError:  # nan or inf: not JSON; Keras (through requests) warns and sends nothing
                self._warn_unreachable()
                return
        else:
            content_type = "application/x-www-form-urlencoded"
            body = urllib.parse.urlencode({self.field: json.dumps(send)}).encode("ascii")
        # requests' default Accept, then the content type, then the caller's headers, which win.
        headers = {"Accept": "*/*", "Content-Type": content_type}
        for name, value in (self.headers or {}).items():
            headers = {key: v for key, v in headers.items() if key.lower() != name.lower()}
            headers[name] = value
        try:
            request = urllib.request.Request(self.root + self.path, data=body, headers=headers, method="POST")
            with urllib.request.urlopen(request) as response:
                response.read()
        except urllib.error.HTTPError as error:  # the server answered: an error status is not reported
            error.close()
        except (OSError, http.client.HTTPException, ValueError):  # unreachable, or not a usable URL
            self._warn_unreachable()

    def _warn_unreachable(self) -> None:
        warnings.warn(f"Could not reach RemoteMonitor root server at {self.root}", stacklevel=3)
