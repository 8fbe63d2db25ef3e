//! Word segmentation: Unicode word boundaries (UAX #29) for scripts written
//! with spaces, and maximal runs for scripts written without them.

use super::language::{is_cjk, token_script};
use super::{Token, TokenKind};
use unicode_segmentation::UnicodeSegmentation;

/// Tokens longer than this are dropped: in real files they are encoded
/// attachments, hashes or URLs that never recur, and an adversarial document
/// made of one huge "word" must not become one huge term.
pub const MAX_TOKEN_BYTES: usize = 64;

/// Splits normalised text into words, numbers and CJK runs; punctuation and
/// white space are dropped. A CJK run is kept whole here (a later filter
/// turns it into character n-grams) so that stop characters can still split
/// it first.
pub fn segment(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut cjk_run = String::new();
    for piece in text.split_word_bounds() {
        let mut chars = piece.chars();
        let first = chars.next();
        if first.is_some_and(is_cjk) && piece.chars().all(is_cjk) {
            cjk_run.push_str(piece);
            continue;
        }
        flush_cjk(&mut cjk_run, &mut tokens);
        if !piece.chars().any(char::is_alphanumeric) || piece.len() > MAX_TOKEN_BYTES {
            continue;
        }
        let kind = if is_number(piece) {
            TokenKind::Number
        } else {
            TokenKind::Word
        };
        tokens.push(Token::new(piece, kind, token_script(piece)));
    }
    flush_cjk(&mut cjk_run, &mut tokens);
    tokens
}

fn flush_cjk(run: &mut String, tokens: &mut Vec<Token>) {
    if !run.is_empty() {
        let script = token_script(run);
        tokens.push(Token::new(run, TokenKind::CjkRun, script));
        run.clear();
    }
}

/// Digits with the separators UAX #29 keeps inside numbers ("1,000", "3.5").
fn is_number(piece: &str) -> bool {
    piece.chars().any(|c| c.is_numeric())
        && piece
            .chars()
            .all(|c| c.is_numeric() || matches!(c, '.' | ',' | '\'' | '_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(tokens: &[Token]) -> Vec<&str> {
        tokens.iter().map(|t| t.text.as_str()).collect()
    }

    #[test]
    fn splits_words_and_drops_punctuation() {
        let t = segment("port management, customs (2019): don't stop!");
        assert_eq!(
            texts(&t),
            ["port", "management", "customs", "2019", "don't", "stop"]
        );
        assert_eq!(t[3].kind, TokenKind::Number);
    }

    #[test]
    fn keeps_decimal_numbers_whole() {
        let t = segment("grew 3.5 percent to 1,000 units");
        assert_eq!(
            texts(&t),
            ["grew", "3.5", "percent", "to", "1,000", "units"]
        );
    }

    #[test]
    fn groups_cjk_characters_into_runs() {
        let t = segment("港口管理研修班，BeiDou系统。");
        assert_eq!(texts(&t), ["港口管理研修班", "BeiDou", "系统"]);
        assert_eq!(t[0].kind, TokenKind::CjkRun);
        assert_eq!(t[1].kind, TokenKind::Word);
    }

    #[test]
    fn drops_overlong_tokens() {
        let long = "a".repeat(MAX_TOKEN_BYTES + 1);
        assert!(segment(&long).is_empty());
    }
}
