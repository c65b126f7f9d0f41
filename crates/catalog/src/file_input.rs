//! Files given as input (`"type": "file"`): what Front takes only as `multipart/form-data`
//! uploads (a message's `attachments`). A caller gives each file inline as JSON,
//! `{"filename", "content_type", "content_base64"}`; the schema bounds its size, validation
//! checks its base64, and the engine sends it as one part of a multipart body.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};

/// Largest file accepted, in bytes once decoded: Front's own limit on a message's attachments.
pub const MAX_FILE_BYTES: usize = 25 * 1024 * 1024;
/// Longest file name accepted, in characters.
pub const MAX_FILENAME_CHARS: u64 = 255;
/// Longest media type accepted, in characters.
const MAX_CONTENT_TYPE_CHARS: u64 = 255;
/// Media type of a file given without one.
pub const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

/// One file of a caller's input, decoded.
#[derive(Clone, PartialEq, Eq)]
pub struct FileInput {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for FileInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileInput")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("size", &self.bytes.len())
            .finish()
    }
}

impl FileInput {
    /// Reads a file value (`{"filename", "content_type"?, "content_base64"}`); the reason says
    /// which of its keys is at fault.
    pub fn from_value(value: &Value) -> Result<FileInput, String> {
        let text = |key: &str| value.get(key).and_then(Value::as_str);
        // Both go into the part's headers: a control character could end a header early.
        let filename = text("filename")
            .filter(|name| !name.is_empty())
            .ok_or("`filename` must be a non-empty string")?;
        if filename.chars().any(char::is_control) {
            return Err("`filename` must not contain control characters".to_owned());
        }
        let content_type = text("content_type")
            .filter(|media| !media.is_empty())
            .unwrap_or(DEFAULT_CONTENT_TYPE);
        if content_type.chars().any(char::is_control) {
            return Err("`content_type` must not contain control characters".to_owned());
        }
        let encoded = text("content_base64").ok_or("`content_base64` must be a string")?;
        let bytes = BASE64
            .decode(encoded)
            .map_err(|error| format!("`content_base64` is not base64 ({error})"))?;
        if bytes.len() > MAX_FILE_BYTES {
            return Err(format!(
                "the file is larger than {} MiB",
                MAX_FILE_BYTES / (1024 * 1024)
            ));
        }
        Ok(FileInput {
            filename: filename.to_owned(),
            content_type: content_type.to_owned(),
            bytes,
        })
    }

    /// The file as a caller gives it.
    pub fn to_value(&self) -> Value {
        json!({
            "filename": self.filename,
            "content_type": self.content_type,
            "content_base64": BASE64.encode(&self.bytes),
        })
    }
}

/// Characters of base64 text that hold at most [`MAX_FILE_BYTES`].
fn max_base64_chars() -> u64 {
    (MAX_FILE_BYTES as u64).div_ceil(3) * 4
}

/// The JSON Schema of one file value.
pub(crate) fn schema(description: Option<&str>) -> Value {
    let mut schema = json!({
        "type": "object",
        "properties": {
            "filename": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_FILENAME_CHARS,
                "description": "The file's name, as the recipient sees it"
            },
            "content_type": {
                "type": "string",
                "maxLength": MAX_CONTENT_TYPE_CHARS,
                "default": DEFAULT_CONTENT_TYPE,
                "description": "The file's media type, e.g. application/pdf"
            },
            "content_base64": {
                "type": "string",
                "contentEncoding": "base64",
                "maxLength": max_base64_chars(),
                "description": format!(
                    "The file's bytes in base64 (at most {} MiB decoded)",
                    MAX_FILE_BYTES / (1024 * 1024)
                )
            }
        },
        "required": ["filename", "content_base64"],
        "additionalProperties": false
    });
    if let Some(description) = description {
        schema["description"] = json!(description);
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_value_reads_back_as_itself_and_names_the_key_at_fault() {
        let file = FileInput {
            filename: "a.txt".into(),
            content_type: "text/plain".into(),
            bytes: b"hi\x00\xff".to_vec(),
        };
        assert_eq!(FileInput::from_value(&file.to_value()).unwrap(), file);
        let untyped = FileInput::from_value(&json!({"filename": "x", "content_base64": ""}));
        assert_eq!(untyped.unwrap().content_type, DEFAULT_CONTENT_TYPE);
        let reason =
            FileInput::from_value(&json!({"filename": "x", "content_base64": "!!"})).unwrap_err();
        assert!(
            reason.starts_with("`content_base64` is not base64"),
            "{reason}"
        );
        assert!(FileInput::from_value(&json!({"content_base64": ""})).is_err());
        let injected =
            json!({"filename": "x", "content_type": "a\r\nx-evil: 1", "content_base64": ""});
        assert!(
            FileInput::from_value(&injected)
                .unwrap_err()
                .contains("content_type")
        );
    }
}
