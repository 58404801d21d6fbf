"""requests + certifi: real HTTP requests to a server the test runs on 127.0.0.1, and an ssl
context loading certifi's CA bundle (a data file certifi finds by a path next to its code).

argv[1] is the server's base URL, e.g. http://127.0.0.1:PORT. Nothing printed depends on the
port, so the frozen and the plain run print the same.
"""

import os
import ssl
import sys
from urllib.parse import urlsplit

import certifi
import requests


def main() -> None:
    base = sys.argv[1]
    response = requests.get(f"{base}/hello", params={"who": "wörld"}, timeout=10)
    print("GET /hello", response.status_code, response.headers["Content-Type"])
    print("json", response.json())
    print("encoding", response.encoding)

    redirected = requests.get(f"{base}/redirect", timeout=10)
    print("redirect history", [r.status_code for r in redirected.history],
          "final path", urlsplit(redirected.url).path, redirected.status_code)

    with requests.Session() as session:
        session.headers["X-Test"] = "freezer"
        echoed = session.post(f"{base}/echo", json={"numbers": [1, 2, 3], "text": "ünï"},
                              timeout=10)
    print("POST /echo", echoed.status_code, echoed.json())

    latin = requests.get(f"{base}/latin", timeout=10)
    # text/* without a charset is ISO-8859-1 to requests; apparent_encoding runs
    # charset_normalizer (compiled extension modules) over the bytes.
    print("latin", latin.encoding, latin.text, "apparent", latin.apparent_encoding)

    missing = requests.get(f"{base}/missing", timeout=10)
    try:
        missing.raise_for_status()
    except requests.HTTPError as exc:
        print("raise_for_status", type(exc).__name__, exc.response.status_code)

    bundle = certifi.where()
    print("certifi bundle is a file", os.path.isfile(bundle), bundle.endswith("cacert.pem"))
    print("requests uses it", requests.utils.DEFAULT_CA_BUNDLE_PATH == bundle)
    print("certificates in the bundle", certifi.contents().count("BEGIN CERTIFICATE"))
    context = ssl.create_default_context(cafile=bundle)
    print("CA certificates loaded", len(context.get_ca_certs()))
    print("verify mode", context.verify_mode.name, "check hostname", context.check_hostname)


if __name__ == "__main__":
    main()
