namespace Celeriac.Protocol;

/// <summary>
/// Every wire name of task messages and result meta, in one place.
/// Sources: celery/app/amqp.py (as_task_v2, as_task_v1), celery/backends/base.py (_get_result_meta),
/// celery/utils/serialization.py (exception dicts).
/// </summary>
public static class WireNames
{
#pragma warning disable CS1591 // The names are the documentation: each is the literal Celery uses.
    public const string Lang = "lang";
    public const string Task = "task";
    public const string Id = "id";
    public const string Shadow = "shadow";
    public const string Eta = "eta";
    public const string Expires = "expires";
    public const string Group = "group";
    public const string GroupIndex = "group_index";
    public const string Retries = "retries";
    public const string TimeLimit = "timelimit";
    public const string RootId = "root_id";
    public const string ParentId = "parent_id";
    public const string ArgsRepr = "argsrepr";
    public const string KwargsRepr = "kwargsrepr";
    public const string Origin = "origin";
    public const string IgnoreResult = "ignore_result";
    public const string ReplacedTaskNesting = "replaced_task_nesting";
    public const string Redelivered = "redelivered";

    // v1 body fields
    public const string Args = "args";
    public const string Kwargs = "kwargs";
    public const string Utc = "utc";
    public const string Taskset = "taskset";
    public const string Callbacks = "callbacks";
    public const string Errbacks = "errbacks";
    public const string Chain = "chain";
    public const string Chord = "chord";

    // properties
    public const string CorrelationId = "correlation_id";
    public const string ReplyTo = "reply_to";
    public const string DeliveryMode = "delivery_mode";
    public const string Priority = "priority";
    public const string Expiration = "expiration";
    public const string DeliveryInfo = "delivery_info";
    public const string DeliveryTag = "delivery_tag";
    public const string BodyEncoding = "body_encoding";
    public const string Exchange = "exchange";
    public const string RoutingKey = "routing_key";

    // kombu Redis envelope
    public const string EnvelopeBody = "body";
    public const string EnvelopeContentEncoding = "content-encoding";
    public const string EnvelopeContentType = "content-type";
    public const string EnvelopeHeaders = "headers";
    public const string EnvelopeProperties = "properties";
    public const string Base64 = "base64";

    // result meta
    public const string Status = "status";
    public const string Result = "result";
    public const string Traceback = "traceback";
    public const string Children = "children";
    public const string DateDone = "date_done";
    public const string TaskId = "task_id";
    public const string GroupId = "group_id";
    public const string Name = "name";
    public const string Worker = "worker";
    public const string Queue = "queue";

    // exception dicts
    public const string ExcType = "exc_type";
    public const string ExcMessage = "exc_message";
    public const string ExcModule = "exc_module";
#pragma warning restore CS1591
}
