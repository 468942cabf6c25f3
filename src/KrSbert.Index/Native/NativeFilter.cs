using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace KrSbert.Index.Native;

/// <summary>
/// A managed key filter that USearch's filtered search can call: <see cref="Accepts"/> is the native callback and
/// a <see cref="GCHandle"/> to this object its state. An exception cannot unwind through the native frames (it
/// would end the process), so the first one is kept, every later key is refused, and <see cref="ThrowIfFailed"/>
/// rethrows it once the native call has returned.
/// </summary>
internal sealed class NativeFilter
{
    private readonly Func<ulong, bool> _filter;
    private ExceptionDispatchInfo? _failure;

    public NativeFilter(Func<ulong, bool> filter)
    {
        _filter = filter;
    }

    /// <summary>Keys the filter was asked about during the native call.</summary>
    public int Calls { get; private set; }

    /// <summary>Keys it rejected.</summary>
    public int Rejections { get; private set; }

    /// <summary>The callback: 1 when the key passes, 0 when it does not (or the filter has thrown).</summary>
    [UnmanagedCallersOnly]
    public static int Accepts(ulong key, nint state)
    {
        var self = (NativeFilter)GCHandle.FromIntPtr(state).Target!;
        if (self._failure is not null)
        {
            return 0;
        }

        try
        {
            self.Calls++;
            if (self._filter(key))
            {
                return 1;
            }

            self.Rejections++;
            return 0;
        }
#pragma warning disable CA1031 // Any exception must stop here: it cannot cross into native code.
        catch (Exception e)
#pragma warning restore CA1031
        {
            self._failure = ExceptionDispatchInfo.Capture(e);
            return 0;
        }
    }

    /// <summary>Rethrows what the filter threw during the native call, if anything.</summary>
    public void ThrowIfFailed() => _failure?.Throw();
}
