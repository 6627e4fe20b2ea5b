"""Answers schedule questions with Python Celery's own code (celery.schedules), for Celeriac's property tests.

Reads JSON lines on stdin: {"kind": "crontab", "minute", "hour", "day_of_week", "day_of_month", "month_of_year",
"zone", "last", "next"} (instants as ISO 8601 with offset). Writes one JSON line per case:
{"estimate": ISO (UTC) of last + crontab.remaining_estimate(last) with now = last,
 "due_at_next": is_due(last) with now = next, "due_before_next": is_due(last) with now = next - 1 s}.
"""
import json
import sys
from datetime import datetime, timedelta, timezone

import pytz
from celery import Celery
from celery.schedules import crontab

apps = {}


def app_for(zone):
    if zone not in apps:
        app = Celery("props", set_as_current=False)
        app.conf.timezone = zone
        app.conf.enable_utc = True
        apps[zone] = app
    return apps[zone]


def aware(text, zone):
    return datetime.fromisoformat(text).astimezone(timezone.utc).astimezone(pytz.timezone(zone))


def cron(case, now):
    return crontab(minute=case["minute"], hour=case["hour"], day_of_week=case["day_of_week"],
                   day_of_month=case["day_of_month"], month_of_year=case["month_of_year"],
                   app=app_for(case["zone"]), nowfun=lambda: now)


def answer(case):
    zone = case["zone"]
    last = aware(case["last"], zone)
    nxt = aware(case["next"], zone)
    before = (nxt.astimezone(timezone.utc) - timedelta(seconds=1)).astimezone(pytz.timezone(zone))
    estimate = last + cron(case, last).remaining_estimate(last)
    return {
        "estimate": estimate.astimezone(timezone.utc).isoformat(),
        "due_at_next": bool(cron(case, nxt).is_due(last)[0]),
        "due_before_next": bool(cron(case, before).is_due(last)[0]),
    }


for line in sys.stdin:
    line = line.strip()
    if line:
        try:
            print(json.dumps(answer(json.loads(line))))
        except Exception as exc:  # report, do not stop: the C# side names the case
            print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
