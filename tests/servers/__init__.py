"""Small HTTP servers on 127.0.0.1 that speak each provider's wire format, for tests.

Each server answers from a script: ``server.script.append("rate_limit")`` makes the next
request get a 429; with the script empty it answers normally. ``server.requests``
records what arrived (path, headers, JSON body)."""
