//! The default model's training files and the documented command that
//! trains it, shared by `default_model.rs` (which retrains it) and
//! `analyst.rs` (which checks the model card's counts against the files).

/// Labelled program documents (`--data`).
pub const DATA: &[&str] = &[
    "training/programs.jsonl",
    "training/genres/en.jsonl",
    "training/genres/zh.jsonl",
    "training/genres/other.jsonl",
    "training/genres/en_media.jsonl",
    "training/genres/fr_es.jsonl",
    "training/genres/ja_hant.jsonl",
    "training/genres/pt_ru.jsonl",
    "training/genres/r3_en_zh.jsonl",
    "training/genres/r3_ru_pt_es.jsonl",
    "training/genres/r3_analysis_ja_fr.jsonl",
    "training/genres/r4_en_zh.jsonl",
    "training/genres/r4_other.jsonl",
    "training/genres/r5_zh.jsonl",
    "training/genres/r5_other.jsonl",
    "training/genres/r5_en.jsonl",
];

/// Out-of-domain documents (`--background`).
pub const BACKGROUND: &[&str] = &[
    "training/background/near.jsonl",
    "training/background/far.jsonl",
    "training/background/zh.jsonl",
    "training/background/near_en_zh.jsonl",
    "training/background/fr_es.jsonl",
    "training/background/ja_hant.jsonl",
    "training/background/pt_ru.jsonl",
    "training/background/r3_near.jsonl",
    "training/background/r5_near_zh.jsonl",
    "training/background/r5_near_other.jsonl",
    "training/background/r5_near_en.jsonl",
    "training/background/r6_near_zh.jsonl",
    "training/background/r6_near_en.jsonl",
    "training/background/r6_near_other.jsonl",
];

/// The settings after the files.
const SETTINGS: &[&str] = &[
    "--multi-label",
    "--c",
    "30",
    "--tune-thresholds",
    "--sentence-labels",
    "intelligence",
    "--no-numbers",
    "--label-stop-words",
    "training/label_stop_words.txt",
];

/// The documented `train` arguments, minus `--out`. README.md and
/// models/README.md must show exactly this command.
#[allow(dead_code)] // analyst.rs reads the file lists only
pub fn train_args() -> Vec<&'static str> {
    let mut args = vec!["train", "--data"];
    args.extend(DATA);
    args.push("--background");
    args.extend(BACKGROUND);
    args.extend(SETTINGS);
    args
}
