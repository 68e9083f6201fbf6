# Copy to instance/config.py (or let `flask igny8 init` write one) and adjust.
# Every setting can also come from the environment as IGNY8_<NAME>, which wins over this file.

# SECRET_KEY = "..."            # signs sessions; `flask igny8 init` generates one
# ENCRYPTION_KEY = "..."        # Fernet key(s) for secrets at rest; "new,old" to rotate
# DATABASE_URL = "postgresql+psycopg://user@127.0.0.1:5432/igny8"   # default: SQLite here
# LOAD_PLUGINS = "openai,clustering"   # only these plugins (unset: all installed)
# DISABLE_PLUGINS = "publisher"        # block some plugins
# MEDIA_DIR = "/var/lib/igny8/media"   # default: <instance>/media
# OUTBOUND_ALLOW_HOSTS = "127.0.0.1,wp.internal,10.20.0.0/16"  # publishing may reach these
#                                      # although they are not public (default: public only)
# PROMPT_MAX_CHARS = 200000            # longest prompt a template may render
# PROMPT_MAX_STEPS = 100000            # loop turns, calls, lookups a render may take
# API_RATE_LIMIT = "300 per minute"    # per API token, across the API
# LOGIN_RATE_LIMIT = "10 per minute; 50 per hour"   # admin sign-in POSTs per address
# RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379/0"  # share counts between processes
