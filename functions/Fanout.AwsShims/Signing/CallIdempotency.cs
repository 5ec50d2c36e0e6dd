namespace Fanout.AwsShims.Signing;

/// <summary>Whether repeating a call can do harm. The caller states it for every call: the client cannot tell a
/// duplicate SMS from a harmless second read.</summary>
public enum CallIdempotency
{
    /// <summary>A second copy does something again (an SMS, an e-mail). Retried only when AWS's answer proves
    /// nothing was done (throttling, a clock-skew refusal) or the request never left this machine (DNS failure,
    /// connection refused). A timeout or a 5xx is never retried: the first copy may have been delivered.</summary>
    NotIdempotent = 0,

    /// <summary>A second copy is harmless: a read, a <c>CreateTopic</c>, or a publish of an event with a fixed id
    /// that consumers deduplicate. Also retried after timeouts, lost connections and 5xx answers.</summary>
    Idempotent = 1,
}
