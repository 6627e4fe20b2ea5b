"""Celery app + deterministic tasks for the Redis interop tests (a copy of the shared harness's task contract).

Environment: CELERY_BROKER_URL, CELERY_RESULT_BACKEND (required), INTEROP_QUEUE (default queue, default 'celery'),
INTEROP_VISIBILITY_TIMEOUT (seconds, default 3600).
Run with /usr/bin/python3 (Debian python3-celery 5.2.6).
"""
import os
import time

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
    broker_transport_options={"visibility_timeout": float(os.environ.get("INTEROP_VISIBILITY_TIMEOUT", "3600"))},
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


@app.task(name="interop.sleep")
def sleep(seconds):
    time.sleep(seconds)
    return seconds


@app.task(name="interop.xsum")
def xsum(numbers):
    return sum(numbers)


@app.task(name="interop.echo")
def echo(*args, **kwargs):
    return {"args": list(args), "kwargs": kwargs}
