#!/usr/bin/env python3
"""Test numbers for primality with primetime, using requests.

    PRIMETIME_KEY=pt_... python3 examples/check_prime.py [N ...]

PRIMETIME_URL sets the server (default http://127.0.0.1:5000). Without N it tests 97, 2^127 - 1
and 2^128 + 1. Each number is sent as a string of digits and read back as one, so numbers above
2^53 keep every digit in any JSON library.

On 429 the script waits for Retry-After and retries, unless the wait is longer than
PRIMETIME_MAX_WAIT seconds (default 10): then it prints the server's message and exits with 3.
"""

import os
import sys
import time

import requests

DEFAULT_NUMBERS = [str(97), str(2**127 - 1), str(2**128 + 1)]


def check_prime(session, url, number, max_wait):
    """Return the /check-prime result for number (a string of digits), retrying after a 429."""
    while True:
        response = session.post(f"{url}/check-prime", json={"number": number}, timeout=30)
        if response.status_code != 429:
            break

        retry_after = int(response.headers.get("Retry-After") or response.json().get("retryAfter", 1))
        if retry_after > max_wait:
            message = response.json().get("message", "Too many requests.")
            print(f"rate limited: {message} (Retry-After: {retry_after} s)", file=sys.stderr)
            sys.exit(3)

        print(f"rate limited, retrying in {retry_after} s", file=sys.stderr)
        time.sleep(retry_after)

    if not response.ok:
        body = response.json() if "json" in response.headers.get("Content-Type", "") else {}
        message = body.get("message", response.reason)
        print(f"error {response.status_code} for {number}: {message}", file=sys.stderr)
        sys.exit(1)

    return response.json()


def main():
    key = os.environ.get("PRIMETIME_KEY")
    if not key:
        print('Set PRIMETIME_KEY to an API key, such as one from "npm run cli -- keys create".', file=sys.stderr)
        return 2

    url = os.environ.get("PRIMETIME_URL", "http://127.0.0.1:5000").rstrip("/")
    max_wait = int(os.environ.get("PRIMETIME_MAX_WAIT", "10"))
    numbers = sys.argv[1:] or DEFAULT_NUMBERS

    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {key}"
        for number in numbers:
            result = check_prime(session, url, number, max_wait)
            witness = result.get("witness")
            detail = f", witness {witness['type']} {witness['value']}" if witness else ""
            print(f"{result['number']}: {result['result']} ({result['method']}, {result['bits']} bits{detail})")

    return 0


if __name__ == "__main__":
    sys.exit(main())
