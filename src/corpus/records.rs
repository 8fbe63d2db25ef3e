//! Line-level readers shared by labelled data and classification input.

use super::decode::decode;
use serde_json::Value;
use std::io::BufRead;

/// One JSON Lines record's fields that docclass uses; other fields are
/// ignored.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonRecord {
    pub id: Option<String>,
    pub text: String,
    pub labels: Option<Vec<String>>,
}

/// Parses one JSON object line; the error says which field is wrong.
pub fn parse_json_record(line: &str) -> Result<JsonRecord, String> {
    parse_record(line, true)
}

/// [`parse_json_record`] for input to classify: a `labels` field is not
/// looked at (whatever it holds), only `id` and `text`.
pub fn parse_json_text_record(line: &str) -> Result<JsonRecord, String> {
    parse_record(line, false)
}

/// Parses JSON, reading an escaped lone surrogate (`"\ud800"`, which
/// JavaScript and Python's `json.dumps` write for broken strings and
/// which is not valid Unicode) as U+FFFD instead of refusing the line.
fn parse_value(line: &str) -> Result<Value, String> {
    match serde_json::from_str(line) {
        Ok(value) => Ok(value),
        Err(e) if line.contains("\\u") && e.to_string().contains("escape") => {
            serde_json::from_str(&replace_lone_surrogates(line))
                .map_err(|_| format!("invalid JSON: {e}"))
        }
        Err(e) => Err(format!("invalid JSON: {e}")),
    }
}

/// `line` with every `\uXXXX` escape of a surrogate that is not part of a
/// high-low pair replaced by `\ufffd`.
fn replace_lone_surrogates(line: &str) -> String {
    let escape_at = |i: usize| -> Option<u16> {
        let b = line.as_bytes();
        if b.get(i) != Some(&b'\\') || b.get(i + 1) != Some(&b'u') {
            return None;
        }
        u16::from_str_radix(line.get(i + 2..i + 6)?, 16).ok()
    };
    let is_high = |u: u16| (0xD800..0xDC00).contains(&u);
    let is_low = |u: u16| (0xDC00..0xE000).contains(&u);
    let mut out = String::with_capacity(line.len());
    let bytes = line.as_bytes();
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        match escape_at(i) {
            Some(u) if is_high(u) && escape_at(i + 6).is_some_and(is_low) => i += 12,
            Some(u) if is_high(u) || is_low(u) => {
                out.push_str(&line[copied..i]);
                out.push_str("\\ufffd");
                i += 6;
                copied = i;
            }
            // Any other escape, `\\` included, is two characters at least;
            // skipping both keeps an escaped backslash from starting one.
            _ => i += 2,
        }
    }
    out.push_str(&line[copied.min(line.len())..]);
    out
}

fn parse_record(line: &str, with_labels: bool) -> Result<JsonRecord, String> {
    let value = parse_value(line)?;
    let Value::Object(map) = value else {
        return Err("expected a JSON object with a \"text\" field".into());
    };
    let text = match map.get("text") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) => return Err("\"text\" is null: it must be a string".into()),
        None => return Err("missing \"text\" field".into()),
        Some(other) => {
            return Err(format!(
                "\"text\" must be a string, found {}",
                json_kind(other)
            ))
        }
    };
    let id = match map.get("id") {
        // An empty id would make an output record nobody can find; it gets
        // the FILE:LINE id of a record without one, as in CSV.
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::Null) | None => None,
        Some(other) => {
            return Err(format!(
                "\"id\" must be a string or number, found {}",
                json_kind(other)
            ))
        }
    };
    let labels = match map.get("labels").or_else(|| map.get("label")) {
        _ if !with_labels => None,
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(vec![s.clone()]),
        Some(Value::Array(items)) => {
            let mut labels = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Value::String(s) if !s.trim().is_empty() => labels.push(s.trim().to_string()),
                    _ => return Err("\"labels\" must be a list of non-empty strings".into()),
                }
            }
            Some(labels)
        }
        Some(other) => {
            return Err(format!(
                "\"labels\" must be a list of strings, found {}",
                json_kind(other)
            ))
        }
    };
    Ok(JsonRecord { id, text, labels })
}

