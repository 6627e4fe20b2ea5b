namespace Celeriac.Benchmarks;

/// <summary>
/// Wire bytes captured from Python Celery 5.2.6 (tests/Celeriac.Protocol.Tests/Fixtures/celery-5.2.6), inlined so
/// that the benchmarks do not depend on the working directory BenchmarkDotNet runs them from.
/// </summary>
internal static class Samples
{
    /// <summary>redis/messages/01-add-delay.raw: <c>add.delay(2, 3)</c>.</summary>
    public const string AddEnvelope =
        """{"body": "W1syLCAzXSwge30sIHsiY2FsbGJhY2tzIjogbnVsbCwgImVycmJhY2tzIjogbnVsbCwgImNoYWluIjogbnVsbCwgImNob3JkIjogbnVsbH1d", "content-encoding": "utf-8", "content-type": "application/json", "headers": {"lang": "py", "task": "interop.add", "id": "7a18c4e8-8abe-41d5-9b07-7eba498d17ca", "shadow": null, "eta": null, "expires": null, "group": null, "group_index": null, "retries": 0, "timelimit": [null, null], "root_id": "7a18c4e8-8abe-41d5-9b07-7eba498d17ca", "parent_id": null, "argsrepr": "(2, 3)", "kwargsrepr": "{}", "origin": "gen20671@vm", "ignore_result": false}, "properties": {"correlation_id": "7a18c4e8-8abe-41d5-9b07-7eba498d17ca", "reply_to": "9b7bb052-a843-3be6-8219-daf4e050befc", "delivery_mode": 2, "delivery_info": {"exchange": "", "routing_key": "celery"}, "priority": 0, "body_encoding": "base64", "delivery_tag": "208de955-ce5b-4f82-95c2-77f7d7ae8c6f"}}""";

    /// <summary>redis/messages/11-chain.raw: <c>(add.s(1, 2) | mul.s(3)).apply_async()</c>, an embed with a chain.</summary>
    public const string ChainEnvelope =
        """{"body": "W1sxLCAyXSwge30sIHsiY2FsbGJhY2tzIjogbnVsbCwgImVycmJhY2tzIjogbnVsbCwgImNoYWluIjogW3sidGFzayI6ICJpbnRlcm9wLm11bCIsICJhcmdzIjogWzNdLCAia3dhcmdzIjoge30sICJvcHRpb25zIjogeyJ0YXNrX2lkIjogIjQ3ZGJkYjg5LTE5NGYtNGIxZi05N2FlLTU2ZWFhYTIzNGRlMyIsICJyZXBseV90byI6ICI1ODQ0YTcwMS02NjI5LTM4NDYtOTAyMC01ODgxMDBjYThjZjAifSwgInN1YnRhc2tfdHlwZSI6IG51bGwsICJpbW11dGFibGUiOiBmYWxzZX1dLCAiY2hvcmQiOiBudWxsfV0=", "content-encoding": "utf-8", "content-type": "application/json", "headers": {"lang": "py", "task": "interop.add", "id": "0cbef9f7-3c8c-4c1f-bfac-9f935c95b265", "shadow": null, "eta": null, "expires": null, "group": null, "group_index": null, "retries": 0, "timelimit": [null, null], "root_id": "0cbef9f7-3c8c-4c1f-bfac-9f935c95b265", "parent_id": null, "argsrepr": "(1, 2)", "kwargsrepr": "{}", "origin": "gen20699@vm", "ignore_result": false}, "properties": {"correlation_id": "0cbef9f7-3c8c-4c1f-bfac-9f935c95b265", "reply_to": "5844a701-6629-3846-9020-588100ca8cf0", "delivery_mode": 2, "delivery_info": {"exchange": "", "routing_key": "celery"}, "priority": 0, "body_encoding": "base64", "delivery_tag": "6c44d7b1-9e70-4316-93bf-8b954f5d3d30"}}""";

    /// <summary>redis/results/basic/success-int.raw.</summary>
    public const string SuccessMeta =
        """{"status": "SUCCESS", "result": 5, "traceback": null, "children": [], "date_done": "2026-11-24T06:16:52.723041", "task_id": "0f2a912d-9413-4c63-bb26-771eef09ff36"}""";

    /// <summary>redis/results/extended/failure.raw: exception dict, traceback text and result_extended fields.</summary>
    public const string FailureMeta =
        """{"status": "FAILURE", "result": {"exc_type": "ValueError", "exc_message": ["boom"], "exc_module": "builtins"}, "traceback": "Traceback (most recent call last):\n  File \"/usr/lib/python3/dist-packages/celery/app/trace.py\", line 451, in trace_task\n    R = retval = fun(*args, **kwargs)\n                 ^^^^^^^^^^^^^^^^^^^^\n  File \"/usr/lib/python3/dist-packages/celery/app/trace.py\", line 734, in __protected_call__\n    return self.run(*args, **kwargs)\n           ^^^^^^^^^^^^^^^^^^^^^^^^^\n  File \"shared/interop/tasks.py\", line 69, in fail\n    raise ValueError(message)\nValueError: boom\n", "children": [], "date_done": "2026-11-24T06:17:06.967089", "name": "interop.fail", "args": ["boom"], "kwargs": {}, "worker": "py@vm", "retries": 0, "queue": "celery", "task_id": "573a19b4-517f-476b-99f6-01288ba455df"}""";
}
