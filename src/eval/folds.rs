//! Fold assignment for cross-validation.

/// A small, well-mixed deterministic generator (SplitMix64): fold assignment
/// must be reproducible from a seed across platforms and crate versions, so
/// it does not depend on an external RNG's stream.
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in 0..bound (bound > 0).
    pub fn below(&mut self, bound: usize) -> usize {
        (self.next_u64() % bound as u64) as usize
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// Assigns each document to one of `folds` folds so that every label is
/// spread across folds in proportion (iterative stratification, Sechidis,
/// Tsoumakas and Vlahavas, 2011). Works for single-label data too, where it
/// reduces to ordinary stratified k-fold. Rare labels are placed first, since
/// they are the ones an unlucky split would leave out of a fold.
pub fn stratified_folds(
    label_sets: &[Vec<usize>],
    n_labels: usize,
    folds: usize,
    seed: u64,
) -> Vec<usize> {
    let n = label_sets.len();
    let folds = folds.max(1);
    let mut rng = SplitMix64::new(seed);
    let mut order: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut order);

    let mut fold_of = vec![usize::MAX; n];
    // Remaining desired documents per fold, and per (fold, label).
    let mut want: Vec<f64> = vec![n as f64 / folds as f64; folds];
    let mut label_count = vec![0usize; n_labels];
    for set in label_sets {
        for &l in set {
            label_count[l] += 1;
        }
    }
    let mut want_label: Vec<Vec<f64>> = (0..folds)
        .map(|_| {
            label_count
                .iter()
                .map(|&c| c as f64 / folds as f64)
                .collect()
        })
        .collect();
    let mut remaining = label_count.clone();

    // The label with the fewest unassigned documents goes next.
    while let Some(label) = (0..n_labels)
        .filter(|&l| remaining[l] > 0)
        .min_by_key(|&l| (remaining[l], l))
    {
        for &i in &order {
            if fold_of[i] != usize::MAX || !label_sets[i].contains(&label) {
                continue;
            }
            let fold = best_fold(&want_label, &want, Some(label), &mut rng);
            fold_of[i] = fold;
            want[fold] -= 1.0;
            for &l in &label_sets[i] {
                want_label[fold][l] -= 1.0;
                remaining[l] -= 1;
            }
        }
    }
    for &i in &order {
        if fold_of[i] == usize::MAX {
            let fold = best_fold(&want_label, &want, None, &mut rng);
            fold_of[i] = fold;
            want[fold] -= 1.0;
        }
    }
    fold_of
}

fn best_fold(
    want_label: &[Vec<f64>],
    want: &[f64],
    label: Option<usize>,
    rng: &mut SplitMix64,
) -> usize {
    let key = |f: usize| (label.map_or(0.0, |l| want_label[f][l]), want[f]);
    let best = (0..want.len())
        .map(key)
        .fold((f64::NEG_INFINITY, f64::NEG_INFINITY), |a, b| {
            if b.0 > a.0 || (b.0 == a.0 && b.1 > a.1) {
                b
            } else {
                a
            }
        });
    let ties: Vec<usize> = (0..want.len()).filter(|&f| key(f) == best).collect();
    ties[rng.below(ties.len())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_are_balanced_per_label() {
        // 40 docs: label 0 on 20, label 1 on 8, some on both, some on none.
        let sets: Vec<Vec<usize>> = (0..40)
            .map(|i| {
                let mut s = vec![];
                if i % 2 == 0 {
                    s.push(0);
                }
                if i % 5 == 0 {
                    s.push(1);
                }
                s
            })
            .collect();
        let folds = stratified_folds(&sets, 2, 4, 7);
        for f in 0..4 {
            let docs: Vec<usize> = (0..40).filter(|&i| folds[i] == f).collect();
            assert_eq!(docs.len(), 10, "fold {f} size");
            let l0 = docs.iter().filter(|&&i| sets[i].contains(&0)).count();
            let l1 = docs.iter().filter(|&&i| sets[i].contains(&1)).count();
            assert_eq!(l0, 5, "fold {f} label 0");
            assert_eq!(l1, 2, "fold {f} label 1");
        }
    }

    #[test]
    fn same_seed_same_folds_other_seed_other_folds() {
        let sets: Vec<Vec<usize>> = (0..30).map(|i| vec![i % 3]).collect();
        assert_eq!(
            stratified_folds(&sets, 3, 5, 1),
            stratified_folds(&sets, 3, 5, 1)
        );
        assert_ne!(
            stratified_folds(&sets, 3, 5, 1),
            stratified_folds(&sets, 3, 5, 2)
        );
    }
}
