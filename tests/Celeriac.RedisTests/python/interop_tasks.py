"""Celery app + deterministic tasks for the Redis interop tests (a copy of the shared harness's task contract).

Environment: CELERY_BROKER_URL, CELERY_RESULT_BACKEND (required), INTEROP_QUEUE (default queue, default 'celery').
Run with /usr/bin/python3 (Debian python3-celery 5.2.6).
"""
import os

from celery import Celery

app = Celery("interop", broker=os.environ["CELERY_BROKER_URL"], backend=os.environ["CELERY_RESULT_BACKEND"])
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    result_accept_content=["json"],
    enable_utc=True,
    timezone="UTC",
    task_default_queue=os.environ.get("INTEROP_QUEUE", "celery"),
)


@app.task(name="interop.add")
def add(x, y):
    return x + y


@app.task(name="interop.mul")
def mul(x, y):
    return x * y


@app.task(name="interop.identity")
def identity(value):
    return value


@app.task(name="interop.fail")
def fail(message="boom"):
    raise ValueError(message)
