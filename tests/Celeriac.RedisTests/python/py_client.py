"""Python Celery client for the Redis interop tests: sends interop.* tasks to INTEROP_QUEUE (a C# worker consumes
it) and checks the results through Python's AsyncResult.get(). Prints 'PASS name' or 'FAIL name: why' per case and
exits 1 when any case failed. Run with /usr/bin/python3 from this directory.
"""
import json

from cases import case, finish
from interop_tasks import add, app


@case("add_delay")
def _():
    r = add.delay(2, 3)
    got = r.get(timeout=20)
    assert got == 5, got
    assert r.state == "SUCCESS", r.state


@case("mul_send_task_by_name")
def _():
    got = app.send_task("interop.mul", (6, 7)).get(timeout=20)
    assert got == 42, got


@case("add_kwargs_only")
def _():
    got = app.send_task("interop.add", kwargs={"x": 2, "y": 40}).get(timeout=20)
    assert got == 42, got


@case("identity_types")
def _():
    for value in ["h\u00e9llo \u2603", [1, None, "a"], {"k": [2 ** 40, True, -7, 0.1]}, None]:
        got = app.send_task("interop.identity", (value,)).get(timeout=20)
        assert got == value, (got, value)


@case("countdown_1s")
def _():
    import time
    start = time.time()
    got = add.apply_async((20, 22), countdown=1).get(timeout=20)
    assert got == 42, got
    assert time.time() - start >= 0.9, time.time() - start


@case("fail_valueerror")
def _():
    r = app.send_task("interop.fail", ("boom-interop",))
    try:
        r.get(timeout=20)
    except ValueError as exc:
        assert exc.args == ("boom-interop",), exc.args
    else:
        raise AssertionError("no exception raised")
    assert r.state == "FAILURE", r.state
    assert isinstance(r.traceback, str) and r.traceback, r.traceback
    meta = json.loads(app.backend.get(app.backend.get_key_for_task(r.id)))
    assert meta["result"]["exc_message"] == ["boom-interop"], meta
    assert meta["result"]["exc_type"] == "ValueError", meta
    assert meta["result"]["exc_module"] == "builtins", meta


finish()
