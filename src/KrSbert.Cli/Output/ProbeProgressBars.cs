using KrSbert.Probe;

namespace KrSbert.Cli.Output;

/// <summary>One progress bar per probe stage (the embedding pass, then the folds); fits report from several threads.</summary>
internal sealed class ProbeProgressBars : IProgress<ProbeProgress>
{
    private readonly Lock _gate = new();
    private ProgressBar? _bar;
    private string? _stage;

    public void Report(ProbeProgress value)
    {
        lock (_gate)
        {
            if (value.Stage != _stage)
            {
                _bar?.Finish();
                _stage = value.Stage;
                _bar = value.Stage == "embed"
                    ? new ProgressBar("embed", value.Total, "texts")
                    : new ProgressBar("folds", value.Total, "fits");
            }

            _bar!.Report(value.Done);
        }
    }

    public void Finish()
    {
        lock (_gate)
        {
            _bar?.Finish();
            _bar = null;
            _stage = null;
        }
    }
}
