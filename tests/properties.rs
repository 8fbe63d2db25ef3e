//! Property tests: the text pipeline never panics on any input, its
//! streaming chain and fast paths agree with their step-by-step
//! definitions, and vectorizer rows are unit-norm or empty.

use docclass::features::{DocFrequency, TfidfParams, TfidfVectorizer};
use docclass::text::{
    apply_filter, segment, segment_each, Analyzer, AnalyzerParams, CjkBigramFilter, Language,
    LanguageSetting, NGramFilter, NumberFilter, StemFilter, StopWordFilter, Token, TokenFilter,
    TokenKind, TokenRef,
};
use proptest::prelude::*;
use unicode_segmentation::UnicodeSegmentation;

fn analyzers() -> Vec<docclass::text::Analyzer> {
    let mut out = Vec::new();
    for (stop_words, stemming, ngrams) in [
        (true, true, 1),
        (false, false, 1),
        (true, false, 2),
        (false, true, 3),
    ] {
        for language in [LanguageSetting::Auto, LanguageSetting::Fixed(Language::En)] {
            out.push(
                AnalyzerParams {
                    language,
                    stop_words,
                    stemming,
                    ngrams,
                    fold_chinese: ngrams != 2,
                    numbers: ngrams != 3,
                }
                .check()
                .expect("valid params"),
            );
        }
    }
    out
}

/// The analysis of `a`, written out as each filter run over the whole
/// token list of the previous one.
fn stage_by_stage(a: &Analyzer, text: &str) -> Vec<String> {
    let p = a.params();
    let normalized = a.normalize(text);
    let language = a.language_of(&normalized);
    let mut tokens: Vec<Token> = Vec::new();
    segment_each(&normalized, |piece, kind| {
        tokens.push(Token::from(TokenRef::segmented(piece, kind, language)))
    });
    fn run<F: TokenFilter>(f: &F, tokens: &[Token]) -> Vec<Token> {
        let views: Vec<TokenRef<'_>> = tokens.iter().map(Token::as_ref).collect();
        apply_filter(f, &views)
    }
    if !p.numbers {
        tokens = run(&NumberFilter, &tokens);
    }
    if p.stop_words {
        tokens = run(&StopWordFilter::default(), &tokens);
    }
    if p.stemming {
        tokens = run(&StemFilter::default(), &tokens);
    }
    tokens = run(&CjkBigramFilter, &tokens);
    tokens = run(&NGramFilter { max_n: p.ngrams }, &tokens);
    tokens.into_iter().map(|t| t.text).collect()
}

/// Text mixing the scripts and punctuation the tokenizer treats specially.
fn mixed_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            "[a-zA-Z0-9 .,;:'_\\-]{0,12}",
            "[港口管理研修班北斗的和是在中国]{0,8}",
            "[портуправлениеЁё ]{0,10}",
            "[àéèçñõ ]{0,6}",
            "[ひらがなカタカナ한국어]{0,5}",
            any::<char>().prop_map(|c| c.to_string()),
        ],
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn analysis_never_panics_on_any_unicode(text in any::<String>()) {
        for a in analyzers() {
            let _ = a.analyze(&text);
            let _ = a.terms(&text);
        }
    }

    #[test]
    fn analysis_never_panics_on_decoded_invalid_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let text = match docclass::corpus::decode::decode(&bytes) {
            Ok(t) => t,
            Err(_) => String::from_utf8_lossy(&bytes).into_owned(),
        };
        for a in analyzers() {
            let _ = a.terms(&text);
        }
    }

    /// The streaming chain (one token at a time, per-word steps memoised)
    /// makes exactly the terms of its filters applied one after another to
    /// whole token lists, without memo.
    #[test]
    fn streaming_chain_equals_filters_applied_in_turn(text in mixed_text()) {
        for a in analyzers() {
            prop_assert_eq!(a.terms(&text), stage_by_stage(&a, &text));
        }
    }

    /// The ASCII fast path of segmentation equals UAX #29 segmentation.
    #[test]
    fn ascii_segmentation_equals_uax29(text in "[a-z0-9 .,;:'_\\-\\n!?()\"/]{0,60}") {
        let ours: Vec<String> = segment(&text).into_iter().map(|t| t.text).collect();
        let reference: Vec<String> = text
            .split_word_bounds()
            .filter(|p| p.chars().any(char::is_alphanumeric) && p.len() <= 64)
            .map(String::from)
            .collect();
        prop_assert_eq!(ours, reference);
    }

    #[test]
    fn cjk_bigrams_cover_runs(run in "[港口管理研修班北斗系统]{1,10}") {
        let a = AnalyzerParams { stop_words: false, ..AnalyzerParams::default() }.check().expect("valid");
        let tokens = a.analyze(&run).tokens;
        let n = run.chars().count();
        prop_assert_eq!(tokens.len(), if n == 1 { 1 } else { n - 1 });
        prop_assert!(tokens.iter().all(|t| t.kind == TokenKind::CjkGram));
    }

    #[test]
    fn rows_have_unit_norm_or_are_empty(docs in prop::collection::vec(prop::collection::vec("[a-e]{1,2}", 0..8), 1..12), sublinear in any::<bool>()) {
        let params = TfidfParams {
            min_df: DocFrequency::Count(1),
            max_df: DocFrequency::Fraction(1.0),
            max_features: None,
            sublinear_tf: sublinear,
        };
        if let Ok((v, m)) = TfidfVectorizer::fit_transform(params, &docs) {
            for i in 0..m.rows() {
                let row = m.outer_view(i).expect("row");
                let norm: f64 = row.iter().map(|(_, x)| x * x).sum::<f64>().sqrt();
                prop_assert!(row.nnz() == 0 || (norm - 1.0).abs() < 1e-12);
            }
            // Unseen terms are ignored; a document of only unseen terms is empty.
            let unseen = v.transform(&[vec!["zzz".to_string()]]);
            prop_assert_eq!(unseen.nnz(), 0);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// The classifier's cached word-to-column path gives exactly the row of
    /// the plain analysis + vectorizer path.
    #[test]
    fn classifier_rows_equal_vectorizer_rows(text in mixed_text()) {
        let model = docclass::model::default_model().expect("model");
        let reference = model.vectorizer().row_with(|sink| {
            model.analyzer().for_each_term(&text, sink);
        });
        // Twice: the second call is served from the cache.
        prop_assert_eq!(model.transform_one(&text), reference.clone());
        prop_assert_eq!(model.transform_one(&text), reference);
    }
}
