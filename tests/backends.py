"""The services the scaled-out set-up uses, for tests: PostgreSQL and Redis, isolated per test.

Each test gets its own PostgreSQL schema (dropped afterwards) and its own Redis key prefix (keys
deleted afterwards), so tests stay independent and leave nothing behind. The servers are the
machine's (127.0.0.1:5432, database ``test``; 127.0.0.1:6379), or those named by
TEST_POSTGRES_DSN and TEST_REDIS_URL. In CI (CI=true) an unreachable server fails the run; on a
developer's machine the tests that need it are skipped, saying why.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import psycopg
import pytest
import redis

POSTGRES_DSN = os.environ.get(
    "TEST_POSTGRES_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=test"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@functools.cache
def _unreachable() -> str | None:
    """Why the services cannot be used (None: both answer). Checked once per run."""
    try:
        with psycopg.connect(POSTGRES_DSN, connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as e:
        return f"PostgreSQL unreachable ({POSTGRES_DSN}): {str(e).strip()}"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as e:
        return f"Redis unreachable ({REDIS_URL}): {e}"
    return None


def require_services() -> None:
    """Skip the test when PostgreSQL or Redis is unreachable; in CI, fail it."""
    reason = _unreachable()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI must test the Redis + PostgreSQL set-up)", pytrace=False)
    pytest.skip(reason)


def sqlalchemy_url(schema: str | None = None) -> str:
    """The SQLAlchemy URL of the test database, with ``schema`` first on the search path."""
    params = psycopg.conninfo.conninfo_to_dict(POSTGRES_DSN)
    user = params.get("user", "postgres")
    url = (
        f"postgresql+psycopg://{quote(user)}@{params.get('host', '127.0.0.1')}:"
        f"{params.get('port', 5432)}/{params.get('dbname', 'test')}"
    )
    return url + (f"?options=-csearch_path%3D{schema}" if schema else "")


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh, empty schema for one test; yields its SQLAlchemy URL, drops it afterwards."""
    schema = "test_" + uuid.uuid4().hex[:12]
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield sqlalchemy_url(schema)
    finally:
        with psycopg.connect(POSTGRES_DSN, autocommit=True) as connection:
            connection.execute("SET lock_timeout = '10s'")
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


@contextmanager
def redis_prefix() -> Iterator[str]:
    """A key prefix no other test uses; yields it, deletes its keys afterwards."""
    prefix = f"test:{uuid.uuid4().hex[:12]}:session:"
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()
