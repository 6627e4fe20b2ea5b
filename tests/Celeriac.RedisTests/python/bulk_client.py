"""Publishes N interop.add(i, i) tasks to INTEROP_QUEUE with Python Celery's own client, then waits for all N
results in the result backend (MGET in chunks, so waiting costs little) and checks each one: SUCCESS and 2 * i.
Prints 'published N in Xs', then 'N passed, M failed'; exits 1 when any result is missing or wrong.
Usage: /usr/bin/python3 bulk_client.py N [timeout_seconds]
"""
import json
import sys
import time

from interop_tasks import add, app

n = int(sys.argv[1])
timeout = float(sys.argv[2]) if len(sys.argv) > 2 else 300.0

start = time.perf_counter()
ids = []
with app.producer_or_acquire() as producer:  # one connection for the whole batch, as a bulk sender would
    for i in range(n):
        ids.append(add.apply_async((i, i), producer=producer).id)
print("published %d in %.2fs" % (n, time.perf_counter() - start), flush=True)

client = app.backend.client
pending = dict(enumerate(ids))
good = bad = 0
deadline = time.monotonic() + timeout
while pending and time.monotonic() < deadline:
    items = list(pending.items())
    for chunk_start in range(0, len(items), 1000):
        chunk = items[chunk_start:chunk_start + 1000]
        values = client.mget([app.backend.get_key_for_task(task_id) for _, task_id in chunk])
        for (i, task_id), raw in zip(chunk, values):
            if raw is None:
                continue
            meta = json.loads(raw)
            if meta["status"] not in ("SUCCESS", "FAILURE"):
                continue
            del pending[i]
            if meta["status"] == "SUCCESS" and meta["result"] == 2 * i and meta["task_id"] == task_id:
                good += 1
            else:
                bad += 1
                print("FAIL %d %s: %r" % (i, task_id, meta), flush=True)
    if pending:
        time.sleep(0.2)

for i, task_id in list(pending.items())[:20]:
    print("MISSING %d %s" % (i, task_id), flush=True)
print("%d passed, %d failed" % (good, bad + len(pending)), flush=True)
sys.exit(0 if good == n else 1)
