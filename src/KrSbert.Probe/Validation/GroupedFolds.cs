namespace KrSbert.Probe.Validation;

/// <summary>
/// Grouped, stratified k-fold assignment. Rows that share a text (directly or through a chain of pairs)
/// form one group and always land in the same fold, so that no text is ever on both sides of a split.
/// </summary>
public static class GroupedFolds
{
    /// <summary>The group of each row: connected components of rows linked by a shared text.</summary>
    /// <param name="first">Text index of each row.</param>
    /// <param name="second">Second text index of each row (pairs), or null.</param>
    /// <param name="textCount">Number of distinct texts.</param>
    public static int[] Groups(IReadOnlyList<int> first, IReadOnlyList<int>? second, int textCount)
    {
        ArgumentNullException.ThrowIfNull(first);
        int[] parent = new int[textCount];
        for (int i = 0; i < textCount; i++)
        {
            parent[i] = i;
        }

        int Find(int x)
        {
            while (parent[x] != x)
            {
                parent[x] = parent[parent[x]];
                x = parent[x];
            }

            return x;
        }

        if (second is not null)
        {
            for (int row = 0; row < first.Count; row++)
            {
                int a = Find(first[row]);
                int b = Find(second[row]);
                if (a != b)
                {
                    parent[Math.Max(a, b)] = Math.Min(a, b);
                }
            }
        }

        var groupOfRoot = new Dictionary<int, int>();
        int[] groups = new int[first.Count];
        for (int row = 0; row < first.Count; row++)
        {
            int root = Find(first[row]);
            if (!groupOfRoot.TryGetValue(root, out int group))
            {
                group = groupOfRoot.Count;
                groupOfRoot.Add(root, group);
            }

            groups[row] = group;
        }

        return groups;
    }

    /// <summary>
    /// Strata for stratification: the class index for classification, the label's decile (by rank) for regression.
    /// </summary>
    public static int[] Strata(IReadOnlyList<double> targets, ProbeTask task)
    {
        ArgumentNullException.ThrowIfNull(targets);
        int n = targets.Count;
        int[] strata = new int[n];
        if (task == ProbeTask.Classification)
        {
            for (int i = 0; i < n; i++)
            {
                strata[i] = (int)targets[i];
            }

            return strata;
        }

        int[] order = Enumerable.Range(0, n).OrderBy(i => targets[i]).ThenBy(i => i).ToArray();
        for (int rank = 0; rank < n; rank++)
        {
            strata[order[rank]] = Math.Min(9, rank * 10 / n);
        }

        return strata;
    }

    /// <summary>
    /// Deals groups to <paramref name="folds"/> folds: groups are shuffled within their stratum (a group's
    /// stratum is its first row's), then each goes to the fold holding the fewest rows of that stratum.
    /// </summary>
    /// <returns>The fold of each row.</returns>
    /// <exception cref="ProbeInputException">There are fewer groups than folds.</exception>
    public static int[] Assign(IReadOnlyList<int> groups, IReadOnlyList<int> strata, int folds, Random random)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(strata);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfLessThan(folds, 2);
        var members = new Dictionary<int, List<int>>();
        var stratumOf = new Dictionary<int, int>();
        for (int row = 0; row < groups.Count; row++)
        {
            if (!members.TryGetValue(groups[row], out List<int>? list))
            {
                list = [];
                members.Add(groups[row], list);
                stratumOf.Add(groups[row], strata[row]);
            }

            list.Add(row);
        }

        if (members.Count < folds)
        {
            throw new ProbeInputException($"only {members.Count} independent groups of texts (rows that share a text stay together) for {folds} folds; give more texts or fewer --folds");
        }

        int stratumCount = strata.Count == 0 ? 0 : strata.Max() + 1;
        var perStratum = new long[stratumCount, folds];
        long[] perFold = new long[folds];
        int[] assignment = new int[groups.Count];
        foreach (var stratum in members.Keys.GroupBy(g => stratumOf[g]).OrderBy(s => s.Key))
        {
            int[] shuffled = stratum.OrderBy(g => g).ToArray();
            random.Shuffle(shuffled);
            // Big groups first, so that they do not unbalance the folds at the end.
            foreach (int group in shuffled.OrderByDescending(g => members[g].Count))
            {
                int best = 0;
                for (int f = 1; f < folds; f++)
                {
                    if (perStratum[stratum.Key, f] < perStratum[stratum.Key, best]
                        || (perStratum[stratum.Key, f] == perStratum[stratum.Key, best] && perFold[f] < perFold[best]))
                    {
                        best = f;
                    }
                }

                foreach (int row in members[group])
                {
                    assignment[row] = best;
                }

                perStratum[stratum.Key, best] += members[group].Count;
                perFold[best] += members[group].Count;
            }
        }

        return assignment;
    }
}
