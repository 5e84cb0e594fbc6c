"""CI helper: do PostgreSQL and Redis answer here? Optionally create or drop a throwaway database.

usage: ci_services.py POSTGRES_URL REDIS_URL [--create NAME | --drop NAME]
Exits 1 when either server does not answer.
"""

import sys

import dj_database_url
import psycopg2
import redis
from psycopg2 import sql


def main() -> int:
    pg_url, redis_url, *action = sys.argv[1:]
    db = dj_database_url.parse(pg_url)
    try:
        connection = psycopg2.connect(
            dbname=db["NAME"],
            user=db["USER"] or None,
            password=db["PASSWORD"] or None,
            host=db["HOST"] or None,
            port=db["PORT"] or None,
            connect_timeout=3,
        )
        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    except (psycopg2.Error, redis.RedisError) as error:
        print(f"not available: {error}".strip())
        return 1
    connection.autocommit = True
    with connection.cursor() as cursor:
        if action and action[0] == "--create":
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(action[1])))
        elif action and action[0] == "--drop":
            # The throwaway database and any test databases pytest left behind for it.
            cursor.execute(
                "SELECT datname FROM pg_database WHERE datname = %s OR datname LIKE %s",
                [action[1], f"test_{action[1]}%"],
            )
            for (name,) in cursor.fetchall():
                cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
