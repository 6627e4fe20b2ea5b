"""Writes python-signatures.json: Celery 5.2.6's signature dicts for the canvases SignatureTests builds in C#.
Run with /usr/bin/python3 (Debian's python3-celery 5.2.6) from this directory; no broker is contacted.
"""
import json

from celery import Celery, chain, chord, group

app = Celery('t', broker='memory://')


@app.task(name='t.add')
def add(x, y):
    return x + y


@app.task(name='t.xsum')
def xsum(v):
    return sum(v)


@app.task(name='t.mul')
def mul(x, y):
    return x * y


def group_link():
    g = group(add.s(1, 1), add.s(2, 2))
    g.link(mul.s(3))
    return g


def group_link_error():
    g = group(add.s(1, 1), add.s(2, 2))
    g.link_error(mul.s(3))
    return g


def chord_links():
    c = chord([add.s(1, 1)], xsum.s())
    c.link(mul.s(3))
    c.link_error(mul.s(4))
    return c


def group_immutable():
    g = group(add.s(1), add.s(2))
    g.set_immutable(True)
    return g


cases = {
    "pipe3": lambda: add.s(1, 2) | add.s(3) | mul.s(4),
    "chain_of_chains": lambda: chain(add.s(1, 2), add.s(3)) | chain(add.s(4), add.s(5)),
    "group_pipe_task": lambda: group(add.s(1, 1), add.s(2, 2)) | xsum.s(),
    "task_group_task": lambda: add.s(1, 1) | group(add.s(1), add.s(2)) | xsum.s(),
    "chord_pipe_task": lambda: chord([add.s(1, 1)], xsum.s()) | mul.s(2),
    "task_group_of_one": lambda: add.s(1, 1) | group(add.s(1)),
    "on_error_with_queue": lambda: add.s(1, 1).set(queue='q').on_error(mul.s(9)),
    "group_link": group_link,
    "group_link_error": group_link_error,
    "chord_links": chord_links,
    "partial": lambda: add.s(2).clone((1,), {'z': 3}),
    "si": lambda: add.si(1, 2),
    "group_immutable": group_immutable,
    "map": lambda: add.map([1, 2]),
    "starmap": lambda: add.starmap([(1, 2)]),
    "chunks": lambda: add.chunks([(1, 2), (3, 4)], 1),
}

with open('python-signatures.json', 'w') as f:
    json.dump({name: json.dumps(make()) for name, make in cases.items()}, f, indent=2)
    f.write('\n')
