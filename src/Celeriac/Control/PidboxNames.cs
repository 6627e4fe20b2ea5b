namespace Celeriac.Control;

/// <summary>
/// Names of the remote-control entities for the default namespace <c>celery</c> (Celery §8.1).
/// Source: celery/app/control.py (Control.Mailbox), kombu/pidbox.py.
/// </summary>
public static class PidboxNames
{
    /// <summary>The request exchange (fanout).</summary>
    public const string Exchange = "celery.pidbox";

    /// <summary>The reply exchange (direct).</summary>
    public const string ReplyExchange = "reply.celery.pidbox";

    /// <summary>A worker's request queue.</summary>
    public static string NodeQueue(string nodename) => nodename + ".celery.pidbox";

    /// <summary>A client's reply queue.</summary>
    public static string ReplyQueue(string oid) => oid + ".reply.celery.pidbox";

    /// <summary>The <c>clock</c> header.</summary>
    public const string ClockHeader = "clock";

    /// <summary>The reply-deadline header.</summary>
    public const string ExpiresHeader = "expires";

    /// <summary>The ticket header of replies.</summary>
    public const string TicketHeader = "ticket";
}
