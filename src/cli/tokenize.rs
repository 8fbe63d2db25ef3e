use super::EXIT_OK;
use crate::corpus::input::read_document_file;
use crate::corpus::DEFAULT_MAX_DOC_BYTES;
use crate::model::load_model;
use crate::text::{AnalyzerParams, LanguageSetting, TokenKind};
use serde::Serialize;
use std::io::{Read, Write};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct TokenizeArgs {
    /// A document (text, HTML, PDF, DOCX, ODT), or - (the default) for
    /// standard input.
    #[arg(value_name = "FILE", default_value = "-")]
    input: PathBuf,
    /// Use the analysis settings of this model (otherwise the defaults, with
    /// the options below).
    #[arg(long, short = 'm', value_name = "MODEL", conflicts_with_all = ["lang", "ngrams", "no_stop_words", "no_stemming"])]
    model: Option<PathBuf>,
    /// Document language: auto or a code such as en, zh, ru.
    #[arg(long, value_name = "LANG")]
    lang: Option<LanguageSetting>,
    /// Longest word n-gram.
    #[arg(long, value_name = "N")]
    ngrams: Option<usize>,
    #[arg(long)]
    no_stop_words: bool,
    #[arg(long)]
    no_stemming: bool,
    /// One JSON object with the language and each token's kind.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct JsonToken<'a> {
    text: &'a str,
    kind: TokenKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<String>,
}

pub fn run(args: TokenizeArgs) -> anyhow::Result<i32> {
    let params = match &args.model {
        Some(path) => load_model(path)?.params().analyzer.clone(),
        None => {
            let mut p = AnalyzerParams::default();
            if let Some(lang) = args.lang {
                p.language = lang;
            }
            if let Some(n) = args.ngrams {
                p.ngrams = n;
            }
            p.stop_words = !args.no_stop_words;
            p.stemming = !args.no_stemming;
            p
        }
    };
    let analyzer = params.check()?;
    let text = if args.input.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .take(DEFAULT_MAX_DOC_BYTES as u64 + 1)
            .read_to_end(&mut bytes)?;
        if bytes.len() > DEFAULT_MAX_DOC_BYTES {
            anyhow::bail!("<stdin>: document is over the limit of {DEFAULT_MAX_DOC_BYTES} bytes");
        }
        let limits = crate::corpus::extract::Limits::new(DEFAULT_MAX_DOC_BYTES);
        crate::corpus::extract::extract_bounded(bytes, &limits)
            .map_err(|e| anyhow::anyhow!("<stdin>: {e}"))?
            .text
    } else {
        crate::corpus::check_inputs(std::slice::from_ref(&args.input))?;
        read_document_file(&args.input, DEFAULT_MAX_DOC_BYTES)
            .map_err(|e| anyhow::anyhow!("{}: {e}", args.input.display()))?
    };
    let analysis = analyzer.analyze(&text);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if args.json {
        let tokens: Vec<JsonToken> = analysis
            .tokens
            .iter()
            .map(|t| JsonToken {
                text: &t.text,
                kind: t.kind,
                language: t.language.map(|l| l.code().to_string()),
            })
            .collect();
        let doc = serde_json::json!({
            "language": analysis.language.code(),
            "tokens": tokens,
        });
        writeln!(out, "{doc}")?;
    } else {
        note!("language: {}", analysis.language);
        let terms: Vec<&str> = analysis.tokens.iter().map(|t| t.text.as_str()).collect();
        writeln!(out, "{}", terms.join(" "))?;
    }
    out.flush()?;
    Ok(EXIT_OK)
}
