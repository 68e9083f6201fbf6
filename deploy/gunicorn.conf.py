"""gunicorn settings shared by `make run`, `make serve` (deploy/supervisord.conf) and the
fault tests: `gunicorn --config deploy/gunicorn.conf.py ...`.

gunicorn answers a request line or header past its limits itself, in plain text, before
the app sees it. Its limits are raised here to their documented maximum so that the app's
own, lower limits (igny8.api.guard: 4,094 bytes, gunicorn's defaults) answer first with
the JSON error envelope; only a request past 8,190 bytes still gets gunicorn's answer.
"""

limit_request_line = 8190
limit_request_field_size = 16380
