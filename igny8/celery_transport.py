"""Celery's Redis transport, made to survive losing the broker with runs in flight.

kombu 5.7's Redis channel (with celery 5.7, redis-py 8.1), closed by a worker whose broker
went away while it held unacknowledged messages (acks_late: every run in flight), gives
those messages back through a client built from a transport that is already detached
(its ``client`` is None): AttributeError, which the worker's reconnect does not catch, so
the worker logs "Unrecoverable error" and exits (tests/faults/test_worker_outlives_redis.py).
Raising the connection error kombu expects instead lets the worker close the channel and
reconnect; the messages come back once the broker does (visibility timeout), and the runs
themselves are resumed from PostgreSQL as after any crash.
"""

import redis
from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous=False):
        if self.connection.client is None:
            raise redis.exceptions.ConnectionError("the connection to the broker was closed")
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel
