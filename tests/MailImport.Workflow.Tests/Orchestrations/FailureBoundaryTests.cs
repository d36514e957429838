using MailImport.Core.Errors;
using MailImport.Mail.Errors;
using MailImport.Workflow.Orchestrations;
using Microsoft.DurableTask;

namespace MailImport.Workflow.Tests.Orchestrations;

public class FailureBoundaryTests
{
    private static readonly MailFailure Throttled = MailFailure.Transient(ErrorCode.SourceThrottled, "Too many simultaneous connections.", TimeSpan.FromSeconds(30));

    [Fact]
    public void AsData_Permanent_ComesBackAsTheStepsData()
    {
        var refused = MailFailure.Permanent(ErrorCode.SourceAuthFailed, "The source refused the password.");

        Assert.Same(refused, FailureBoundary.AsData(refused, new InvalidOperationException("cause")));
    }

    [Fact]
    public void AsData_Transient_ThrowsItForTheRetryLoop()
    {
        var cause = new TimeoutException("read timed out");

        var thrown = Assert.Throws<MailFailureException>(() => FailureBoundary.AsData(Throttled, cause));

        Assert.Same(Throttled, thrown.Failure);
        Assert.Same(cause, thrown.InnerException);
    }

    [Fact]
    public void AsData_TransientFromTheEngine_RethrowsTheEnginesOwnException()
    {
        var engine = new MailFailureException(Throttled);

        Assert.Same(engine, Assert.Throws<MailFailureException>(() => FailureBoundary.AsData(engine.Failure, engine)));
    }

    [Fact]
    public void Properties_RoundTrip_GiveTheSameFailure()
    {
        var details = Details(new FailureBoundary().GetExceptionProperties(new MailFailureException(Throttled)));

        Assert.True(FailureBoundary.TryGetRetry(details, out var failure));
        Assert.Equal(Throttled, failure);
    }

    [Theory]
    [InlineData(30L)]
    [InlineData(30d)]
    [InlineData(30)]
    public void TryGetRetry_HintAsAnyNumberAHostKeeps_IsTheSameDelay(object seconds)
    {
        // Azure Storage's history gives a JSON integer back as a long; the Functions path, as a protobuf double.
        var properties = FailureBoundary.ToProperties(Throttled);
        properties[FailureBoundary.RetryAfterProperty] = seconds;

        Assert.True(FailureBoundary.TryGetRetry(Details(properties), out var failure));
        Assert.Equal(TimeSpan.FromSeconds(30), failure.RetryAfter);
    }

    [Fact]
    public void ToProperties_NoHint_LeavesTheDelayOut()
    {
        var properties = FailureBoundary.ToProperties(Throttled with { RetryAfter = null });

        Assert.False(properties.ContainsKey(FailureBoundary.RetryAfterProperty));
        Assert.True(FailureBoundary.TryGetRetry(Details(properties), out var failure));
        Assert.Null(failure.RetryAfter);
    }

    [Fact]
    public void ToProperties_FractionalHint_WaitsWholeSeconds()
    {
        var properties = FailureBoundary.ToProperties(Throttled with { RetryAfter = TimeSpan.FromSeconds(2.9) });

        Assert.Equal(2L, properties[FailureBoundary.RetryAfterProperty]);
    }

    [Fact]
    public void TryGetRetry_NotOurs_IsABugNotARetry()
    {
        Assert.False(FailureBoundary.TryGetRetry(Details(null), out _));
        Assert.False(FailureBoundary.TryGetRetry(null, out _));
        Assert.Null(new FailureBoundary().GetExceptionProperties(new InvalidOperationException("bug")));
    }

    [Fact]
    public void TryGetRetry_PermanentOrUnknownCode_IsNoRetry()
    {
        var permanent = FailureBoundary.ToProperties(Throttled with { IsTransient = false });
        var unknown = FailureBoundary.ToProperties(Throttled);
        unknown[FailureBoundary.CodeProperty] = "NoSuchCode";

        Assert.False(FailureBoundary.TryGetRetry(Details(permanent), out _));
        Assert.False(FailureBoundary.TryGetRetry(Details(unknown), out _));
    }

    private static TaskFailureDetails Details(IDictionary<string, object?>? properties) =>
        new(typeof(MailFailureException).FullName!, Throttled.Message, null, null, properties);
}
