"""Calls circusd through the reference's own client library (circus.client.CircusClient).

Used by scripts/conformance.ts in its "cross" mode: one JSON request per line on stdin, one
JSON reply per line on stdout, with the request's own id put back (CircusClient sets its own).
"""
import json
import sys

from circus.client import CircusClient
from circus.exc import CallError

client = CircusClient(endpoint=sys.argv[1], timeout=20)
for line in sys.stdin:
    request = json.loads(line)
    wanted = request.get("id")
    try:
        reply = client.call(request)
    except CallError as error:
        reply = {"<CallError>": str(error)}
    if isinstance(reply, dict) and "id" in reply:
        reply["id"] = wanted
    print(json.dumps(reply), flush=True)
