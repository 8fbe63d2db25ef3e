//! The tokenizer and analysis chain on arbitrary bytes: decoded lossily and
//! through the document decoder (legacy encodings, binary rejection), with
//! the default settings and with a variant picked by the first byte. The
//! terms must be what the kept tokens say (one chain, two sinks) and never
//! empty.
#![no_main]

use docclass::text::{AnalyzerParams, LanguageSetting};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let default = AnalyzerParams::default()
        .check()
        .expect("default settings are valid");
    let variant = data
        .first()
        .map_or(AnalyzerParams::default(), |&b| AnalyzerParams {
            language: if b & 0x80 != 0 {
                LanguageSetting::Auto
            } else {
                // Force one of the supported languages.
                ["en", "zh", "ru", "es", "fr", "pt", "de", "ja", "ko"][usize::from(b & 0x0f) % 9]
                    .parse()
                    .unwrap_or(LanguageSetting::Auto)
            },
            stop_words: b & 0x10 != 0,
            stemming: b & 0x20 != 0,
            ngrams: 1 + usize::from(b & 0x40 != 0) * 2,
            fold_chinese: b & 0x01 != 0,
            numbers: b & 0x02 != 0,
        });
    let variant = variant.check().expect("variant settings are valid");
    let lossy = String::from_utf8_lossy(data);
    let decoded = docclass::corpus::decode::decode(data).ok();
    for text in std::iter::once(lossy.as_ref()).chain(decoded.as_deref()) {
        for analyzer in [&default, &variant] {
            let analysis = analyzer.analyze(text);
            let terms = analyzer.terms(text);
            let tokens: Vec<&str> = analysis.tokens.iter().map(|t| t.text.as_str()).collect();
            assert_eq!(terms, tokens, "terms and tokens differ on {text:?}");
            assert!(
                terms.iter().all(|t| !t.is_empty()),
                "empty term from {text:?}"
            );
        }
    }
});
