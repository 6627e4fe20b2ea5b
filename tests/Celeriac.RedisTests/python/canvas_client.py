"""Python Celery canvas sent to INTEROP_QUEUE (where Celeriac workers run, alone or with a Python worker), results
read through Python's own AsyncResult/GroupResult. Prints 'PASS name' / 'FAIL name: why'; exit 1 on any failure.
Run with /usr/bin/python3 from this directory.
"""
import os
import time

from celery import Celery, chain, chord, group
from celery.result import GroupResult

from cases import case, finish
from interop_tasks import add, app, fail, identity, mul, xsum

Q = os.environ.get("INTEROP_QUEUE", "celery")
N = int(os.environ.get("CANVAS_CHORD_SIZE", "10"))
T = 60


def expect_eq(actual, expected):
    if actual != expected:
        raise AssertionError("expected %r, got %r" % (expected, actual))


@case("chain_3")
def _():
    r = chain(add.s(1, 2).set(queue=Q), mul.s(10).set(queue=Q), add.s(5).set(queue=Q)).apply_async()
    expect_eq(r.get(timeout=T), 35)
    expect_eq(r.parent.get(timeout=T), 30)
    expect_eq(r.parent.parent.get(timeout=T), 3)


@case("group_of_chains")
def _():
    r = group(chain(add.s(i, i).set(queue=Q), mul.s(2).set(queue=Q)) for i in range(4)).apply_async()
    expect_eq(r.get(timeout=T), [0, 4, 8, 12])


@case("chord_n")
def _():
    r = chord((add.s(i, i).set(queue=Q) for i in range(N)), xsum.s().set(queue=Q)).apply_async()
    expect_eq(r.get(timeout=T), sum(2 * i for i in range(N)))


@case("chord_in_chain")
def _():
    r = chain(add.s(1, 1).set(queue=Q), chord([add.s(1).set(queue=Q), add.s(2).set(queue=Q)], xsum.s().set(queue=Q)), mul.s(10).set(queue=Q)).apply_async()
    expect_eq(r.get(timeout=T), (3 + 4) * 10)


@case("chord_failing_header")
def _():
    r = chord([add.s(1, 1).set(queue=Q), fail.s("header-boom").set(queue=Q)], xsum.s().set(queue=Q)).apply_async()
    try:
        r.get(timeout=T)  # Python re-raises the failed header task's own error from the chord's parent
    except ValueError as exc:
        expect_eq(str(exc), "header-boom")
    else:
        raise AssertionError("the chord did not fail")
    deadline = time.time() + T
    meta = r.backend.get_task_meta(r.id, cache=False)
    while meta["status"] != "FAILURE" and time.time() < deadline:
        time.sleep(0.05)
        meta = r.backend.get_task_meta(r.id, cache=False)
    expect_eq(meta["status"], "FAILURE")
    expect_eq(type(meta["result"]).__name__, "ChordError")
    if "header-boom" not in str(meta["result"]):
        raise AssertionError("ChordError does not name the cause: %r" % (meta["result"],))


@case("chain_failure_propagates")
def _():
    r = chain(fail.s("chain-boom").set(queue=Q), add.s(1).set(queue=Q)).apply_async()
    try:
        r.get(timeout=T)
    except ValueError as exc:
        expect_eq(str(exc), "chain-boom")
    else:
        raise AssertionError("the chain's last step did not fail")


@case("link_and_link_error")
def _():
    ok = add.apply_async((2, 3), queue=Q, link=mul.s(10).set(queue=Q))
    expect_eq(ok.get(timeout=T), 5)
    children = app.AsyncResult(ok.id).children
    expect_eq(len(children), 1)
    expect_eq(children[0].get(timeout=T), 50)
    # identity takes one argument, so Celery sends it with the failed id (wider errbacks are called in-process).
    errback = identity.s().set(queue=Q)
    errback.freeze()
    bad = fail.apply_async(("link-error",), queue=Q, link_error=errback)
    try:
        bad.get(timeout=T)
    except ValueError:
        pass
    else:
        raise AssertionError("fail did not fail")
    expect_eq(app.AsyncResult(errback.id).get(timeout=T), bad.id)


@case("map_starmap_chunks")
def _():
    expect_eq(identity.map([1, "a", [2]]).apply_async(queue=Q).get(timeout=T), [1, "a", [2]])
    expect_eq(add.starmap([(1, 2), (3, 4)]).apply_async(queue=Q).get(timeout=T), [3, 7])
    r = add.chunks(zip(range(10), range(10)), 3).apply_async(queue=Q)
    expect_eq(r.get(timeout=T), [[0, 2, 4], [6, 8, 10], [12, 14, 16], [18]])


@case("chain_of_groups_and_group_of_chords")
def _():
    r = chain(add.s(1, 1).set(queue=Q), group(add.s(1).set(queue=Q), add.s(2).set(queue=Q)), xsum.s().set(queue=Q),
              group(mul.s(2).set(queue=Q), mul.s(3).set(queue=Q))).apply_async()
    expect_eq(r.get(timeout=T), [14, 21])
    r = group(chord([add.s(i, i).set(queue=Q), add.s(i, 1).set(queue=Q)], xsum.s().set(queue=Q)) for i in range(3)).apply_async()
    expect_eq(r.get(timeout=T), [1, 4, 7])


@case("group_saved_by_python_and_by_celeriac")
def _():
    r = group(add.s(i, 10).set(queue=Q) for i in range(3)).apply_async()
    expect_eq(r.get(timeout=T), [10, 11, 12])
    r.save()
    print("SAVED_GROUP " + r.id, flush=True)
    saved = os.environ.get("CANVAS_CELERIAC_GROUP")
    if saved:
        restored = GroupResult.restore(saved, app=app)
        if restored is None:
            raise AssertionError("the group saved by Celeriac was not restored")
        expect_eq(restored.get(timeout=T), [0, 2, 4])
        expect_eq(restored.completed_count(), 3)


@case("errback_new_style_called_in_the_celeriac_worker")
def _():
    bad = fail.apply_async(("new-style",), queue=Q, link_error=app.signature("interop.on_error", args=("tag",)).set(queue=Q))
    try:
        bad.get(timeout=T)
    except ValueError:
        pass
    else:
        raise AssertionError("fail did not fail")
    print("NEW_STYLE_FAILED " + bad.id, flush=True)


@case("chord_unlock_for_a_backend_without_a_join")
def _():
    unlock_app = Celery("interop_unlock", broker=os.environ["CELERY_BROKER_URL"],
                        backend="interop_unlock.UnlockRedisBackend+" + os.environ["CELERY_RESULT_BACKEND"])
    unlock_app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"],
                           result_accept_content=["json"], task_default_queue=Q)
    header = [unlock_app.signature("interop.add", args=(i, i)).set(queue=Q) for i in range(5)]
    r = chord(header, unlock_app.signature("interop.xsum").set(queue=Q)).apply_async()
    expect_eq(r.get(timeout=T), 20)


finish()
