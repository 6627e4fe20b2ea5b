"""A Redis result backend joined as Celery joins backends without a native chord join (filesystem, database):
the client sends celery.chord_unlock, which polls the header, instead of setting the .s chord size.
Used as result_backend 'interop_unlock.UnlockRedisBackend+redis://host:port/db' (Celery's 'module.Class+url' form).
"""
from celery.backends.base import Backend
from celery.backends.redis import RedisBackend


class UnlockRedisBackend(RedisBackend):
    def apply_chord(self, header_result_args, body, **kwargs):
        # Celery's Backend.apply_chord: fallback_chord_unlock sends celery.chord_unlock with countdown=1.
        return Backend.apply_chord(self, header_result_args, body, **kwargs)

    def set_chord_size(self, group_id, chord_size):
        pass

    def on_chord_part_return(self, request, state, result, **kwargs):
        pass
