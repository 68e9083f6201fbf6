"""WSGI entry point: `gunicorn wsgi:app`, `waitress-serve wsgi:app`, or `flask --app wsgi ...`."""

from igny8 import create_app

app = create_app()
