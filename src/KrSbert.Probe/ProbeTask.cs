namespace KrSbert.Probe;

/// <summary>What the label is.</summary>
public enum ProbeTask
{
    /// <summary>A number: ridge regression, scored by RMSE, MAE, R², Pearson and Spearman.</summary>
    Regression,

    /// <summary>A class name: multinomial logistic regression, scored by accuracy and macro-F1.</summary>
    Classification,
}
