"""Python Celery client for the rpc:// interop test: sends interop.* tasks over AMQP to INTEROP_QUEUE (a C# worker
consumes it) and reads every result through Celery's rpc backend (CELERY_RESULT_BACKEND=rpc://), i.e. from messages
the C# worker sends to this process's reply queue. Prints 'PASS name' / 'FAIL name: why', then 'N passed, M failed'.
Run with /usr/bin/python3 from the python/ directory (interop_tasks.py is beside it).
"""
import time

from cases import case, finish
from interop_tasks import add, app


@case("add_delay")
def _():
    r = add.delay(2, 3)
    assert r.get(timeout=20) == 5
    assert r.state == "SUCCESS", r.state


@case("send_task_by_name_and_kwargs")
def _():
    assert app.send_task("interop.mul", (6, 7)).get(timeout=20) == 42
    assert app.send_task("interop.add", kwargs={"x": 2, "y": 40}).get(timeout=20) == 42


@case("identity_types")
def _():
    pending = [(v, app.send_task("interop.identity", (v,))) for v in
               ["h\u00e9llo \u2603", [1, None, "a"], {"k": [2 ** 40, True, -7, 0.1]}, None]]
    for value, r in pending:
        got = r.get(timeout=20)
        assert got == value, (got, value)


@case("countdown_1s")
def _():
    start = time.time()
    assert add.apply_async((20, 22), countdown=1).get(timeout=20) == 42
    assert time.time() - start >= 0.9, time.time() - start


@case("fail_valueerror")
def _():
    r = app.send_task("interop.fail", ("boom-rpc",))
    try:
        r.get(timeout=20)
    except ValueError as exc:
        assert exc.args == ("boom-rpc",), exc.args
    else:
        raise AssertionError("no exception raised")
    assert r.state == "FAILURE", r.state
    assert isinstance(r.traceback, str) and r.traceback, r.traceback


finish()
