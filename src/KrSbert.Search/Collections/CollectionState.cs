namespace KrSbert.Search.Collections;

/// <summary>Whether a collection serves.</summary>
public enum CollectionState
{
    /// <summary>Open: its index is loaded and it answers every call.</summary>
    Ready,

    /// <summary>It could not be opened; its calls are refused until it is rebuilt. Other collections serve.</summary>
    Failed,
}
