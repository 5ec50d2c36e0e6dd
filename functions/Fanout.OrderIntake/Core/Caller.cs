using Fanout.AwsShims.Events;
using Fanout.Contracts.Orders;
using Fanout.Contracts.Topology;

namespace Fanout.OrderIntake.Core;

/// <summary>The signed-in caller, as the API's JWT authorizer established it before the request reached the
/// function (the function never sees the token itself).</summary>
/// <param name="Subject">The token's <c>sub</c> claim (RFC 7519 section 4.1.2): the customer the caller is.</param>
/// <param name="IsOperator">True when <c>cognito:groups</c> lists <see cref="OrderApiTopology.OperatorsGroup"/>:
/// the caller may place and read orders for any customer.</param>
public sealed record Caller(string Subject, bool IsOperator)
{
    /// <summary>The claim naming the caller (RFC 7519 section 4.1.2).</summary>
    public const string SubjectClaim = "sub";

    /// <summary>The claim in which Amazon Cognito lists the user's groups.</summary>
    public const string GroupsClaim = "cognito:groups";

    /// <summary>Reads the caller from the claims of <c>requestContext.authorizer.jwt</c>, each value rendered as API
    /// Gateway renders it (<see cref="JwtClaimText"/>; groups as <c>"[operators support]"</c>).</summary>
    /// <returns>Null when there are no claims or no non-blank <c>sub</c>: nobody is signed in, whatever the route's
    /// configuration says, so the caller must be refused.</returns>
    public static Caller? FromClaims(IReadOnlyDictionary<string, string>? claims)
    {
        if (claims is null || !claims.TryGetValue(SubjectClaim, out var subject) || string.IsNullOrWhiteSpace(subject))
        {
            return null;
        }

        var groups = JwtClaimText.ParseList(claims.TryGetValue(GroupsClaim, out var rendered) ? rendered : null);
        return new Caller(subject, groups.Contains(OrderApiTopology.OperatorsGroup, StringComparer.Ordinal));
    }

    /// <summary>Whose order this caller may place when the body names <paramref name="requestedCustomerId"/> (null:
    /// names nobody, so the caller orders for themself).</summary>
    /// <returns>The customer id the order is for, or a refusal to answer with <c>403</c>.</returns>
    public CustomerDecision DecideCustomer(string? requestedCustomerId)
    {
        if (requestedCustomerId is null)
        {
            // An outside OIDC issuer may use subjects (URLs, e-mail addresses) that no order could carry.
            return OrderRules.IsValidCustomerId(Subject)
                ? CustomerDecision.For(Subject)
                : CustomerDecision.Refuse("Your sign-in subject is not a valid customer id (1 to 64 letters, digits, '.', '_' or '-'), so you cannot place an order for yourself; ask an operator to place it.");
        }

        return IsOperator || string.Equals(requestedCustomerId, Subject, StringComparison.Ordinal)
            ? CustomerDecision.For(requestedCustomerId)
            : CustomerDecision.Refuse("customer.id names another customer. Leave customer.id out to order for yourself, or use your own id.");
    }

    /// <summary>True when this caller may read an order placed for <paramref name="customerId"/>: its owner or an operator.</summary>
    public bool MayRead(string customerId) => IsOperator || string.Equals(customerId, Subject, StringComparison.Ordinal);
}

/// <summary>Whose order a request places: a customer id, or why the caller may not place it.</summary>
public sealed record CustomerDecision(string? CustomerId, string? Refusal)
{
    public bool IsAllowed => CustomerId is not null;

    public static CustomerDecision For(string customerId) => new(customerId, null);

    public static CustomerDecision Refuse(string refusal) => new(null, refusal);
}
