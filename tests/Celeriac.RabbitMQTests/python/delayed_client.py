"""Python Celery client for the native-delayed-delivery interop test: sends interop.* tasks with a countdown or an ETA
the way Celery 5.5 publishes them when the task queues are quorum queues on a topic exchange (celery/app/base.py,
send_task): to the topic exchange celery_delayed_27, the routing key being the whole seconds to wait as 28 binary
digits, one dotted word each, then the queue's routing key (kombu's calculate_routing_key). Debian's Celery 5.2 has
no such code, so the exchange and routing key are passed explicitly; the message itself is Celery's. A C# worker
consumes INTEROP_QUEUE; results come back over rpc://. Prints 'PASS name' / 'FAIL name: why', then
'N passed, M failed'. Run with /usr/bin/python3 from the python/ directory (interop_tasks.py is beside it).
"""
import datetime
import os
import time

from kombu import Exchange, Queue

from cases import case, finish
from interop_tasks import add, app

QUEUE = os.environ["INTEROP_QUEUE"]
DELAYED = Exchange("celery_delayed_27", type="topic")

# What Celery 5.5's task_default_queue_type=quorum and task_default_exchange_type=topic declare, spelt out for 5.2.
app.conf.task_default_exchange_type = "topic"
app.conf.task_queues = [Queue(QUEUE, Exchange(QUEUE, type="topic"), routing_key=QUEUE, queue_arguments={"x-queue-type": "quorum"})]


def routing_key(seconds):
    return ".".join(format(int(seconds), "028b")) + "." + QUEUE


@case("countdown_3s_through_the_levels")
def _():
    start = time.time()
    r = add.apply_async((2, 3), countdown=3, exchange=DELAYED, routing_key=routing_key(3))
    assert r.get(timeout=60) == 5
    assert time.time() - start >= 2.9, time.time() - start


@case("eta_5s_through_the_levels")
def _():
    start = time.time()
    eta = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=5.5)
    r = app.send_task("interop.mul", (6, 7), eta=eta, exchange=DELAYED, routing_key=routing_key(5))
    assert r.get(timeout=60) == 42
    assert time.time() - start >= 5.4, time.time() - start


finish()
