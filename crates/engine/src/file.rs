//! Front's answers that are files (attachment downloads): the bytes as received, with the media
//! type and the file name Front gave them, never read as JSON.

use std::fmt;

use bytes::Bytes;
use percent_encoding::percent_decode_str;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE, HeaderMap};

/// Media type of a file Front sent without one.
const UNKNOWN_MEDIA_TYPE: &str = "application/octet-stream";
/// Longest file name kept, in bytes: what common file systems allow.
const MAX_FILENAME_LEN: usize = 255;
/// Longest media type kept; Front's are far shorter, a longer one is not a media type.
const MAX_MEDIA_TYPE_LEN: usize = 255;

/// A file Front answered with.
#[derive(Clone, PartialEq, Eq)]
pub struct FileAnswer {
    /// The name Front gave the file (`content-disposition`), reduced to one plain path
    /// component; or, when Front gave none, the last segment of the download's path (the
    /// attachment's id).
    pub filename: String,
    /// Front's `content-type`, or `application/octet-stream` when it sent none.
    pub content_type: String,
    /// The file, as received.
    pub bytes: Bytes,
}

impl FileAnswer {
    /// The file of a 2xx answer to `url` with `headers` and `body`.
    pub(crate) fn from_answer(url: &str, headers: &HeaderMap, body: Bytes) -> FileAnswer {
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
            .filter(|value| !value.is_empty() && value.len() <= MAX_MEDIA_TYPE_LEN)
            .unwrap_or(UNKNOWN_MEDIA_TYPE)
            .to_owned();
        let filename = headers
            .get(CONTENT_DISPOSITION)
            .and_then(|value| value.to_str().ok())
            .and_then(disposition_filename)
            .and_then(|name| plain_filename(&name))
            .or_else(|| {
                let path = url.split('?').next().unwrap_or(url);
                let segment = path.rsplit('/').next().unwrap_or_default();
                plain_filename(&percent_decode_str(segment).decode_utf8_lossy())
            })
            .unwrap_or_else(|| "download".to_owned());
        FileAnswer {
            filename,
            content_type,
            bytes: body,
        }
    }

    /// The size of the file in bytes.
    pub fn size(&self) -> usize {
        self.bytes.len()
    }
}

impl fmt::Debug for FileAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileAnswer")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("size", &self.bytes.len())
            .finish()
    }
}

/// The file name a `content-disposition` value gives: RFC 6266's `filename*` (UTF-8,
/// percent-encoded) when present, else `filename` (quoted or a bare token).
fn disposition_filename(disposition: &str) -> Option<String> {
    let mut plain = None;
    let mut extended = None;
    for parameter in split_parameters(disposition).into_iter().skip(1) {
        let Some((name, value)) = parameter.split_once('=') else {
            continue;
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "filename*" => {
                // charset'language'percent-encoded-value; only UTF-8 (and its ASCII subset) is
                // read, as RFC 8187 requires of senders.
                let mut parts = value.splitn(3, '\'');
                let (charset, _language, encoded) = (parts.next()?, parts.next()?, parts.next()?);
                if charset.eq_ignore_ascii_case("utf-8") || charset.eq_ignore_ascii_case("us-ascii")
                {
                    extended = percent_decode_str(encoded)
                        .decode_utf8()
                        .ok()
                        .map(|name| name.into_owned());
                }
            }
            "filename" => plain = Some(unquoted(value)),
            _ => {}
        }
    }
    extended.or(plain)
}

/// `value` without its surrounding quotes and backslash escapes, if quoted.
fn unquoted(value: &str) -> String {
    let Some(inner) = value
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
    else {
        return value.to_owned();
    };
    let mut text = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        text.push(if c == '\\' {
            chars.next().unwrap_or(c)
        } else {
            c
        });
    }
    text
}

/// A header value split at the `;` that are not inside quotes.
fn split_parameters(value: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => {
                parts.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&value[start..]);
    parts
}

/// `name` as one safe path component: its last component only (no directory can be named),
/// without control characters, not `.` or `..`, and at most [`MAX_FILENAME_LEN`] bytes; `None`
/// when nothing is left.
fn plain_filename(name: &str) -> Option<String> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last.chars().filter(|c| !c.is_control()).collect();
    let cleaned = cleaned.trim();
    if matches!(cleaned, "" | "." | "..") {
        return None;
    }
    let mut end = cleaned.len().min(MAX_FILENAME_LEN);
    while !cleaned.is_char_boundary(end) {
        end -= 1;
    }
    Some(cleaned[..end].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn file(disposition: Option<&str>, content_type: Option<&str>) -> FileAnswer {
        let mut headers = HeaderMap::new();
        if let Some(disposition) = disposition {
            headers.insert(
                CONTENT_DISPOSITION,
                HeaderValue::from_str(disposition).unwrap(),
            );
        }
        if let Some(content_type) = content_type {
            headers.insert(CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap());
        }
        FileAnswer::from_answer(
            "https://x.api.frontapp.com/download/fil_3q8rx1?resize=false",
            &headers,
            Bytes::from_static(b"\x00\xff"),
        )
    }

    #[test]
    fn the_name_comes_from_content_disposition_in_either_form() {
        let named = |value| file(Some(value), None).filename;
        assert_eq!(named("attachment; filename=\"report.pdf\""), "report.pdf");
        assert_eq!(named("attachment; filename=plain.txt"), "plain.txt");
        assert_eq!(
            named("attachment; filename=\"a \\\"b\\\"; c.txt\""),
            "a \"b\"; c.txt"
        );
        assert_eq!(
            named("attachment; filename=\"fallback.txt\"; filename*=UTF-8''r%C3%A9sum%C3%A9.txt"),
            "résumé.txt"
        );
    }

    #[test]
    fn a_name_never_names_a_directory_and_a_missing_one_is_the_attachment_id() {
        let named = |value| file(Some(value), None).filename;
        assert_eq!(named("attachment; filename=\"../../etc/passwd\""), "passwd");
        assert_eq!(named("attachment; filename=C:\\x\\evil.exe"), "evil.exe");
        assert_eq!(named("attachment; filename=\"..\""), "fil_3q8rx1");
        assert_eq!(named("inline"), "fil_3q8rx1");
        assert_eq!(file(None, None).filename, "fil_3q8rx1");
        assert_eq!(
            named(&format!("attachment; filename={}", "e".repeat(300))).len(),
            255
        );
    }

    #[test]
    fn the_media_type_is_fronts_or_octet_stream() {
        assert_eq!(file(None, Some("image/png")).content_type, "image/png");
        assert_eq!(file(None, None).content_type, "application/octet-stream");
        assert_eq!(file(None, None).size(), 2);
    }
}
