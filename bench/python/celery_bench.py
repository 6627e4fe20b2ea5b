"""Python Celery 5.2 side of the end-to-end bench (bench/Celeriac.E2E runs it; see bench/README.md).

As a Celery app (`celery -A celery_bench worker ...`) it defines the no-op task `bench.noop(i) -> i`. As a script:
  celery_bench.py publish N     publishes N bench.noop tasks through one producer; prints {"published": N, "seconds": s}
  celery_bench.py rtt M         M round trips, one task at a time (delay, then get); prints {"rtt_ms": [...]}
Environment: CELERY_BROKER_URL, CELERY_RESULT_BACKEND, BENCH_QUEUE (default 'bench'). Run with /usr/bin/python3.
"""
import json
import os
import sys
import time

from celery import Celery

app = Celery("celery_bench", broker=os.environ["CELERY_BROKER_URL"], backend=os.environ["CELERY_RESULT_BACKEND"])
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    enable_utc=True,
    task_default_queue=os.environ.get("BENCH_QUEUE", "bench"),
    worker_hijack_root_logger=False,
)


@app.task(name="bench.noop")
def noop(i):
    return i


def publish(n):
    start = time.perf_counter()
    with app.producer_or_acquire() as producer:
        for i in range(n):
            noop.apply_async((i,), producer=producer)
    print(json.dumps({"published": n, "seconds": time.perf_counter() - start}), flush=True)


def rtt(m):
    samples = []
    noop.delay(-1).get(timeout=30)  # the result consumer's subscription is set up outside the measure
    for i in range(m):
        start = time.perf_counter()
        noop.delay(i).get(timeout=30)
        samples.append((time.perf_counter() - start) * 1000.0)
    print(json.dumps({"rtt_ms": samples}), flush=True)


if __name__ == "__main__":
    {"publish": publish, "rtt": rtt}[sys.argv[1]](int(sys.argv[2]))