/// The `id` of a record that is valid JSON but otherwise unusable, so its
/// error record can still carry the id the user gave it.
pub fn record_id(line: &str) -> Option<String> {
    match parse_value(line).ok()?.get("id")? {
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A line of input, numbered from 1.
#[derive(Debug)]
pub enum LineRead {
    Line(u64, String),
    /// A line longer than the limit; it was skipped, not held in memory.
    TooLong(u64, usize),
    Io(std::io::Error),
}

/// Lines of a reader, never holding more than `limit` bytes of one line.
/// Lines that are not UTF-8 are decoded like text files.
pub fn read_lines_limited<R: BufRead>(reader: R, limit: usize) -> LinesLimited<R> {
    LinesLimited {
        reader,
        limit,
        line_no: 0,
        done: false,
    }
}

pub struct LinesLimited<R> {
    reader: R,
    limit: usize,
    line_no: u64,
    done: bool,
}

impl<R: BufRead> Iterator for LinesLimited<R> {
    type Item = LineRead;

    fn next(&mut self) -> Option<LineRead> {
        if self.done {
            return None;
        }
        let mut line: Vec<u8> = Vec::new();
        let mut seen = 0usize;
        let mut any = false;
        loop {
            let buf = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.done = true;
                    return Some(LineRead::Io(e));
                }
            };
            if buf.is_empty() {
                self.done = true;
                if !any {
                    return None;
                }
                break;
            }
            any = true;
            let (chunk, found_newline) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (&buf[..i], true),
                None => (buf, false),
            };
            seen += chunk.len();
            if seen <= self.limit {
                line.extend_from_slice(chunk);
            } else {
                line = Vec::new();
            }
            let used = chunk.len() + usize::from(found_newline);
            self.reader.consume(used);
            if found_newline {
                break;
            }
        }
        self.line_no += 1;
        if seen > self.limit {
            return Some(LineRead::TooLong(self.line_no, seen));
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        let text = match String::from_utf8(line) {
            Ok(s) => s,
            Err(e) => decode(e.as_bytes())
                .unwrap_or_else(|_| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        };
        Some(LineRead::Line(self.line_no, text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        let r = parse_json_record(r#"{"text": "a\ud800b \udc00 \ud83d\ude00 \\ud800"}"#)
            .expect("lone surrogates are read");
        assert_eq!(r.text, "a\u{fffd}b \u{fffd} \u{1f600} \\ud800");
        let r = parse_json_record(r#"{"id": "x\ud800", "text": "end\ud800"}"#).expect("ok");
        assert_eq!(r.text, "end\u{fffd}");
        assert_eq!(r.id.as_deref(), Some("x\u{fffd}"));
    }

    #[test]
    fn parses_records_and_names_bad_fields() {
        let r =
            parse_json_record(r#"{"id": 7, "text": "x", "labels": "a", "extra": 1}"#).expect("ok");
        assert_eq!(r.id.as_deref(), Some("7"));
        assert_eq!(r.labels, Some(vec!["a".to_string()]));
        assert!(parse_json_record(r#"{"labels": []}"#)
            .unwrap_err()
            .contains("missing \"text\""));
        assert!(parse_json_record(r#"{"text": 3}"#)
            .unwrap_err()
            .contains("must be a string"));
        assert!(parse_json_record("[1]").unwrap_err().contains("object"));
        assert_eq!(
            parse_json_record(r#"{"text": null}"#).unwrap_err(),
            "\"text\" is null: it must be a string"
        );
        assert!(parse_json_record(r#"{"text": "x", "labels": 5}"#).is_err());
        assert_eq!(
            parse_json_text_record(r#"{"text": "x", "labels": 5}"#).map(|r| r.text),
            Ok("x".to_string())
        );
        assert!(parse_json_record("{oops")
            .unwrap_err()
            .contains("invalid JSON"));
        // An empty id is no id: the record gets FILE:LINE instead.
        assert_eq!(
            parse_json_record(r#"{"id": "", "text": "x"}"#)
                .expect("ok")
                .id,
            None
        );
        assert_eq!(record_id(r#"{"id": "", "text": 1}"#), None);
    }

    #[test]
    fn limits_line_length_without_losing_count() {
        let input = format!("short\n{}\nafter\r\nlast", "x".repeat(100));
        let items: Vec<LineRead> = read_lines_limited(std::io::Cursor::new(input), 10).collect();
        assert!(matches!(&items[0], LineRead::Line(1, s) if s == "short"));
        assert!(matches!(&items[1], LineRead::TooLong(2, 100)));
        assert!(matches!(&items[2], LineRead::Line(3, s) if s == "after"));
        assert!(matches!(&items[3], LineRead::Line(4, s) if s == "last"));
        assert_eq!(items.len(), 4);
    }

    #[test]
    fn decodes_non_utf8_lines() {
        let mut bytes = b"{\"text\": \"caf".to_vec();
        bytes.push(0xe9);
        bytes.extend_from_slice(b"\"}\n");
        let items: Vec<LineRead> = read_lines_limited(std::io::Cursor::new(bytes), 1000).collect();
        assert!(matches!(&items[0], LineRead::Line(1, s) if s.contains("café")));
    }
}
