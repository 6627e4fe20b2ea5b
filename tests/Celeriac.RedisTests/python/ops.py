"""Python Celery's own operations tools, driven against whatever workers share the broker (Celeriac's, in the tests).

Usage (environment as interop_tasks.py):
  ops.py revoke ID [--terminate]      app.control.revoke(ID, terminate=...), a broadcast (cast) like Celery users send
  ops.py state QUEUE [SECONDS]        starts an app.events.Receiver feeding a celery.events.state.State, sends
                                      interop.add(2, 3) to QUEUE once the first event proves the receiver listens (its
                                      start asks workers for a heartbeat), captures until State has the task SUCCESS
                                      (or SECONDS pass), then prints one JSON line of what State knows
"""
import json
import socket
import sys
import time

from celery.events.state import State
from celery.events.receiver import EventReceiver

from interop_tasks import app


def revoke(task_id, terminate):
    app.control.revoke(task_id, terminate=terminate)
    print("revoked", task_id, "terminate" if terminate else "")


class CountingReceiver(EventReceiver):
    """Counts task.multi batches (list bodies) and single events as they arrive."""

    batches = 0
    singles = 0

    def _receive(self, body, message, list=list, isinstance=isinstance):
        if isinstance(body, list):
            self.batches += 1
        else:
            self.singles += 1
        return super()._receive(body, message)


def follow(queue, seconds):
    state = State()
    sent = {}

    def on_event(event):
        # On Redis the subscription is made inside the first drain: only an event proves it is live.
        if "id" not in sent:
            sent["id"] = app.send_task("interop.add", (2, 3), queue=queue).id
            print("sent", sent["id"], flush=True)
        state.event(event)

    def done():
        task = state.tasks.get(sent.get("id"))
        return task is not None and task.state == "SUCCESS" and task.runtime is not None

    deadline = time.monotonic() + seconds
    with app.connection_for_read() as conn:
        recv = CountingReceiver(conn, handlers={"*": on_event}, app=app)
        try:
            for _ in recv.itercapture(limit=None, timeout=seconds, wakeup=True):
                if done() or time.monotonic() > deadline:
                    break
        except socket.timeout:
            pass
    task = state.tasks.get(sent.get("id"))
    worker = task.worker if task is not None else None
    print(json.dumps({
        "id": sent.get("id"),
        "state": task.state if task else None,
        "name": task.name if task else None,
        "args": task.args if task else None,
        "kwargs": task.kwargs if task else None,
        "result": task.result if task else None,
        "runtime": task.runtime if task else None,
        "received": task.received if task else None,
        "started": task.started if task else None,
        "succeeded": task.succeeded if task else None,
        "worker": worker.hostname if worker else None,
        "worker_alive": worker.alive if worker else None,
        "worker_sw": [worker.sw_ident, worker.sw_ver, worker.sw_sys] if worker else None,
        "workers": sorted(state.workers),
        "batches": recv.batches,
        "singles": recv.singles,
    }), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "revoke":
        revoke(sys.argv[2], "--terminate" in sys.argv[3:])
    elif sys.argv[1] == "state":
        follow(sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 30.0)
    else:
        sys.exit("unknown command " + sys.argv[1])
